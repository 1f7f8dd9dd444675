#pragma once
// The encryption record of one object version: everything needed, with the
// key service or the client's key, to recover the object key and decrypt the
// packages. It is stored verbatim in storage::ObjectInfo::encryption (opaque
// bytes to the object layer), so it is versioned, compact and parse-safe: a
// drive holder controls these bytes, so the parser is fuzzed and every
// malformed record is kDataLoss, never a crash or a half-filled value.
//
// Wire format, version 1 (integers little-endian; str = u16 length || bytes):
//   "sse" || version (u8 = 1) || mode (u8) || algorithm (u8) || flags (u8)
//   || str key_name || str data_key_ciphertext || str sealed_object_key
//   || str customer_key_salt || str customer_key_hmac || str context
//   || str plaintext_etag || [u64 plaintext_bytes when flags & 1]
// and nothing after. Which fields are present depends on the mode (see
// Metadata); ParseMetadata enforces it.
//
// The record holds no secret in the clear: the object key is sealed, the data
// key is the key service's ciphertext, and an SSE-C key is represented only by
// a salted HMAC.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/core/sse/format.h"

namespace coffer::core::sse {

// How the object key is protected. The value is stored: never renumber.
enum class Mode : std::uint8_t {
  // SSE-S3: a data key from the appliance's SSE-S3 master key in the key
  // service (x-amz-server-side-encryption: AES256).
  kSseS3 = 1,
  // SSE-KMS: a data key from a named key service key, bound to the
  // encryption context (x-amz-server-side-encryption: aws:kms).
  kSseKms = 2,
  // SSE-C: the client's own 256-bit key, sent with every request.
  kSseC = 3,
};

// "SSE-S3", "SSE-KMS", "SSE-C"; "unknown" for other values.
std::string_view ModeName(Mode mode);

inline constexpr std::size_t kObjectKeyBytes = 32;
// The sealed object key: nonce (12) || AES-256-GCM ciphertext (32) || tag (16).
inline constexpr std::size_t kSealedObjectKeyBytes = 12 + kObjectKeyBytes + 16;
inline constexpr std::size_t kCustomerKeySaltBytes = 16;
inline constexpr std::size_t kCustomerKeyHmacBytes = 32;
// Bounds the parser enforces (and Serialize asserts).
inline constexpr std::size_t kMaxKeyNameBytes = 256;
inline constexpr std::size_t kMaxDataKeyCiphertextBytes = 4096;
inline constexpr std::size_t kMaxContextBytes = 8192;
inline constexpr std::size_t kMaxEtagBytes = 128;

struct Metadata {
  Mode mode = Mode::kSseS3;
  // The AEAD of the packages (and the one every package header must name).
  Algorithm algorithm = Algorithm::kAes256Gcm;
  // SSE-S3 and SSE-KMS: the key service key that sealed the data key (for
  // SSE-KMS it is echoed in x-amz-server-side-encryption-aws-kms-key-id).
  // Empty for SSE-C.
  std::string key_name;
  // SSE-S3 and SSE-KMS: the key service's ciphertext of the data key. Empty
  // for SSE-C.
  std::string data_key_ciphertext;
  // Always kSealedObjectKeyBytes: the object key sealed under the object's
  // key-encryption key (bound to bucket, object name and mode).
  std::string sealed_object_key;
  // SSE-C only: a random salt and HMAC-SHA256(client key, label || salt), so
  // a wrong key is told apart from tampering. Empty otherwise.
  std::string customer_key_salt;
  std::string customer_key_hmac;
  // SSE-KMS only: the client's x-amz-server-side-encryption-context as a
  // canonical JSON object of strings (sorted keys, no spaces), empty when the
  // client sent none. The key service binds the data key to this context plus
  // {"aws:s3:arn": "arn:aws:s3:::bucket/object"}.
  std::string context;
  // Optional facts the S3 layer may record (they are not authenticated by
  // the record: use them for display only, never for security decisions).
  std::string plaintext_etag;
  std::optional<std::uint64_t> plaintext_bytes;

  friend bool operator==(const Metadata&, const Metadata&) = default;
};

// Returns the record of `metadata`. The fields must satisfy the bounds and
// the per-mode rules above (a programmer error otherwise: COFFER_ASSERT).
// Deterministic: equal values give equal bytes. Thread-safe.
std::string SerializeMetadata(const Metadata& metadata);

// Parses a record written by SerializeMetadata. Returns kDataLoss, with a
// message that names the field, for anything else: bad magic or version,
// unknown mode or algorithm, unknown flags, a field over its bound or of the
// wrong size, a field present or missing against the mode's rules, trailing
// bytes. ParseMetadata(SerializeMetadata(m)) == m. Thread-safe.
base::Result<Metadata> ParseMetadata(std::string_view record);

// True when `record` looks like an SSE record (starts with the magic), so
// callers can tell "not encrypted" (empty) from "encrypted" cheaply. A record
// that starts with the magic may still fail ParseMetadata.
bool IsSseRecord(std::string_view record);

}  // namespace coffer::core::sse
