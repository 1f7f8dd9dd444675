# The key service's unit tests: their own binary (issue 9, owner: kms).
coffer_test(NAME coffer_core_kms_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/kms/local_key_service_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/kms/kes_api_test.cc
       ${PROJECT_SOURCE_DIR}/appliance/test/core/kms/health_advisory_test.cc
  DEPS coffer::core nlohmann_json::nlohmann_json
  LABELS unit)
# `coffer kms serve` over mTLS with curl, openssl s_client and the `coffer kms`
# client verbs (conformance/e2e/kms_e2e.sh).
coffer_script_test(NAME kms_e2e
  COMMAND bash ${PROJECT_SOURCE_DIR}/conformance/e2e/kms_e2e.sh
  LABELS e2e
  TIMEOUT 120)
# `coffer serve` with [key_service] on a `coffer kms serve`: ready, down (the
# appliance stays in service), back.
coffer_script_test(NAME kms_serve_e2e
  COMMAND bash ${PROJECT_SOURCE_DIR}/conformance/e2e/kms_e2e.sh serve
  LABELS e2e
  TIMEOUT 120)
# Key rotation end to end: coffer serve on a `coffer kms serve`, rotate,
# `coffer kms rewrap --bucket`, `coffer kms prune`, keys made beside a running
# server (conformance/e2e/kms_rewrap_e2e.sh).
coffer_script_test(NAME kms_rewrap_e2e
  COMMAND bash ${PROJECT_SOURCE_DIR}/conformance/e2e/kms_rewrap_e2e.sh
  LABELS e2e
  TIMEOUT 300)
# The KES client's error mapping (posix; no server needed).
coffer_test(NAME coffer_posix_kes_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/posix/kes_client_test.cc
  DEPS coffer::posix
  LABELS unit)
# KES client round trips against a running `coffer kms serve`: a new client
# per call (the reference) vs a pooled, keep-alive client
# (scripts/bench-s3.sh --kes runs it).
coffer_benchmark(NAME coffer_kes_bench
  SRCS ${PROJECT_SOURCE_DIR}/conformance/bench/kes_client_bench.cc
  DEPS coffer::posix)
