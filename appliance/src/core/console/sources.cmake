# The web console (issue #16; owner: console). Paths relative to appliance/.
# The front-end (appliance/console/) is compiled into coffer::core as one
# generated .cc (EmbeddedAssets()), so the running appliance serves it without
# any file or network access.
set(COFFER_CONSOLE_ASSETS index.html app.js app.css)
set(_console_asset_paths ${COFFER_CONSOLE_ASSETS})
list(TRANSFORM _console_asset_paths PREPEND ${PROJECT_SOURCE_DIR}/appliance/console/)
add_custom_command(
  OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/console_assets.cc
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR}/appliance/console
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/console_assets.cc
          "-DFILES=${COFFER_CONSOLE_ASSETS}"
          -P ${PROJECT_SOURCE_DIR}/appliance/console/embed_console.cmake
  DEPENDS ${_console_asset_paths} ${PROJECT_SOURCE_DIR}/appliance/console/embed_console.cmake
  COMMENT "Embedding the web console's assets"
  VERBATIM)
list(APPEND COFFER_CORE_SRCS
  src/core/console/admin_backend.cc
  src/core/console/console_handler.cc
  src/core/console/console_http.cc
  src/core/console/oidc_client.cc
  src/core/console/oidc_login.cc
  src/core/console/session_store.cc
  ${CMAKE_CURRENT_BINARY_DIR}/console_assets.cc)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json)
