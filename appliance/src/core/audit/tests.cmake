# The audit subsystem's tests (owner: audit): unit tests in their own binary,
# the spool decoder's fuzz target, and the end-to-end tests against
# `coffer serve` with a real webhook receiver (conformance/e2e/audit_*.py).
coffer_test(NAME coffer_core_audit_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/audit/spool_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/audit/redact_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/audit/audit_log_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/audit/metrics_access_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/audit/audited_key_service_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/s3/harness.cc
  DEPS coffer::core coffer::state nlohmann_json::nlohmann_json
  LABELS unit)

coffer_fuzzer(NAME audit_spool_fuzz
  SRCS ${PROJECT_SOURCE_DIR}/conformance/fuzz/audit_spool_fuzz.cc
  DEPS coffer::core
  CORPUS ${PROJECT_SOURCE_DIR}/fixtures/fuzz/audit)
