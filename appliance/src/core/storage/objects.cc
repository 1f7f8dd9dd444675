// Single objects: put, get, stat, delete and tag updates, on top of quorum
// metadata and shard streaming.

#include <algorithm>

#include "coffer/base/bytes.h"

#include "set_core.h"

namespace coffer::core::storage {

using Core = ErasureSet::Core;

int DefaultParityShards(int drives) {
  if (drives <= 3) return 1;
  if (drives <= 8) return 2;
  if (drives <= 12) return 3;
  return 4;
}

base::Result<std::unique_ptr<ErasureSet>> ErasureSet::Open(env::Env& env,
                                                           const ErasureSetOptions& options) {
  const int n = static_cast<int>(options.drive_locations.size());
  if (n < 2 || n > 32) return base::InvalidArgument("an erasure set needs 2..32 drives");
  const int parity = options.parity_shards == 0 ? DefaultParityShards(n) : options.parity_shards;
  if (parity < 1 || parity > n / 2) {
    return base::InvalidArgument("parity must be between 1 and half the drives");
  }
  if (options.block_size_bytes < 4096 || options.block_size_bytes > (64u << 20)) {
    return base::InvalidArgument("block size must be between 4 KiB and 64 MiB");
  }
  COFFER_ASSIGN_OR_RETURN(ErasureCoder coder, ErasureCoder::Create(n - parity, parity));
  auto core = std::make_shared<Core>(env, options, std::move(coder));
  core->set_self(core);
  COFFER_RETURN_IF_ERROR(core->OpenDrives());
  auto set = std::unique_ptr<ErasureSet>(new ErasureSet(core));
  for (const DriveStatus& d : core->DriveStatuses()) {
    if (d.state != DriveState::kReplaced) continue;
    // A replaced drive holds nothing yet: rebuild everything in the background.
    std::weak_ptr<Core> weak = core;
    env.scheduler().Post([weak] {
      if (auto c = weak.lock()) {
        ErasureSet view(c);
        (void)view.HealAll(HealOptions{});
      }
    });
    break;
  }
  return set;
}

ErasureSet::ErasureSet(std::shared_ptr<Core> core) : core_(std::move(core)) {}
ErasureSet::~ErasureSet() = default;
int ErasureSet::data_shards() const { return core_->data(); }
int ErasureSet::parity_shards() const { return core_->parity(); }
std::vector<DriveStatus> ErasureSet::Drives() const { return core_->DriveStatuses(); }

void Core::DropStaging(std::string_view staged) {
  for (int d = 0; d < drives(); ++d) {
    if (env::Drive* drv = drive(d)) {
      (void)drv->RemoveAll(std::string(kStagingDir) + "/" + std::string(staged));
    }
  }
}

std::int64_t Core::NextModTime(const Resolved& r) {
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Now().time_since_epoch()).count();
  std::int64_t newest = 0;
  for (const AgreedVersion& v : r.versions) newest = std::max(newest, v.version.mod_time_ns);
  return std::max(now, newest + 1);
}

base::Status Core::RemoveVersions(std::string_view bucket, std::string_view key, const Resolved& r,
                                  const std::vector<std::string>& remove) {
  const std::string dir = ObjectDir(bucket, key);
  const std::string meta_path = dir + "/" + std::string(kXlMetaName);
  std::vector<AgreedVersion> kept;
  std::vector<std::string> dirs;
  for (const AgreedVersion& v : r.versions) {
    if (std::find(remove.begin(), remove.end(), v.version.version_id) == remove.end()) {
      kept.push_back(v);
    } else if (!v.version.data_dir.empty()) {
      dirs.push_back(v.version.data_dir);
    }
  }
  std::vector<std::optional<XlMeta>> lists(static_cast<std::size_t>(drives()));
  for (int d = 0; d < drives(); ++d) lists[static_cast<std::size_t>(d)] = DriveList(r, d, kept);
  const std::vector<bool> ok = WriteMetas(meta_path, lists);
  if (std::count(ok.begin(), ok.end(), true) < write_quorum()) {
    RollBack(r, meta_path, ok, "");
    return base::Unavailable("insufficient write quorum deleting " + std::string(key));
  }
  for (int d = 0; d < drives(); ++d) {
    env::Drive* drv = drive(d);
    if (drv == nullptr) continue;
    for (const std::string& old : dirs) (void)drv->RemoveAll(dir + "/" + old);
    if (kept.empty()) {
      // Empty folders up to the bucket; Remove refuses non-empty ones, which
      // hold longer keys.
      std::string path = dir;
      const std::string stop = BucketDir(bucket) + "/o";
      while (path.size() > stop.size() && drv->Remove(path)) path.resize(path.rfind('/'));
    }
  }
  return base::Ok();
}

base::Result<ObjectInfo> ErasureSet::PutObject(std::string_view bucket, std::string_view key,
                                               BodySource& body, const PutOptions& options) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (options.size_bytes && *options.size_bytes > core_->options().max_put_size_bytes) {
    return base::InvalidArgument("EntityTooLarge: a single PUT may have at most " +
                                 std::to_string(core_->options().max_put_size_bytes) + " bytes");
  }
  COFFER_ASSIGN_OR_RETURN(BucketInfo binfo, core_->ReadBucket(bucket));
  const int start = core_->DistributionStart(key);
  const std::string staged = core_->NewUuid();
  auto encoded = core_->EncodeBody(body, start, staged, 1, /*allow_inline=*/true);
  if (!encoded) {
    core_->DropStaging(staged);
    return encoded.error();
  }
  if (options.size_bytes && *options.size_bytes != encoded->size_bytes) {
    core_->DropStaging(staged);
    return base::InvalidArgument("body has " + std::to_string(encoded->size_bytes) +
                                 " bytes, announced " + std::to_string(*options.size_bytes));
  }
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key));
  const Resolved r = core_->Resolve(bucket, key);
  ObjectVersion v;
  const bool versioned = binfo.versioning == VersioningState::kEnabled;
  v.version_id = versioned ? core_->NewUuid() : "";
  v.mod_time_ns = core_->NextModTime(r);
  v.size_bytes = encoded->size_bytes;
  v.etag = encoded->md5_hex;
  v.content_type = options.content_type;
  v.user_metadata = options.user_metadata;
  v.headers = options.headers;
  v.tags = options.tags;
  v.encryption = options.encryption;
  v.data_dir = encoded->inlined ? "" : "d-" + staged;
  v.erasure = ErasureMeta{static_cast<std::uint8_t>(core_->data()),
                          static_cast<std::uint8_t>(core_->parity()),
                          core_->options().block_size_bytes, static_cast<std::uint8_t>(start), 0};
  v.parts.push_back(PartMeta{1, v.size_bytes, v.etag});
  v.inlined = encoded->inlined;
  std::vector<std::string> replace;
  if (!versioned) replace.push_back("");
  auto status = core_->CommitVersion(bucket, key, r, v, encoded->inline_shards,
                                     encoded->inlined ? "" : staged, replace);
  core_->DropStaging(staged);
  COFFER_RETURN_IF_ERROR(status);
  return ToObjectInfo(bucket, key, v, true);
}

namespace {

base::Status CheckBucketForMissingKey(Core& core, std::string_view bucket,
                                      const base::Error& error) {
  if (error.code() != base::ErrorCode::kNotFound) return error;
  COFFER_RETURN_IF_ERROR(core.ReadBucket(bucket));
  return error;
}

}  // namespace

base::Result<ObjectInfo> ErasureSet::GetObject(std::string_view bucket, std::string_view key,
                                               const GetOptions& options, ObjectSink& sink) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  // Readers share the key: a PUT waits for reads in flight, so it never
  // removes shards that a read is streaming.
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key),
                        /*shared=*/true);
  const Resolved r = core_->Resolve(bucket, key);
  auto found = core_->FindVersion(r, bucket, key, options.version_id);
  if (!found) return CheckBucketForMissingKey(*core_, bucket, found.error()).error();
  const AgreedVersion& agreed = **found;
  const ObjectVersion& v = agreed.version;
  if (v.kind == VersionKind::kDeleteMarker) {
    return base::NotFound("delete marker: " + std::string(key));
  }
  if (options.offset > 0 && options.offset >= v.size_bytes) {
    return base::OutOfRange("range starts beyond the object size");
  }
  const std::uint64_t length =
      std::min(options.length.value_or(v.size_bytes), v.size_bytes - options.offset);
  std::vector<bool> bad(static_cast<std::size_t>(core_->drives()), false);
  std::uint64_t part_start = 0;
  base::Status status;
  for (const PartMeta& part : v.parts) {
    const std::uint64_t from = std::max(options.offset, part_start);
    const std::uint64_t to = std::min(options.offset + length, part_start + part.size_bytes);
    if (from < to) {
      Core::PartSource src{&r, &agreed, ObjectDir(bucket, key) + "/" + v.data_dir, part.number,
                           part.size_bytes};
      status = core_->ReadPart(src, from - part_start, to - from, sink, bad);
      if (!status) break;
    }
    part_start += part.size_bytes;
  }
  // Heal only what a heal can fix: a reachable drive with a missing or bad
  // copy. An offline drive would make every read re-verify the whole object.
  bool degraded = false;
  for (int d = 0; d < core_->drives(); ++d) {
    const auto i = static_cast<std::size_t>(d);
    degraded |= (bad[i] || !agreed.holders[i]) && core_->Reachable(r, d);
  }
  if (degraded && core_->options().heal_on_read) core_->ScheduleHeal(bucket, key);
  COFFER_RETURN_IF_ERROR(status);
  return ToObjectInfo(bucket, key, v, &agreed == &r.versions.front());
}

base::Result<ObjectInfo> ErasureSet::StatObject(std::string_view bucket, std::string_view key,
                                                std::string_view version_id) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  // Readers share the key: a PUT waits for reads in flight, so it never
  // removes shards that a read is streaming.
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key),
                        /*shared=*/true);
  const Resolved r = core_->Resolve(bucket, key);
  auto found = core_->FindVersion(r, bucket, key, version_id);
  if (!found) return CheckBucketForMissingKey(*core_, bucket, found.error()).error();
  const ObjectVersion& v = (*found)->version;
  if (v.kind == VersionKind::kDeleteMarker && version_id.empty()) {
    return base::NotFound("delete marker: " + std::string(key));
  }
  return ToObjectInfo(bucket, key, v, *found == &r.versions.front());
}

base::Result<DeleteResult> ErasureSet::DeleteObject(std::string_view bucket, std::string_view key,
                                                    std::string_view version_id) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  COFFER_ASSIGN_OR_RETURN(BucketInfo binfo, core_->ReadBucket(bucket));
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key));
  const Resolved r = core_->Resolve(bucket, key);
  if (r.versions.empty() && r.answered < core_->read_quorum()) {
    return base::Unavailable("read quorum not met for " + std::string(key));
  }
  if (!version_id.empty() || binfo.versioning == VersioningState::kUnversioned) {
    const std::string stored =
        version_id.empty() || version_id == kNullVersionId ? "" : std::string(version_id);
    const bool exists = std::any_of(r.versions.begin(), r.versions.end(),
                                    [&](const auto& v) { return v.version.version_id == stored; });
    // S3 answers a delete of something absent with success.
    if (!exists) return DeleteResult{PublicVersionId(stored), false};
    COFFER_RETURN_IF_ERROR(core_->RemoveVersions(bucket, key, r, {stored}));
    return DeleteResult{PublicVersionId(stored), false};
  }
  ObjectVersion marker;
  marker.kind = VersionKind::kDeleteMarker;
  const bool enabled = binfo.versioning == VersioningState::kEnabled;
  marker.version_id = enabled ? core_->NewUuid() : "";
  marker.mod_time_ns = core_->NextModTime(r);
  marker.erasure =
      ErasureMeta{static_cast<std::uint8_t>(core_->data()),
                  static_cast<std::uint8_t>(core_->parity()), core_->options().block_size_bytes,
                  static_cast<std::uint8_t>(core_->DistributionStart(key)), 0};
  std::vector<std::string> replace;
  if (!enabled) replace.push_back("");
  COFFER_RETURN_IF_ERROR(core_->CommitVersion(bucket, key, r, marker, {}, "", replace));
  return DeleteResult{PublicVersionId(marker.version_id), true};
}

base::Result<ObjectInfo> ErasureSet::PutObjectTags(std::string_view bucket, std::string_view key,
                                                   std::string_view version_id,
                                                   std::string_view tags) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key));
  const Resolved r = core_->Resolve(bucket, key);
  auto found = core_->FindVersion(r, bucket, key, version_id);
  if (!found) return CheckBucketForMissingKey(*core_, bucket, found.error()).error();
  const AgreedVersion& agreed = **found;
  if (agreed.version.kind == VersionKind::kDeleteMarker) {
    if (version_id.empty()) return base::NotFound("delete marker: " + std::string(key));
    return base::InvalidArgument("a delete marker has no tags: " + std::string(version_id));
  }
  ObjectVersion updated = agreed.version;
  updated.tags = std::string(tags);
  // Strictly after the copy it replaces, even if the clock stepped back.
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(core_->Now().time_since_epoch()).count();
  updated.meta_mod_time_ns = std::max(now, agreed.version.meta_mod_time_ns + 1);
  COFFER_RETURN_IF_ERROR(core_->RewriteVersion(bucket, key, r, updated));
  return ToObjectInfo(bucket, key, updated, &agreed == &r.versions.front());
}

// UpdateObjectEncryption: PutObjectTags' metadata-only rewrite, guarded by
// the record the caller read, so a concurrent overwrite is never clobbered.
base::Result<ObjectInfo> ErasureSet::UpdateObjectEncryption(std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view version_id,
                                                            std::string_view expected,
                                                            std::string_view encryption) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key));
  const Resolved r = core_->Resolve(bucket, key);
  auto found = core_->FindVersion(r, bucket, key, version_id);
  if (!found) return CheckBucketForMissingKey(*core_, bucket, found.error()).error();
  const AgreedVersion& agreed = **found;
  if (agreed.version.kind == VersionKind::kDeleteMarker) {
    return base::InvalidArgument("a delete marker has no encryption: " + std::string(key));
  }
  if (agreed.version.encryption != expected) {
    return base::Aborted("the encryption record of " + std::string(key) + " changed");
  }
  ObjectVersion updated = agreed.version;
  updated.encryption = std::string(encryption);
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(core_->Now().time_since_epoch()).count();
  updated.meta_mod_time_ns = std::max(now, agreed.version.meta_mod_time_ns + 1);
  COFFER_RETURN_IF_ERROR(core_->RewriteVersion(bucket, key, r, updated));
  return ToObjectInfo(bucket, key, updated, &agreed == &r.versions.front());
}

}  // namespace coffer::core::storage
