# The admin API's tests (owner: admin): service accounts, the console seam
# (Login/ServeAs), the read endpoints and the policy simulator, and the recent
# audit entries, in their own binary. The end-to-end test against
# `coffer serve` is conformance/e2e/admin_api_e2e.py.
coffer_test(NAME coffer_core_admin_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/admin/admin_api_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/admin/console_seam_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/admin/admin_reads_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/admin/recent_audit_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/s3/harness.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/fake_key_service.cc
  DEPS coffer::core coffer::state nlohmann_json::nlohmann_json OpenSSL::Crypto
  LABELS unit)
