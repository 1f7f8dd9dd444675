#pragma once
// Incremental payload checksums for the x-amz-checksum-* headers and
// aws-chunked trailers: CRC32, CRC32C, SHA-1 and SHA-256. Values are rendered
// the way S3 sends them: base64 of the big-endian digest.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/core/auth/crypto.h"

namespace coffer::core::auth {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kSha1, kSha256 };

// Returns the algorithm of a header or trailer name such as
// "x-amz-checksum-crc32c" (lower-case), or nullopt for any other name.
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view name);
// Returns the header name for `algorithm`, e.g. "x-amz-checksum-sha256".
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm);

// Raw CRCs, exposed for tests against published check values.
std::uint32_t Crc32(std::uint32_t crc, std::string_view data);
std::uint32_t Crc32c(std::uint32_t crc, std::string_view data);

// One running checksum. Not thread-safe.
class Checksummer {
 public:
  // `crypto` is borrowed and must outlive the checksummer.
  Checksummer(const Crypto& crypto, ChecksumAlgorithm algorithm);

  ChecksumAlgorithm algorithm() const { return algorithm_; }
  void Update(std::string_view data);
  // Returns base64 of the digest of everything fed so far. Call once.
  std::string FinalBase64();

 private:
  ChecksumAlgorithm algorithm_;
  std::uint32_t crc_ = 0;
  std::unique_ptr<HashStream> hash_;
};

}  // namespace coffer::core::auth
