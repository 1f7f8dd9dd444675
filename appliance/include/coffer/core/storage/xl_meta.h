#pragma once
// The per-object metadata file ("xl.meta") that each drive of an erasure set
// keeps for each object: every version of the object with its size, parts,
// erasure layout, ETag, user metadata, stored response headers, tag set,
// version id, modification time and the encryption slot, plus this drive's own
// shard of small (inlined) objects.
//
// Encoding (all integers little-endian):
//   "CXLM" | u16 format version (2) | u32 body length | body | u64 CRC-64 of
//   everything before it.
// The body is a u32 version count followed by the versions, newest first.
// Strings are a u32 length and the bytes; maps a u32 count and key/value
// strings with keys strictly ascending. Format 2 appends to each version's
// shared fields the headers map, the tags string and the i64 metadata
// modification time; format 1 files (written before tags existed) still
// decode, with those fields empty, and are rewritten as format 2 by the next
// mutation of the object. Decoding checks the magic, version,
// lengths and checksum and never reads past the input, so a torn or rotten
// file is kDataLoss, never a crash (fuzzed by conformance/fuzz/storage_meta_fuzz).
//
// The file is written last in every mutation (after the shards are durable),
// with Drive::WriteAtomic, so a drive shows either the old or the new list.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::core::storage {

inline constexpr std::uint16_t kXlMetaFormatVersion = 2;
// The oldest format DecodeXlMeta still reads.
inline constexpr std::uint16_t kXlMetaOldestFormatVersion = 1;

enum class VersionKind : std::uint8_t { kObject = 1, kDeleteMarker = 2 };

struct PartMeta {
  std::uint32_t number = 0;
  std::uint64_t size_bytes = 0;
  std::string etag;
  friend bool operator==(const PartMeta&, const PartMeta&) = default;
};

struct ErasureMeta {
  std::uint8_t data_shards = 0;
  std::uint8_t parity_shards = 0;
  std::uint32_t block_size_bytes = 0;
  // The first drive index of the object's shard order (hash of the key):
  // shard s lives on drive (start + s) % drives.
  std::uint8_t distribution_start = 0;
  // Which shard this drive holds (differs per drive; checked against the
  // distribution on read, a pair assertion of the placement).
  std::uint8_t shard_index = 0;
  friend bool operator==(const ErasureMeta&, const ErasureMeta&) = default;
};

struct ObjectVersion {
  // Empty is the null version (S3 "null").
  std::string version_id;
  VersionKind kind = VersionKind::kObject;
  std::int64_t mod_time_ns = 0;
  std::uint64_t size_bytes = 0;
  std::string etag;
  std::string content_type;
  std::map<std::string, std::string> user_metadata;
  // Stored response headers (ObjectInfo::headers), names lower-case.
  std::map<std::string, std::string> headers;
  // The tag set in x-amz-tagging form (ObjectInfo::tags); empty for none.
  std::string tags;
  // When the metadata of this version last changed after it was written (a
  // tag update), 0 if never. Two copies of one version that differ only in
  // tags (a crash part-way through PutObjectTags) are told apart by it: the
  // newer wins, so every reader and heal picks the same copy.
  std::int64_t meta_mod_time_ns = 0;
  std::string encryption;
  // Folder of the shard files beside xl.meta; empty when inlined.
  std::string data_dir;
  ErasureMeta erasure;
  std::vector<PartMeta> parts;
  bool inlined = false;
  // This drive's shard, with its chunk checksums, for inlined objects.
  std::string inline_shard;
};

struct XlMeta {
  // Newest first.
  std::vector<ObjectVersion> versions;
};

// Returns the encoded file. Thread-safe.
std::string EncodeXlMeta(const XlMeta& meta);
// Parses a file produced by EncodeXlMeta, of this format or an older one still
// supported (kXlMetaOldestFormatVersion). Returns kDataLoss for anything else.
base::Result<XlMeta> DecodeXlMeta(std::string_view bytes);

// Returns a digest of everything about a version that all drives agree on
// (all but shard_index and inline_shard); drives "agree" on a version when
// their signatures are equal.
std::string VersionSignature(const ObjectVersion& version);

}  // namespace coffer::core::storage
