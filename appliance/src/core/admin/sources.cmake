# The admin API (owner: admin). Paths relative to appliance/.
list(APPEND COFFER_CORE_SRCS
  src/core/admin/admin_api.cc)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json)
list(APPEND COFFER_CORE_TEST_SRCS
  test/core/admin/admin_api_test.cc)
