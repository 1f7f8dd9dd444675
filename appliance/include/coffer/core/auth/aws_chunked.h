#pragma once
// An incremental decoder for aws-chunked request bodies, the framing of the
// three STREAMING-* payload modes:
//
//   <hex size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n
//   [<trailer>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]] \r\n
//
// Signed modes chain each chunk's signature from the previous one, starting
// from the request's own signature, so an altered, reordered, dropped or
// appended chunk breaks the chain. The trailer modes end with checksum
// trailers (x-amz-checksum-crc32 / crc32c / sha1 / sha256), which are
// verified against the decoded payload, and in the signed variant with
// x-amz-trailer-signature. Input may be split anywhere; memory is bounded by
// ChunkedLimits, never by the body size.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/auth/body_reader.h"
#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/auth/verifier.h"

namespace coffer::core::auth {

struct ChunkedConfig {
  PayloadMode mode = PayloadMode::kStreamingSigned;  // One of the STREAMING-* modes.
  StreamingContext streaming;                        // Needed by the signed modes.
  std::vector<std::string> trailers;                 // Declared by x-amz-trailer.
  std::optional<std::uint64_t> decoded_content_length;
  ChunkedLimits limits;
};

class ChunkedDecoder final : public BodyReader {
 public:
  // Errors: InvalidArgument when `config.mode` is not a streaming mode, or a
  // signed mode lacks its seed signature; InvalidRequest for a declared
  // trailer that is not a supported checksum.
  static base::Result<std::unique_ptr<ChunkedDecoder>> Create(const Crypto& crypto,
                                                              ChunkedConfig config);

  // Errors (message names the chunk and byte offset):
  //   InvalidChunkSizeError: size not hex, too large, or its line too long;
  //   InvalidRequest: missing CRLF, unexpected chunk extension, data after the
  //     end, more payload than x-amz-decoded-content-length;
  //   SignatureDoesNotMatch: a missing or wrong chunk or trailer signature;
  //   MalformedTrailerError: an undeclared, repeated or malformed trailer;
  //   BadDigest: a checksum trailer that does not match the payload.
  base::Status Feed(std::string_view input, std::string& out) override;
  // Errors: IncompleteBody when the body stopped before its end (or short of
  // x-amz-decoded-content-length); MalformedTrailerError for a missing
  // declared trailer or trailer signature; BadDigest.
  base::Status Finish() override;

  std::uint64_t payload_bytes() const { return payload_bytes_; }
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSizeLine, kData, kDataCr, kDataLf, kTrailerLine, kDone, kFailed };

  ChunkedDecoder(const Crypto& crypto, ChunkedConfig config);
  bool Signed() const;
  base::Status Fail(base::Error error);
  std::string Where() const;
  base::Status AppendLine(std::string_view input, std::size_t& i);
  base::Status OnSizeLine(std::string_view line);
  base::Status ParseSizeLine(std::string_view line, std::uint64_t& size,
                             std::string_view& signature);
  base::Status OnData(std::string_view data, std::string& out);
  base::Status OnChunkEnd();
  base::Status VerifyChunk(std::string_view data_sha256_hex);
  base::Status OnTrailerLine(std::string_view line);
  base::Status OnTrailerSignature(std::string_view value);
  base::Status EndOfBody();

  const Crypto& crypto_;
  ChunkedConfig config_;
  State state_ = State::kSizeLine;
  std::optional<base::Error> error_;
  std::string line_;
  std::uint64_t remaining_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t chunk_index_ = 0;  // 1-based once the first size line is read.
  std::uint64_t payload_bytes_ = 0;
  std::string previous_signature_;
  std::string claimed_signature_;
  std::unique_ptr<HashStream> chunk_hash_;
  std::vector<Checksummer> checksums_;
  std::vector<std::pair<std::string, std::string>> received_trailers_;
  std::string canonical_trailers_;
  bool trailer_signature_seen_ = false;
};

}  // namespace coffer::core::auth
