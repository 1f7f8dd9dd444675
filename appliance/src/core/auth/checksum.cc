#include "coffer/core/auth/checksum.h"

#include <algorithm>
#include <limits>

#include <isa-l/crc.h>

namespace coffer::core::auth {
namespace {

// ISA-L takes an int length; feed it in pieces it can represent.
constexpr std::size_t kCrcPieceBytes = 1u << 30;

unsigned char* Mutable(std::string_view data) {
  // ISA-L's CRC functions take non-const pointers but never write through them.
  return reinterpret_cast<unsigned char*>(const_cast<char*>(data.data()));  // NOLINT
}

}  // namespace

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view name) {
  if (name == "x-amz-checksum-crc32") return ChecksumAlgorithm::kCrc32;
  if (name == "x-amz-checksum-crc32c") return ChecksumAlgorithm::kCrc32c;
  if (name == "x-amz-checksum-sha1") return ChecksumAlgorithm::kSha1;
  if (name == "x-amz-checksum-sha256") return ChecksumAlgorithm::kSha256;
  return std::nullopt;
}

std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return "x-amz-checksum-crc32";
    case ChecksumAlgorithm::kCrc32c:
      return "x-amz-checksum-crc32c";
    case ChecksumAlgorithm::kSha1:
      return "x-amz-checksum-sha1";
    case ChecksumAlgorithm::kSha256:
      return "x-amz-checksum-sha256";
  }
  return "";
}

std::uint32_t Crc32(std::uint32_t crc, std::string_view data) {
  // crc32_gzip_refl is the reflected IEEE CRC with gzip's pre- and
  // post-inversion, so it chains: pass the previous result as the seed.
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kCrcPieceBytes);
    crc = crc32_gzip_refl(crc, Mutable(data), static_cast<std::uint64_t>(n));
    data.remove_prefix(n);
  }
  return crc;
}

std::uint32_t Crc32c(std::uint32_t crc, std::string_view data) {
  // crc32_iscsi does no inversion of its own; CRC32C (RFC 3720) inverts the
  // state before and after, which this wrapper does so that it chains too.
  std::uint32_t state = ~crc;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kCrcPieceBytes);
    state = crc32_iscsi(Mutable(data), static_cast<int>(n), state);
    data.remove_prefix(n);
  }
  return ~state;
}

Checksummer::Checksummer(const Crypto& crypto, ChecksumAlgorithm algorithm)
    : algorithm_(algorithm) {
  if (algorithm == ChecksumAlgorithm::kSha1) hash_ = crypto.NewSha1();
  if (algorithm == ChecksumAlgorithm::kSha256) hash_ = crypto.NewSha256();
}

void Checksummer::Update(std::string_view data) {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32:
      crc_ = Crc32(crc_, data);
      break;
    case ChecksumAlgorithm::kCrc32c:
      crc_ = Crc32c(crc_, data);
      break;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256:
      hash_->Update(data);
      break;
  }
}

std::string Checksummer::FinalBase64() {
  if (hash_ != nullptr) return Base64Encode(hash_->Final());
  const char bytes[4] = {static_cast<char>(crc_ >> 24), static_cast<char>(crc_ >> 16),
                         static_cast<char>(crc_ >> 8), static_cast<char>(crc_)};
  return Base64Encode(std::string_view(bytes, 4));
}

}  // namespace coffer::core::auth
