# The web console's handler (owner: console): sessions, expiry, cookie flags,
# CSRF and origin refusals, logout, assets and their headers, the admin API
# proxy and the OIDC start/callback, against a fake admin backend.
coffer_test(NAME coffer_core_console_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/console/console_handler_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/console/assets_test.cc
  DEPS coffer::core nlohmann_json::nlohmann_json OpenSSL::Crypto
  LABELS unit)
# The console's OIDC relying party (owner: consoleoidc): providers offered,
# the token request (PKCE, client authentication), nonce, the STS hand-off.
coffer_test(NAME coffer_core_console_oidc_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/console/oidc_client_test.cc
  DEPS coffer::core coffer::state nlohmann_json::nlohmann_json
  LABELS unit)
if(TARGET coffer_core_console_oidc_test)
  target_include_directories(coffer_core_console_oidc_test PRIVATE ${PROJECT_SOURCE_DIR}/state/test)
endif()
