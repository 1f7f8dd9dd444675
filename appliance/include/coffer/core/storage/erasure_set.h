#pragma once
// An erasure set: N drives that store objects Reed-Solomon coded as
// data + parity shards (erasure_coder.h), with a bitrot checksum per shard
// chunk, per-object metadata on every drive (xl_meta.h), quorum reads and
// writes, crash-safe write-then-rename, versioning, multipart uploads and
// healing. It implements the ObjectLayer the S3 API calls.
//
// Construct one from an Env and the drive locations:
//
//   ErasureSetOptions options;
//   options.drive_locations = {"/data/d0", "/data/d1", "/data/d2", "/data/d3"};
//   COFFER_ASSIGN_OR_RETURN(auto set, ErasureSet::Open(env, options));
//   COFFER_RETURN_IF_ERROR(set->MakeBucket("photos"));
//
// Every drive carries a format file (set id, drive index, layout). Open()
// formats a set of empty drives, orders drives by their recorded index (so
// swapped folders are fine), refuses drives of another set, and adopts an
// empty drive in place of a missing one (a replaced disk), then heals it in
// the background through env.scheduler().
//
// Quorum: a write needs `data` drives (`data + 1` when data == parity) or it
// is rolled back and fails with kUnavailable; a read needs `data` drives that
// agree on the version and `data` shards whose checksums verify.
//
// Every ObjectInfo it returns (Put, Get, Stat, Complete, PutObjectTags and
// both listings) carries the version's stored headers, tags and part sizes;
// the listings read each key's metadata anyway, so this costs them nothing.
// PutObjectTags rewrites only the version's metadata on a write quorum (rolled
// back below it), never its shards; a copy a crash left with the older tags
// loses to the newer one on read and is repaired by heal.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/storage/object_layer.h"
#include "coffer/env/env.h"

namespace coffer::core::storage {

struct ErasureSetOptions {
  // One location per drive (env::Env::OpenDrive); 2..32 drives.
  std::vector<std::string> drive_locations;
  // 0 picks DefaultParityShards(drives).
  int parity_shards = 0;
  std::uint32_t block_size_bytes = 1u << 20;
  // Objects up to this size live inside xl.meta (one shard per drive).
  std::uint64_t inline_threshold_bytes = 128u << 10;
  // Every part of a multipart upload but the last must be at least this big.
  std::uint64_t min_part_size_bytes = 5u << 20;
  // S3's limits: a single PUT or one part at most 5 GiB, an object (the sum
  // of its parts) at most 5 TiB. Beyond them calls fail with kInvalidArgument
  // and a message starting "EntityTooLarge"; a PUT whose announced size
  // (PutOptions::size_bytes) is too big fails before reading its body.
  std::uint64_t max_put_size_bytes = 5ull << 30;
  std::uint64_t max_object_size_bytes = 5ull << 40;
  // Reads that meet a missing or corrupt shard schedule a heal of the object.
  bool heal_on_read = true;
  // Open() formats an empty drive into a missing slot (and heals it). Off for
  // a dry run: the empty drive is then only reported.
  bool adopt_empty_drives = true;
};

// 4 drives: 2, 8: 2, 16: 4 (see the .cc for the whole table).
int DefaultParityShards(int drives);

enum class DriveState {
  kOk,        // Formatted member of this set.
  kMissing,   // Could not be opened or is offline.
  kForeign,   // Belongs to another set, or holds data without a format.
  kReplaced,  // Was empty and took a missing index; needs (or had) a heal.
};

struct DriveStatus {
  std::string location;
  // The drive's index in the set, -1 when it has none.
  int index = -1;
  DriveState state = DriveState::kOk;
  std::string detail;
};

struct HealOptions {
  // Report what would be repaired without changing any drive.
  bool dry_run = false;
};

enum class HealOutcome {
  kHealthy,        // Every shard and metadata copy verified.
  kHealed,         // Something was repaired; now every copy verifies.
  kWouldHeal,      // Dry run: something needs repair.
  kUnrecoverable,  // Too few good shards or metadata copies.
  kFailed,         // Repair was attempted and an I/O error stopped it.
};

struct HealObjectResult {
  std::string bucket;
  std::string key;
  HealOutcome outcome = HealOutcome::kHealthy;
  // One sentence per repair (or, in a dry run, per needed repair).
  std::vector<std::string> actions;
};

struct HealReport {
  std::vector<DriveStatus> drives;
  std::vector<std::string> bucket_actions;
  std::vector<HealObjectResult> objects;
  std::uint64_t healthy = 0;
  std::uint64_t healed = 0;
  std::uint64_t unrecoverable = 0;
  std::uint64_t failed = 0;
};

class ErasureSet final : public ObjectLayer {
 public:
  // Opens (formatting when all are empty) the drives of `options`. The Env
  // must outlive the set. Errors: kInvalidArgument for a bad layout,
  // kFailedPrecondition when the drives' format disagrees with the options,
  // kUnavailable when fewer than `data` drives of the set can be opened.
  static base::Result<std::unique_ptr<ErasureSet>> Open(env::Env& env,
                                                        const ErasureSetOptions& options);
  ~ErasureSet() override;
  ErasureSet(const ErasureSet&) = delete;
  ErasureSet& operator=(const ErasureSet&) = delete;

  int data_shards() const;
  int parity_shards() const;
  // The drives as found at Open or by the last HealAll, by location.
  std::vector<DriveStatus> Drives() const;

  // Verifies and repairs one object (every version). Thread-safe.
  base::Result<HealObjectResult> HealObject(std::string_view bucket, std::string_view key,
                                            const HealOptions& options);
  // Re-examines the drives (adopting emptied ones), then verifies and repairs
  // every bucket and object. Returns kUnavailable when fewer than `data`
  // drives answer. Thread-safe.
  base::Result<HealReport> HealAll(const HealOptions& options);

  base::Status MakeBucket(std::string_view bucket) override;
  base::Result<BucketInfo> GetBucketInfo(std::string_view bucket) override;
  base::Result<std::vector<BucketInfo>> ListBuckets() override;
  base::Status DeleteBucket(std::string_view bucket) override;
  base::Status SetBucketVersioning(std::string_view bucket, VersioningState state) override;
  base::Result<ObjectInfo> PutObject(std::string_view bucket, std::string_view key,
                                     BodySource& body, const PutOptions& options) override;
  base::Result<ObjectInfo> GetObject(std::string_view bucket, std::string_view key,
                                     const GetOptions& options, ObjectSink& sink) override;
  base::Result<ObjectInfo> StatObject(std::string_view bucket, std::string_view key,
                                      std::string_view version_id) override;
  base::Result<DeleteResult> DeleteObject(std::string_view bucket, std::string_view key,
                                          std::string_view version_id) override;
  base::Result<ObjectInfo> PutObjectTags(std::string_view bucket, std::string_view key,
                                         std::string_view version_id,
                                         std::string_view tags) override;
  // Replaces the SSE record (ObjectInfo::encryption) of a version without
  // touching its data, as PutObjectTags does for tags (quorum rewrite of the
  // metadata, rolled back on failure): `coffer kms rewrap` (UpdateObjectEncryption).
  // kAborted when the stored record is no longer `expected` (the version was
  // rewritten meanwhile); kNotFound/kInvalidArgument as PutObjectTags.
  base::Result<ObjectInfo> UpdateObjectEncryption(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id,
                                                  std::string_view expected,
                                                  std::string_view encryption);
  base::Result<ListResult> ListObjects(std::string_view bucket,
                                       const ListOptions& options) override;
  base::Result<ListVersionsResult> ListObjectVersions(std::string_view bucket,
                                                      const ListVersionsOptions& options) override;
  base::Result<std::string> NewMultipartUpload(std::string_view bucket, std::string_view key,
                                               const PutOptions& options) override;
  base::Result<PartInfo> PutObjectPart(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id, std::uint32_t number,
                                       BodySource& body) override;
  base::Result<ObjectInfo> StatMultipartUpload(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id) override;
  base::Result<std::vector<PartInfo>> ListParts(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id) override;
  base::Result<ObjectInfo> CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                                   std::string_view upload_id,
                                                   const std::vector<CompletePart>& parts) override;
  base::Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                    std::string_view upload_id) override;
  base::Result<std::vector<UploadInfo>> ListMultipartUploads(std::string_view bucket,
                                                             std::string_view prefix) override;

  class Core;

 private:
  explicit ErasureSet(std::shared_ptr<Core> core);
  // Shared with background heal tasks, which hold it weakly.
  std::shared_ptr<Core> core_;
};

}  // namespace coffer::core::storage
