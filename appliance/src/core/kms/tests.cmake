# The key service's unit tests: their own binary (issue 9, owner: kms).
coffer_test(NAME coffer_core_kms_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/kms/local_key_service_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/kms/kes_api_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/kms/health_advisory_test.cc
  DEPS coffer::core nlohmann_json::nlohmann_json
  LABELS unit)
