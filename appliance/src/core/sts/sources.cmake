# STS (issue #10). Paths relative to appliance/.
# The STS API, session tokens and the errors table (owner: sts).
list(APPEND COFFER_CORE_SRCS
  src/core/sts/sts_errors.cc
  src/core/sts/session_token.cc
  src/core/sts/sts_api.cc
  src/core/sts/store_sessions.cc)
# AssumeRoleWithLDAPIdentity's authenticator (owner: ldap).
list(APPEND COFFER_CORE_SRCS
  src/core/sts/ldap_escape.cc
  src/core/sts/ldap_authenticator.cc)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json)
# AssumeRoleWithWebIdentity / ClientGrants: JWS, JWKS and the OIDC verifier (owner: oidc).
list(APPEND COFFER_CORE_SRCS
  src/core/sts/jwks.cc
  src/core/sts/jwt.cc
  src/core/sts/oidc.cc)
