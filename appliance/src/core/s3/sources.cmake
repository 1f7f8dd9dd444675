# The S3 API (owner: s3). Paths relative to appliance/.
list(APPEND COFFER_CORE_SRCS
  src/core/s3/request.cc
  src/core/s3/operations.cc
  src/core/s3/xml.cc
  src/core/s3/body.cc
  src/core/s3/authorize.cc
  src/core/s3/api.cc
  src/core/s3/store_runtime.cc
  src/core/s3/buckets.cc
  src/core/s3/bucket_config.cc
  src/core/s3/listing.cc
  src/core/s3/objects.cc
  src/core/s3/tagging.cc
  src/core/s3/xml_bodies.cc
  src/core/s3/multipart.cc
  src/core/s3/put_options.cc
  src/core/s3/sse_request.cc
  src/core/s3/sse_object.cc)
list(APPEND COFFER_CORE_DEPS coffer::state)
list(APPEND COFFER_CORE_PRIVATE_DEPS pugixml::pugixml nlohmann_json::nlohmann_json)
list(APPEND COFFER_CORE_TEST_SRCS
  test/core/s3/request_test.cc
  test/core/s3/authz_test.cc)
list(APPEND COFFER_CORE_TEST_SRCS
  test/core/s3/harness.cc
  test/core/s3/objects_test.cc
  test/core/s3/tagging_test.cc)
list(APPEND COFFER_CORE_TEST_SRCS
  test/core/s3/buckets_test.cc
  test/core/s3/listing_test.cc
  test/core/s3/multipart_test.cc)
