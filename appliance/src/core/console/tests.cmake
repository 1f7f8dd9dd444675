# The web console's handler (owner: console): sessions, expiry, cookie flags,
# CSRF and origin refusals, logout, assets and their headers, the admin API
# proxy and the OIDC start/callback, against a fake admin backend.
coffer_test(NAME coffer_core_console_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/console/console_handler_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/console/assets_test.cc
  DEPS coffer::core nlohmann_json::nlohmann_json OpenSSL::Crypto
  LABELS unit)
