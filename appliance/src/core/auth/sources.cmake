# SigV4 authentication core (owner: auth). Paths relative to appliance/.
list(APPEND COFFER_CORE_SRCS
  src/core/auth/s3_errors.cc
  src/core/auth/crypto.cc
  src/core/auth/checksum.cc
  src/core/auth/canonical.cc
  src/core/auth/sigv4.cc
  src/core/auth/signing_key_cache.cc
  src/core/auth/signature.cc
  src/core/auth/verifier.cc
  src/core/auth/body_reader.cc
  src/core/auth/aws_chunked.cc
  src/core/auth/signer.cc
  src/core/auth/sigv2.cc)
list(APPEND COFFER_CORE_TEST_SRCS
  test/core/auth/test_support.cc
  test/core/auth/canonical_test.cc
  test/core/auth/sigv4_test.cc
  test/core/auth/verifier_test.cc
  test/core/auth/aws_chunked_test.cc
  test/core/auth/botocore_interop_test.cc)
