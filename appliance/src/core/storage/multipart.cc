// Multipart uploads. Each upload is a folder beside the objects,
//   buckets/<b>/u/<upload id>/upload.meta          key, options, start time
//   buckets/<b>/u/<upload id>/part.<N>.meta        size, ETag, data folder
//   buckets/<b>/u/<upload id>/d-<uuid>/part.<N>    this drive's shard
// stored with the same xl.meta format and quorum rules as objects. A part
// re-uploaded gets a new data folder, so its metadata never points at a mix
// of old and new shards. Complete renames the part shards into a new data
// folder of the object and commits one version listing every part.

#include <algorithm>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/md5.h"

#include "set_core.h"

namespace coffer::core::storage {

using Core = ErasureSet::Core;

namespace {

constexpr std::uint32_t kMaxPartNumber = 10000;

base::Status ValidateUploadId(std::string_view id) {
  const bool ok = id.size() == 36 && std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
                  });
  if (!ok) return base::NotFound("no such upload: " + std::string(id));
  return base::Ok();
}

std::string UploadDir(std::string_view bucket, std::string_view id) {
  return BucketDir(bucket) + "/u/" + std::string(id);
}

std::string PartMetaPath(std::string_view bucket, std::string_view id, std::uint32_t n) {
  return UploadDir(bucket, id) + "/part." + std::to_string(n) + ".meta";
}

// Reads the upload's agreed record; the key is kept in its version_id field.
base::Result<ObjectVersion> ReadUpload(Core& core, std::string_view bucket, std::string_view key,
                                       std::string_view id) {
  COFFER_RETURN_IF_ERROR(ValidateUploadId(id));
  const Resolved r = core.ResolvePath(UploadDir(bucket, id) + "/upload.meta");
  if (r.versions.empty()) {
    if (r.answered < core.read_quorum()) return base::Unavailable("read quorum not met");
    return base::NotFound("no such upload: " + std::string(id));
  }
  if (r.versions.front().version.version_id != key) {
    return base::NotFound("no such upload for this key: " + std::string(id));
  }
  return r.versions.front().version;
}

// Writes one metadata list to every usable drive; kUnavailable below quorum.
base::Status WriteEverywhere(Core& core, std::string_view path, const ObjectVersion& v,
                             const std::vector<bool>& usable) {
  std::vector<std::optional<XlMeta>> lists(static_cast<std::size_t>(core.drives()));
  for (int d = 0; d < core.drives(); ++d) {
    if (!usable.empty() && !usable[static_cast<std::size_t>(d)]) continue;
    ObjectVersion mine = v;
    mine.erasure.shard_index =
        static_cast<std::uint8_t>(core.ShardOfDrive(v.erasure.distribution_start, d));
    lists[static_cast<std::size_t>(d)] = XlMeta{{std::move(mine)}};
  }
  const std::vector<bool> ok = core.WriteMetas(path, lists);
  if (std::count(ok.begin(), ok.end(), true) < core.write_quorum()) {
    return base::Unavailable("insufficient write quorum for " + std::string(path));
  }
  return base::Ok();
}

}  // namespace

base::Result<std::string> ErasureSet::NewMultipartUpload(std::string_view bucket,
                                                         std::string_view key,
                                                         const PutOptions& options) {
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  COFFER_RETURN_IF_ERROR(core_->ReadBucket(bucket));
  const std::string id = core_->NewUuid();
  ObjectVersion v;
  v.version_id = std::string(key);
  v.mod_time_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(core_->Now().time_since_epoch()).count();
  v.content_type = options.content_type;
  v.user_metadata = options.user_metadata;
  // Headers and tags ride in the upload record; Complete copies them into the
  // object's version.
  v.headers = options.headers;
  v.tags = options.tags;
  v.encryption = options.encryption;
  v.erasure =
      ErasureMeta{static_cast<std::uint8_t>(core_->data()),
                  static_cast<std::uint8_t>(core_->parity()), core_->options().block_size_bytes,
                  static_cast<std::uint8_t>(core_->DistributionStart(key)), 0};
  auto status = WriteEverywhere(*core_, UploadDir(bucket, id) + "/upload.meta", v, {});
  if (!status) {
    for (int d = 0; d < core_->drives(); ++d) {
      if (env::Drive* drv = core_->drive(d)) (void)drv->RemoveAll(UploadDir(bucket, id));
    }
    return status.error();
  }
  return id;
}

base::Result<PartInfo> ErasureSet::PutObjectPart(std::string_view bucket, std::string_view key,
                                                 std::string_view upload_id, std::uint32_t number,
                                                 BodySource& body) {
  if (number < 1 || number > kMaxPartNumber) {
    return base::InvalidArgument("part number must be 1..10000");
  }
  COFFER_ASSIGN_OR_RETURN(ObjectVersion upload, ReadUpload(*core_, bucket, key, upload_id));
  const int start = upload.erasure.distribution_start;
  const std::string staged = core_->NewUuid();
  auto encoded = core_->EncodeBody(body, start, staged, number, /*allow_inline=*/false);
  if (!encoded) {
    core_->DropStaging(staged);
    return encoded.error();
  }
  KeyLocks::Guard guard(core_->locks(), std::string(upload_id) + "/" + std::to_string(number));
  const std::string meta_path = PartMetaPath(bucket, upload_id, number);
  const Resolved before = core_->ResolvePath(meta_path);
  ObjectVersion part = upload;
  part.version_id.clear();
  part.mod_time_ns = core_->NextModTime(before);
  part.size_bytes = encoded->size_bytes;
  part.etag = encoded->md5_hex;
  part.data_dir = "d-" + staged;
  part.parts = {PartMeta{number, part.size_bytes, part.etag}};
  std::vector<bool> usable(static_cast<std::size_t>(core_->drives()), false);
  for (int d = 0; d < core_->drives(); ++d) {
    env::Drive* drv = core_->drive(d);
    usable[static_cast<std::size_t>(d)] =
        drv != nullptr && encoded->ok[static_cast<std::size_t>(d)] &&
        drv->Rename(std::string(kStagingDir) + "/" + staged,
                    UploadDir(bucket, upload_id) + "/" + part.data_dir)
            .has_value();
  }
  auto status = WriteEverywhere(*core_, meta_path, part, usable);
  const std::string dropped =
      status ? (before.versions.empty() ? std::string() : before.versions.front().version.data_dir)
             : part.data_dir;
  for (int d = 0; d < core_->drives(); ++d) {
    env::Drive* drv = core_->drive(d);
    if (drv != nullptr && !dropped.empty()) {
      (void)drv->RemoveAll(UploadDir(bucket, upload_id) + "/" + dropped);
    }
  }
  core_->DropStaging(staged);
  COFFER_RETURN_IF_ERROR(status);
  return PartInfo{number, part.size_bytes, part.etag,
                  base::WallTime(std::chrono::nanoseconds(part.mod_time_ns))};
}

base::Result<std::vector<PartInfo>> ErasureSet::ListParts(std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view upload_id) {
  COFFER_RETURN_IF_ERROR(ReadUpload(*core_, bucket, key, upload_id));
  std::set<std::uint32_t> numbers;
  for (int d = 0; d < core_->drives(); ++d) {
    env::Drive* drv = core_->drive(d);
    if (drv == nullptr) continue;
    auto names = drv->List(UploadDir(bucket, upload_id));
    if (!names) continue;
    for (const std::string& n : *names) {
      if (!n.starts_with("part.") || !n.ends_with(".meta")) continue;
      const std::string digits = n.substr(5, n.size() - 10);
      if (digits.empty() || digits.size() > 5 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      numbers.insert(static_cast<std::uint32_t>(std::stoul(digits)));
    }
  }
  std::vector<PartInfo> out;
  for (const std::uint32_t n : numbers) {
    const Resolved r = core_->ResolvePath(PartMetaPath(bucket, upload_id, n));
    if (r.versions.empty()) continue;
    const ObjectVersion& v = r.versions.front().version;
    out.push_back(
        PartInfo{n, v.size_bytes, v.etag, base::WallTime(std::chrono::nanoseconds(v.mod_time_ns))});
  }
  return out;
}

namespace {

// Checks the client's part list against the uploaded parts and returns the
// agreed metadata of each, in order.
base::Result<std::vector<ObjectVersion>> CheckParts(Core& core, std::string_view bucket,
                                                    std::string_view upload_id,
                                                    const std::vector<CompletePart>& parts) {
  if (parts.empty()) return base::InvalidArgument("a multipart upload needs at least one part");
  std::vector<ObjectVersion> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0 && parts[i].number <= parts[i - 1].number) {
      return base::InvalidArgument("InvalidPartOrder: parts must be in ascending order");
    }
    const Resolved r = core.ResolvePath(PartMetaPath(bucket, upload_id, parts[i].number));
    if (r.versions.empty()) {
      return base::FailedPrecondition("InvalidPart: part " + std::to_string(parts[i].number) +
                                      " was not uploaded");
    }
    const ObjectVersion& v = r.versions.front().version;
    std::string want = parts[i].etag;
    std::erase(want, '"');
    if (want != v.etag) {
      return base::FailedPrecondition("InvalidPart: ETag of part " +
                                      std::to_string(parts[i].number) + " does not match");
    }
    if (i + 1 < parts.size() && v.size_bytes < core.options().min_part_size_bytes) {
      return base::InvalidArgument("EntityTooSmall: part " + std::to_string(parts[i].number));
    }
    out.push_back(v);
  }
  return out;
}

// Renames every part's shard between the upload folder (each part in its own
// data folder) and an object data folder, in either direction. Clears
// usable[d] for drives where a rename failed.
void MoveParts(Core& core, const std::string& from_root, const std::string& to_root,
               const std::vector<ObjectVersion>& parts, std::vector<bool>& usable) {
  const bool to_object = to_root.find("/o/") != std::string::npos;
  for (int d = 0; d < core.drives(); ++d) {
    env::Drive* drv = core.drive(d);
    bool ok = drv != nullptr && usable[static_cast<std::size_t>(d)];
    for (std::size_t i = 0; ok && i < parts.size(); ++i) {
      const std::string name = "/part." + std::to_string(parts[i].parts.front().number);
      const std::string upload_side = (to_object ? from_root : to_root) + "/" + parts[i].data_dir;
      const std::string from = to_object ? upload_side + name : from_root + name;
      const std::string to = to_object ? to_root + name : upload_side + name;
      ok = drv->Rename(from, to).has_value();
    }
    usable[static_cast<std::size_t>(d)] = ok;
  }
}

}  // namespace

base::Result<ObjectInfo> ErasureSet::CompleteMultipartUpload(
    std::string_view bucket, std::string_view key, std::string_view upload_id,
    const std::vector<CompletePart>& parts) {
  COFFER_ASSIGN_OR_RETURN(BucketInfo binfo, core_->ReadBucket(bucket));
  COFFER_ASSIGN_OR_RETURN(ObjectVersion upload, ReadUpload(*core_, bucket, key, upload_id));
  COFFER_ASSIGN_OR_RETURN(auto metas, CheckParts(*core_, bucket, upload_id, parts));
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key));
  const Resolved r = core_->Resolve(bucket, key);
  ObjectVersion v = upload;
  const bool versioned = binfo.versioning == VersioningState::kEnabled;
  v.version_id = versioned ? core_->NewUuid() : "";
  v.mod_time_ns = core_->NextModTime(r);
  v.data_dir = "d-" + core_->NewUuid();
  Md5 md5(core_->env().random().LibCtx());
  for (const ObjectVersion& p : metas) {
    v.size_bytes += p.size_bytes;
    v.parts.push_back(p.parts.front());
    md5.Update(base::AsBytes(*HexDecode(p.etag)));
  }
  if (v.size_bytes > core_->options().max_object_size_bytes) {
    return base::InvalidArgument("EntityTooLarge: an object may have at most " +
                                 std::to_string(core_->options().max_object_size_bytes) +
                                 " bytes, the parts hold " + std::to_string(v.size_bytes));
  }
  v.etag = HexEncode(md5.FinishRaw()) + "-" + std::to_string(metas.size());
  const std::string dir = ObjectDir(bucket, key);
  std::vector<bool> usable(static_cast<std::size_t>(core_->drives()), true);
  MoveParts(*core_, UploadDir(bucket, upload_id), dir + "/" + v.data_dir, metas, usable);
  std::vector<std::string> replace;
  if (!versioned) replace.push_back("");
  auto status = core_->CommitVersion(bucket, key, r, v, {}, "", replace, usable,
                                     /*drop_data_on_failure=*/false);
  if (!status) {
    // Put the parts back, so the client can retry the completion.
    MoveParts(*core_, dir + "/" + v.data_dir, UploadDir(bucket, upload_id), metas, usable);
    return status.error();
  }
  for (int d = 0; d < core_->drives(); ++d) {
    if (env::Drive* drv = core_->drive(d)) (void)drv->RemoveAll(UploadDir(bucket, upload_id));
  }
  return ToObjectInfo(bucket, key, v, true);
}

base::Result<ObjectInfo> ErasureSet::StatMultipartUpload(std::string_view bucket,
                                                         std::string_view key,
                                                         std::string_view upload_id) {
  COFFER_ASSIGN_OR_RETURN(ObjectVersion upload, ReadUpload(*core_, bucket, key, upload_id));
  // The upload record keeps the key in version_id; its info shows none.
  upload.version_id.clear();
  ObjectInfo info = ToObjectInfo(bucket, key, upload, /*is_latest=*/false);
  info.version_id.clear();
  return info;
}

base::Status ErasureSet::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                              std::string_view upload_id) {
  COFFER_RETURN_IF_ERROR(ReadUpload(*core_, bucket, key, upload_id));
  for (int d = 0; d < core_->drives(); ++d) {
    if (env::Drive* drv = core_->drive(d)) (void)drv->RemoveAll(UploadDir(bucket, upload_id));
  }
  return base::Ok();
}

base::Result<std::vector<UploadInfo>> ErasureSet::ListMultipartUploads(std::string_view bucket,
                                                                       std::string_view prefix) {
  COFFER_RETURN_IF_ERROR(core_->ReadBucket(bucket));
  std::set<std::string> ids;
  for (int d = 0; d < core_->drives(); ++d) {
    env::Drive* drv = core_->drive(d);
    if (drv == nullptr) continue;
    auto names = drv->List(BucketDir(bucket) + "/u");
    if (!names) continue;
    for (const std::string& n : *names) {
      if (!n.empty() && n.back() == '/') ids.insert(n.substr(0, n.size() - 1));
    }
  }
  std::vector<UploadInfo> out;
  for (const std::string& id : ids) {
    if (!ValidateUploadId(id)) continue;
    const Resolved r = core_->ResolvePath(UploadDir(bucket, id) + "/upload.meta");
    if (r.versions.empty()) continue;
    const ObjectVersion& v = r.versions.front().version;
    if (!std::string_view(v.version_id).starts_with(prefix)) continue;
    out.push_back(
        UploadInfo{v.version_id, id, base::WallTime(std::chrono::nanoseconds(v.mod_time_ns))});
  }
  std::sort(out.begin(), out.end(), [](const UploadInfo& a, const UploadInfo& b) {
    return std::tie(a.key, a.initiated, a.upload_id) < std::tie(b.key, b.initiated, b.upload_id);
  });
  return out;
}

}  // namespace coffer::core::storage
