#pragma once
// The private state and helpers of an ErasureSet, shared by the files that
// implement it: drive formats and opening (set_open.cc), quorum metadata
// (quorum.cc), buckets (buckets.cc), shard streaming (shard_io.cc), objects
// (objects.cc), listing (listing.cc), multipart (multipart.cc) and healing
// (heal.cc).
//
// On-drive layout (paths relative to the drive root):
//   .coffer.sys/format            the drive's format (set, index, layout)
//   .coffer.sys/staging/<uuid>/   shards being written; removed at Open
//   buckets/<b>/bucket.meta       bucket creation time and versioning
//   buckets/<b>/o/<hex key>/xl.meta           the object's versions
//   buckets/<b>/o/<hex key>/d-<uuid>/part.N   this drive's shard of part N
//   buckets/<b>/u/<upload id>/...             multipart uploads in progress
// Keys are cut into segments, each ending after a '/' or after 100 bytes,
// whichever comes first, and each segment is hex-encoded into one folder
// name (<= 200 characters, under NAME_MAX): "photos/2024/a.jpg" lives in
// o/70686f746f732f/323032342f/612e6a7067/. Hex keeps byte order, and a
// segment that is a proper prefix of a sibling never has children, so a
// depth-first walk of sorted folder names yields keys in S3's byte order, and
// a listing descends only into the folders that can hold what it returns
// (listing.cc). Format 1 drives (one flat folder per 100 bytes of key) are
// migrated to this layout when the set opens (set_open.cc).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/core/storage/erasure_coder.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/core/storage/xl_meta.h"
#include "coffer/env/env.h"

namespace coffer::core::storage {

inline constexpr std::string_view kFormatPath = ".coffer.sys/format";
inline constexpr std::string_view kStagingDir = ".coffer.sys/staging";
inline constexpr std::string_view kBucketsDir = "buckets";
inline constexpr std::string_view kXlMetaName = "xl.meta";

// Reader/writer locks by name (an object key, a bucket, an upload part):
// readers of one name share, a writer excludes everyone. Thread-safe.
class KeyLocks {
 public:
  class Guard {
   public:
    // Takes the lock of `name`, shared when `shared`, waiting as needed.
    Guard(KeyLocks& locks, std::string name, bool shared = false);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    KeyLocks& locks_;
    std::string name_;
    bool shared_;
  };

 private:
  struct State {
    int readers = 0;
    bool writer = false;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, State> held_;
};

// What one drive answered for one metadata file.
struct DriveMeta {
  // kOk with a value, kNotFound, or an error (offline, I/O, corrupt).
  std::optional<base::Error> error;
  XlMeta meta;
  std::string raw;  // The bytes read, to roll back to.
  // The drive returned bytes that fail to decode (rot, torn write): it
  // answered, and holds no usable version. A read error is not an answer.
  bool corrupt = false;
  bool found() const { return !error.has_value(); }
  bool not_found() const { return error && error->code() == base::ErrorCode::kNotFound; }
  // Answered without any version: nothing there, or nothing usable.
  bool answered_empty() const { return not_found() || corrupt; }
};

// The versions a read quorum of drives agree on, newest first, with the
// drives that hold each.
struct AgreedVersion {
  ObjectVersion version;  // shard_index/inline_shard of the first holder.
  std::vector<bool> holders;
};

struct Resolved {
  std::vector<DriveMeta> metas;
  std::vector<AgreedVersion> versions;
  // Drives that answered (found or not found), as opposed to erring.
  int answered = 0;
};

// Returns the path of a key's object folder in `bucket`.
std::string ObjectDir(std::string_view bucket, std::string_view key);
// The longest key segment (one folder name is its hex, 200 characters).
inline constexpr std::size_t kSegmentBytes = 100;
// Cuts a key into its folder segments (see the layout above).
std::vector<std::string_view> KeySegments(std::string_view key);
// True when a folder named `hex_segment` may hold longer keys' folders: its
// segment ends with '/' or is kSegmentBytes long. Other folders hold only
// their own key's xl.meta and data.
bool SegmentMayHoldChildren(std::string_view hex_segment);
std::string BucketDir(std::string_view bucket);
// Hex helpers shared by listing and paths.
std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);
base::Status ValidateBucketName(std::string_view bucket);
base::Status ValidateObjectKey(std::string_view key);
// The public version id of a stored one ("" is "null").
std::string PublicVersionId(std::string_view stored);
ObjectInfo ToObjectInfo(std::string_view bucket, std::string_view key, const ObjectVersion& v,
                        bool is_latest);

class ErasureSet::Core {
 public:
  Core(env::Env& env, ErasureSetOptions options, ErasureCoder coder);

  env::Env& env() { return env_; }
  const ErasureSetOptions& options() const { return options_; }
  const ErasureCoder& coder() const { return coder_; }
  int drives() const { return static_cast<int>(slots_.size()); }
  int data() const { return coder_.data_shards(); }
  int parity() const { return coder_.parity_shards(); }
  int write_quorum() const { return data() + (data() == parity() ? 1 : 0); }
  int read_quorum() const { return data(); }
  // The drive at `index`, or null when missing.
  env::Drive* drive(int index) { return slots_[static_cast<std::size_t>(index)].drive.get(); }
  KeyLocks& locks() { return locks_; }

  // --- set_open.cc ---
  base::Status OpenDrives();
  std::vector<DriveStatus> DriveStatuses() const;
  // Re-reads every drive's format and adopts emptied ones. Returns actions.
  std::vector<std::string> RefreshDrives(bool dry_run);
  void set_self(std::weak_ptr<Core> self) { self_ = std::move(self); }

  // --- helpers (set_core.cc) ---
  std::string NewUuid();
  std::string NewMd5Etag(std::string_view data);
  // The drive that holds shard `shard` of an object whose order starts at `start`.
  int DriveOfShard(int start, int shard) const { return (start + shard) % drives(); }
  int ShardOfDrive(int start, int drive) const { return (drive - start + drives()) % drives(); }
  int DistributionStart(std::string_view key) const;
  base::WallTime Now() { return env_.clock().Now(); }
  // Posts a background heal of one object unless one is pending.
  void ScheduleHeal(std::string_view bucket, std::string_view key);

  // --- quorum.cc ---
  std::vector<DriveMeta> ReadMetas(std::string_view path);
  Resolved Resolve(std::string_view bucket, std::string_view key);
  // Resolve for any metadata file (multipart uploads and parts).
  Resolved ResolvePath(std::string_view meta_path);
  // False when drive d is missing or answered "offline" in `r`.
  bool Reachable(const Resolved& r, int d);
  // Finds a version ("" stored id for null) among the agreed ones.
  base::Result<const AgreedVersion*> FindVersion(const Resolved& r, std::string_view bucket,
                                                 std::string_view key, std::string_view version_id);
  // Writes per-drive metadata lists; returns which drives succeeded.
  std::vector<bool> WriteMetas(std::string_view path, const std::vector<std::optional<XlMeta>>& m);
  // Builds drive `d`'s list from the agreed versions: its own copy of each
  // version when it holds one, else the shared fields without inline data.
  XlMeta DriveList(const Resolved& r, int d, const std::vector<AgreedVersion>& versions);
  base::Result<BucketInfo> ReadBucket(std::string_view bucket);
  // Copies the agreed bucket.meta to drives that lack it (buckets.cc).
  std::vector<std::string> HealBucket(std::string_view bucket, bool dry_run);
  // Stores `version` as the newest version of the key; `replace` are the
  // stored version ids it supersedes. Renames staging/<staged> into the object
  // folder first when staged is non-empty. Rolls back without quorum.
  base::Status CommitVersion(std::string_view bucket, std::string_view key, const Resolved& r,
                             const ObjectVersion& version,
                             const std::vector<std::string>& inline_shards, std::string_view staged,
                             const std::vector<std::string>& replace,
                             const std::vector<bool>& usable = {},
                             bool drop_data_on_failure = true);

  // Replaces the shared metadata of the agreed version with stored id
  // `updated.version_id` by `updated` (which must have a newer
  // meta_mod_time_ns) on every drive, each keeping its own shard index and
  // inline shard; data untouched. Two phases as CommitVersion; kUnavailable
  // and every drive as before when the first misses write quorum.
  base::Status RewriteVersion(std::string_view bucket, std::string_view key, const Resolved& r,
                              const ObjectVersion& updated);
  // Drops the versions with stored ids in `remove` (all drives, quorum,
  // rollback) and then their data folders.
  base::Status RemoveVersions(std::string_view bucket, std::string_view key, const Resolved& r,
                              const std::vector<std::string>& remove);
  // Removes staging/<staged> on every drive.
  void DropStaging(std::string_view staged);
  // A modification time for a new version: now, but after every agreed one,
  // so "newest first" survives a clock that steps back.
  std::int64_t NextModTime(const Resolved& r);

  // The per-drive lists `version` + `others` for the usable drives.
  std::vector<std::optional<XlMeta>> ListsWith(const Resolved& r, const ObjectVersion& version,
                                               const std::vector<std::string>& inline_shards,
                                               const std::vector<AgreedVersion>& others,
                                               const std::vector<bool>& usable);
  // Puts back the metadata `r` read on drives in `written`; removes data_dir.
  void RollBack(const Resolved& r, std::string_view meta_path, const std::vector<bool>& written,
                std::string_view data_dir);

  // --- shard_io.cc ---
  // Encodes `body` into shard files staging/<staged>/part.<part> on every
  // drive (or inline shards when the body is small and `allow_inline`).
  struct Encoded {
    std::uint64_t size_bytes = 0;
    std::string md5_hex;
    bool inlined = false;
    std::vector<std::string> inline_shards;
    std::vector<bool> ok;  // Drives whose shard was written.
  };
  base::Result<Encoded> EncodeBody(BodySource& body, int start, std::string_view staged,
                                   std::uint32_t part, bool allow_inline);
  // Streams bytes [offset, offset+length) of one part to `sink`.
  struct PartSource {
    const Resolved* resolved = nullptr;
    const AgreedVersion* version = nullptr;
    std::string dir;  // Object folder + data dir; unused when inlined.
    std::uint32_t part_number = 1;
    std::uint64_t part_size = 0;
  };
  base::Status ReadPart(const PartSource& src, std::uint64_t offset, std::uint64_t length,
                        ObjectSink& sink, std::vector<bool>& bad_drives);
  // Verifies the shard of one part on drive d; kDataLoss when it does not.
  base::Status VerifyShard(const PartSource& src, int d);
  // Rebuilds the shards of one part for drives in `targets` into
  // staging/<staged>/part.N (or returns inline shards). Returns per-drive data
  // for inline versions.
  base::Result<std::vector<std::string>> RebuildPart(const PartSource& src,
                                                     const std::vector<bool>& good,
                                                     const std::vector<bool>& targets,
                                                     std::string_view staged);

  // --- heal.cc ---
  base::Result<HealObjectResult> HealObjectLocked(std::string_view bucket, std::string_view key,
                                                  bool dry_run);
  // Verifies and repairs one multipart upload's metadata and part shards.
  HealObjectResult HealUpload(std::string_view bucket, std::string_view upload_id, bool dry_run);
  // --- listing.cc ---
  base::Result<std::vector<std::string>> CollectBuckets();

 private:
  struct Slot {
    std::string location;
    std::unique_ptr<env::Drive> drive;
    DriveStatus status;
  };

  env::Env& env_;
  ErasureSetOptions options_;
  ErasureCoder coder_;
  std::vector<Slot> slots_;
  std::vector<DriveStatus> extra_;  // Drives that got no slot (foreign).
  KeyLocks locks_;
  mutable std::mutex mu_;  // Guards slots_[i].status, random, heal_pending_.
  std::set<std::pair<std::string, std::string>> heal_pending_;
  std::weak_ptr<Core> self_;

  friend class SetOpener;
};

// A walk of a bucket's keys in byte order, depth first through the key
// folders (see the layout above), merging the drives' listings one folder at
// a time: memory is the folders on the current path, and the work follows
// what the caller consumes, as the walk descends only into folders that can
// hold a key under the prefix and past the current bound, and stops when the
// visitor says so. A folder is walked when a read quorum of drives answers
// its listing (an absent folder is an answer), else Run fails with
// kUnavailable. A key is offered when any drive has it; the caller resolves
// quorum. Not thread-safe; keys may change under a walk (each folder is
// listed once, when reached).
class KeyWalker {
 public:
  enum class Step { kNext, kStop };
  // `exact`: offer only keys whose xl.meta is on some drive, listing every
  // folder. Otherwise a folder that cannot hold longer keys is offered
  // without listing it (the caller's metadata read tells whether it is
  // there), which saves one listing per key.
  KeyWalker(ErasureSet::Core& core, std::string_view bucket, std::string_view prefix, bool exact);
  // Offers only keys after `key` (and `key` itself when `inclusive`).
  void StartAfter(std::string_view key, bool inclusive = false);
  // Skips every key that starts with `prefix`, and every key before it. May
  // be called from the visitor, with a prefix of the key being visited.
  void SkipPrefix(std::string_view prefix);
  // Calls `visit` for each key in order until it returns kStop.
  base::Status Run(const std::function<Step(const std::string& key)>& visit);

 private:
  // Keys under the folder with hex path `hex` may pass the prefix and bound.
  bool MayHold(const std::string& hex) const;
  bool Passes(const std::string& hex) const;
  base::Status WalkDir(const std::string& dir, const std::string& hex);
  base::Status Offer(const std::string& hex);

  ErasureSet::Core& core_;
  std::string root_;
  std::string prefix_;  // Hex, as every bound below.
  std::string bound_;
  bool bound_inclusive_ = false;
  bool bound_skips_prefix_ = false;  // Keys starting with bound_ are skipped.
  bool exact_;
  bool stop_ = false;
  const std::function<Step(const std::string&)>* visit_ = nullptr;
};

}  // namespace coffer::core::storage
