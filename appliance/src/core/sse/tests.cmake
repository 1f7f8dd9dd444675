# SSE tests (owner: sse, issue #9): unit tests with a fake key service, the
# range-decrypt property, fuzz targets and the throughput benchmark.
coffer_test(NAME coffer_core_sse_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/fake_key_service.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/format_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/metadata_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/engine_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/stream_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/vectors_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/rewrap_test.cc
  DEPS coffer::core OpenSSL::Crypto
  LABELS unit)
coffer_fuzzer(NAME sse_metadata_fuzz
  SRCS ${PROJECT_SOURCE_DIR}/conformance/fuzz/sse_metadata_fuzz.cc
  DEPS coffer::core
  CORPUS ${PROJECT_SOURCE_DIR}/fixtures/fuzz/sse-metadata
  SECONDS 30)
coffer_fuzzer(NAME sse_package_fuzz
  SRCS ${PROJECT_SOURCE_DIR}/conformance/fuzz/sse_package_fuzz.cc
  DEPS coffer::core OpenSSL::Crypto
  CORPUS ${PROJECT_SOURCE_DIR}/fixtures/fuzz/sse-package
  SECONDS 30)
coffer_benchmark(NAME coffer_sse_bench
  SRCS ${PROJECT_SOURCE_DIR}/conformance/bench/sse_bench.cc
  DEPS coffer::core OpenSSL::Crypto)
if(TARGET coffer_core_sse_test)
  # Designated initializers of SealRequest leave the optional fields out.
  target_compile_options(coffer_core_sse_test PRIVATE -Wno-missing-field-initializers)
endif()
coffer_test(NAME coffer_core_sse_property_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/fake_key_service.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/sse/range_property_test.cc
  DEPS coffer::core OpenSSL::Crypto rapidcheck rapidcheck_gtest
  LABELS property
  TIMEOUT 300)
