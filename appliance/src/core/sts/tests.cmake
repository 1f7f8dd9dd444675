# STS test binaries (issue #10). Paths relative to appliance/.
# Session tokens, the STS API and session credentials on S3 requests (owner: sts).
coffer_test(NAME coffer_core_sts_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/s3/harness.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/session_token_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/sts_api_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/sts_admin_test.cc
  DEPS coffer::core coffer::state
  LABELS unit)
# AssumeRoleWithLDAPIdentity: escaping, injection, DN normalisation and policy
# mapping against a scripted directory (owner: ldap).
coffer_test(NAME coffer_core_sts_ldap_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/ldap_escape_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/ldap_authenticator_test.cc
  DEPS coffer::core coffer::state OpenSSL::Crypto
  LABELS unit)
if(TARGET coffer_core_sts_ldap_test)
  target_include_directories(coffer_core_sts_ldap_test PRIVATE ${PROJECT_SOURCE_DIR}/state/test)
endif()
# AssumeRoleWithWebIdentity: JWS verification, JWKS parsing, claims and the
# OIDC verifier with keys generated in the test (owner: oidc).
coffer_test(NAME coffer_core_sts_oidc_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/jwt_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sts/oidc_test.cc
  DEPS coffer::core coffer::state OpenSSL::Crypto
  LABELS unit)
if(TARGET coffer_core_sts_oidc_test)
  target_include_directories(coffer_core_sts_oidc_test PRIVATE ${PROJECT_SOURCE_DIR}/state/test)
endif()
# The authenticator against a real slapd over StartTLS and ldaps (owner: ldap):
# a probe that applies a config repo and authenticates once, driven by the script.
if(COFFER_BUILD_TESTS)
  coffer_executable(NAME ldap_e2e_probe
    SRCS ${PROJECT_SOURCE_DIR}/conformance/e2e/ldap_e2e_probe.cc
    DEPS coffer::core coffer::posix coffer::state nlohmann_json::nlohmann_json)
  coffer_script_test(NAME ldap_e2e
    COMMAND ${PROJECT_SOURCE_DIR}/conformance/e2e/ldap_e2e.sh
    LABELS e2e
    TIMEOUT 120
    ENVIRONMENT "LDAP_E2E_PROBE=$<TARGET_FILE:ldap_e2e_probe>")
endif()
# RFC 4515 escaping and RFC 4514 DN normalisation under libFuzzer (owner: ldap).
coffer_fuzzer(NAME ldap_filter_fuzz
  SRCS ${PROJECT_SOURCE_DIR}/conformance/fuzz/ldap_filter_fuzz.cc
  DEPS coffer::core
  CORPUS ${PROJECT_SOURCE_DIR}/fixtures/fuzz/ldap
  SECONDS 30)
