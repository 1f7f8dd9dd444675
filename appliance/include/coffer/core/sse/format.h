#pragma once
// The at-rest format of server-side encrypted object data, and its size math.
//
// Object data is encrypted before erasure coding, as a sequence of *streams*:
// a single PUT is one stream (part number 0); a multipart object is one
// stream per part, each keyed by its upload part number, so parts cannot be
// swapped or moved. A stream is a sequence of *packages* (DARE-like): every
// package carries up to 64 KiB of plaintext, authenticated with AES-256-GCM or
// ChaCha20-Poly1305:
//
//   package = header (16 bytes) || ciphertext (payload bytes) || tag (16 bytes)
//   header  = version (1) || algorithm (1) || flags (1) || 0 (1)
//             || payload size, little-endian (4) || stream id (8)
//
//   - version is kFormatVersion; algorithm is Algorithm's value; flags holds
//     kFinalFlag on the last package of a stream and nothing else;
//   - every package but the last holds exactly kPackagePlaintextBytes; the
//     last holds 1..kPackagePlaintextBytes, or 0 when the stream is empty (an
//     empty stream is one empty final package, so truncating it to nothing is
//     detected too);
//   - the stream id is random, drawn once per stream, and the same in every
//     package of the stream;
//   - nonce = stream id (8) || sequence number, big-endian (4); the whole
//     header is the associated data.
//
// SECURITY: the sequence number in the nonce makes reordering and splicing
// fail authentication; the authenticated final flag and payload size make
// truncation and extension fail; the random stream id keeps nonces unique
// when a part number is uploaded twice under the same key. The key of a
// stream is derived from the object key and the part number (see stream.h),
// so a part moved to another position, or into another object, does not open.
//
// Everything here is pure arithmetic: thread-safe, no allocation beyond the
// returned values.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::core::storage {
struct ObjectInfo;
}

namespace coffer::core::sse {

// The AEAD that protects packages. The value is stored (package header and
// metadata record): never renumber.
enum class Algorithm : std::uint8_t {
  kAes256Gcm = 1,
  kChaCha20Poly1305 = 2,
};

// "AES-256-GCM" or "ChaCha20-Poly1305"; "unknown" for other values.
std::string_view AlgorithmName(Algorithm algorithm);

// The algorithm new objects use on this machine: AES-256-GCM when the CPU has
// AES and carry-less multiply instructions (AES-NI + PCLMULQDQ on x86-64, the
// ARMv8 crypto extension on arm64), ChaCha20-Poly1305 otherwise. Detected once
// per process; thread-safe.
Algorithm PreferredAlgorithm();

inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::uint8_t kFinalFlag = 0x01;
inline constexpr std::uint64_t kPackagePlaintextBytes = 64 * 1024;
inline constexpr std::uint64_t kPackageHeaderBytes = 16;
inline constexpr std::uint64_t kPackageTagBytes = 16;
inline constexpr std::uint64_t kPackageOverheadBytes = kPackageHeaderBytes + kPackageTagBytes;
inline constexpr std::uint64_t kPackageBytes = kPackagePlaintextBytes + kPackageOverheadBytes;
// Streams hold at most 2^32 packages (256 TiB; S3 caps objects at 5 TiB).
inline constexpr std::uint64_t kMaxStreamPlaintextBytes = kPackagePlaintextBytes << 32;

// The number of packages of a stream of `plaintext_bytes` (at least 1).
std::uint64_t PackageCount(std::uint64_t plaintext_bytes);

// The stored size of one stream of `plaintext_bytes`:
// plaintext_bytes + PackageCount(plaintext_bytes) * kPackageOverheadBytes.
// Use it for PutOptions::size_bytes when the plaintext length is known.
std::uint64_t CiphertextSize(std::uint64_t plaintext_bytes);

// The inverse: the plaintext size of a stored stream of `ciphertext_bytes`.
// Returns kDataLoss when no plaintext size encrypts to that many bytes (a
// stream cut inside a package, or shorter than one empty package).
base::Result<std::uint64_t> PlaintextSize(std::uint64_t ciphertext_bytes);

// One stored stream: the upload part number that keys it (0 for a single PUT)
// and its stored (ciphertext) size.
struct StreamLayout {
  std::uint32_t part_number = 0;
  std::uint64_t ciphertext_bytes = 0;
  std::uint64_t plaintext_bytes = 0;
  // Where the stream starts in the stored object and in the plaintext.
  std::uint64_t ciphertext_offset = 0;
  std::uint64_t plaintext_offset = 0;
};

// The streams of a stored object, in order. Immutable once built.
class ObjectLayout {
 public:
  // A single PUT: one stream keyed by part number 0.
  static base::Result<ObjectLayout> Single(std::uint64_t ciphertext_bytes);
  // A completed multipart upload: one stream per part, in object order, with
  // the part numbers used at upload time and the stored part sizes. Returns
  // kDataLoss when a size is not a valid stream size, kInvalidArgument when
  // `parts` is empty or the part numbers do not strictly increase.
  struct Part {
    std::uint32_t number = 0;
    std::uint64_t ciphertext_bytes = 0;
  };
  static base::Result<ObjectLayout> Multipart(const std::vector<Part>& parts);
  // From the object layer's view of a stored object: Single(size_bytes) for
  // a single PUT, Multipart(part_numbers, part_sizes) otherwise. kDataLoss as
  // above, or when the part lists disagree with each other or with the size.
  static base::Result<ObjectLayout> FromObjectInfo(const storage::ObjectInfo& info);

  const std::vector<StreamLayout>& streams() const { return streams_; }
  std::uint64_t plaintext_bytes() const { return plaintext_bytes_; }
  std::uint64_t ciphertext_bytes() const { return ciphertext_bytes_; }

 private:
  ObjectLayout() = default;
  std::vector<StreamLayout> streams_;
  std::uint64_t plaintext_bytes_ = 0;
  std::uint64_t ciphertext_bytes_ = 0;
};

// What a range GET of an encrypted object reads and returns: ask the object
// layer for [ciphertext_offset, ciphertext_offset + ciphertext_length) (whole
// packages only), feed those bytes to a DecryptingSink built with this plan,
// and it emits exactly [plaintext_offset, plaintext_offset + plaintext_length).
struct RangePlan {
  std::uint64_t plaintext_offset = 0;
  std::uint64_t plaintext_length = 0;
  std::uint64_t ciphertext_offset = 0;
  std::uint64_t ciphertext_length = 0;
};

// Plans the plaintext range [offset, offset + length) of an object (length
// nullopt: to the end; clamped to the end as S3 does). Returns kOutOfRange
// when offset >= the plaintext size, except that offset 0 of an empty object
// is a valid empty plan (which still reads and authenticates its package).
base::Result<RangePlan> PlanRange(const ObjectLayout& layout, std::uint64_t offset,
                                  std::optional<std::uint64_t> length);

}  // namespace coffer::core::sse
