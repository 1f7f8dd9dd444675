#pragma once
// The per-object metadata file ("xl.meta") that each drive of an erasure set
// keeps for each object: every version of the object with its size, parts,
// erasure layout, ETag, user metadata, version id, modification time and the
// encryption slot, plus this drive's own shard of small (inlined) objects.
//
// Encoding (all integers little-endian):
//   "CXLM" | u16 format version (1) | u32 body length | body | u64 CRC-64 of
//   everything before it.
// The body is a u32 version count followed by the versions, newest first.
// Strings are a u32 length and the bytes. Decoding checks the magic, version,
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

inline constexpr std::uint16_t kXlMetaFormatVersion = 1;

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
// Parses a file produced by EncodeXlMeta. Returns kDataLoss for anything else.
base::Result<XlMeta> DecodeXlMeta(std::string_view bytes);

// Returns a digest of everything about a version that all drives agree on
// (all but shard_index and inline_shard); drives "agree" on a version when
// their signatures are equal.
std::string VersionSignature(const ObjectVersion& version);

}  // namespace coffer::core::storage
