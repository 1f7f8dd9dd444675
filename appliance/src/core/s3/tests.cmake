# Server-side encryption through the S3 request core (owner: sses3): its own
# binary, with the S3 test harness.
coffer_test(NAME coffer_core_s3_sse_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/s3/harness.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/s3/sse_test.cc
  DEPS coffer::core
  LABELS unit)
