# The admin API (owner: admin). Paths relative to appliance/. Its tests are
# in tests.cmake (their own binary).
list(APPEND COFFER_CORE_SRCS
  src/core/admin/admin_api.cc
  src/core/admin/service_accounts.cc
  src/core/admin/iam_endpoints.cc
  src/core/admin/read_endpoints.cc
  src/core/admin/simulate.cc
  src/core/admin/policy_simulation.cc)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json)
