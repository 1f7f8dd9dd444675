#pragma once
// The body stage of authentication. A BodyReader consumes the request body
// as it arrives (in pieces of any size, down to one byte), appends the payload
// bytes to a caller buffer, and at the end says whether the body was what the
// request signed. NewBodyReader() picks the reader for the payload mode that
// Verifier::Verify() found:
//   UNSIGNED-PAYLOAD                          -> bytes pass through;
//   hex SHA-256                               -> Sha256BodyVerifier;
//   STREAMING-* (aws-chunked)                 -> ChunkedDecoder (aws_chunked.h).
//
// SECURITY: payload bytes are unauthenticated until Finish() returns Ok. The
// caller may stream them to temporary storage but must not make an object
// visible (or act on the bytes) before Finish() succeeds.

#include <memory>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/core/auth/crypto.h"

namespace coffer::core::auth {

struct Authentication;

// Bounds on aws-chunked framing; the defaults fit every AWS SDK.
struct ChunkedLimits {
  std::size_t chunk_line_max_bytes = 256;     // "size;chunk-signature=<64 hex>\r\n" is ~100.
  std::uint64_t chunk_max_bytes = 16u << 20;  // SDKs send 8 KiB to 1 MiB.
  std::size_t trailer_line_max_bytes = 1024;  // One "name:value\r\n" trailer line.
  std::size_t trailer_count_max = 8;
};

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Consumes `input` and appends the payload bytes it completes to `out`.
  // After an error every later call returns the same error. Not thread-safe.
  virtual base::Status Feed(std::string_view input, std::string& out) = 0;
  // Declares the end of the body and returns the verdict.
  virtual base::Status Finish() = 0;
};

// Checks a body against the hex SHA-256 from x-amz-content-sha256.
class Sha256BodyVerifier final : public BodyReader {
 public:
  // `crypto` is borrowed; `expected_hex` is 64 lower-case hex digits.
  Sha256BodyVerifier(const Crypto& crypto, std::string expected_hex);
  base::Status Feed(std::string_view input, std::string& out) override;
  // Errors: XAmzContentSHA256Mismatch when the digest differs.
  base::Status Finish() override;

 private:
  std::unique_ptr<HashStream> hash_;
  std::string expected_hex_;
  bool finished_ = false;
};

// Returns the reader for `auth`'s payload mode. `crypto` is borrowed and must
// outlive the reader. Errors: as ChunkedDecoder::Create.
base::Result<std::unique_ptr<BodyReader>> NewBodyReader(const Crypto& crypto,
                                                        const Authentication& auth,
                                                        const ChunkedLimits& limits = {});

}  // namespace coffer::core::auth
