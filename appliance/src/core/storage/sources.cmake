# The erasure-coded storage engine (issue 5): object layer, erasure sets on
# ISA-L, bitrot checksums, quorum metadata, healing.
list(APPEND COFFER_CORE_SRCS
  src/core/storage/erasure_coder.cc
  src/core/storage/xl_meta.cc
  src/core/storage/set_core.cc
  src/core/storage/set_open.cc
  src/core/storage/quorum.cc
  src/core/storage/buckets.cc
  src/core/storage/shard_io.cc
  src/core/storage/objects.cc
  src/core/storage/listing.cc
  src/core/storage/multipart.cc
  src/core/storage/heal.cc)
list(APPEND COFFER_CORE_TEST_SRCS
  test/core/storage/erasure_coder_test.cc
  test/core/storage/xl_meta_test.cc
  test/core/storage/mem_env.h
  test/core/storage/erasure_set_test.cc
  test/core/storage/listing_test.cc)
