# STS test binaries (issue #10). Paths relative to appliance/.
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
