// Quorum reads and writes of per-object metadata: which versions enough
// drives agree on, and committing a new version with rollback.

#include <algorithm>
#include <map>

#include "coffer/base/bytes.h"

#include "set_core.h"

namespace coffer::core::storage {

std::vector<DriveMeta> ErasureSet::Core::ReadMetas(std::string_view path) {
  std::vector<DriveMeta> out(static_cast<std::size_t>(drives()));
  for (int d = 0; d < drives(); ++d) {
    DriveMeta& m = out[static_cast<std::size_t>(d)];
    env::Drive* drv = drive(d);
    if (drv == nullptr) {
      m.error = base::Unavailable("drive missing");
      continue;
    }
    auto raw = drv->ReadAll(path);
    if (!raw) {
      m.error = raw.error();
      continue;
    }
    auto meta = DecodeXlMeta(*raw);
    if (!meta) {
      m.error = meta.error();
      m.corrupt = true;
      continue;
    }
    m.meta = std::move(meta).value();
    m.raw = std::move(raw).value();
  }
  return out;
}

bool ErasureSet::Core::Reachable(const Resolved& r, int d) {
  const DriveMeta& m = r.metas[static_cast<std::size_t>(d)];
  return drive(d) != nullptr && !(m.error && m.error->code() == base::ErrorCode::kUnavailable);
}

Resolved ErasureSet::Core::Resolve(std::string_view bucket, std::string_view key) {
  return ResolvePath(ObjectDir(bucket, key) + "/" + std::string(kXlMetaName));
}

Resolved ErasureSet::Core::ResolvePath(std::string_view meta_path) {
  Resolved r;
  r.metas = ReadMetas(meta_path);
  // Signature -> (first copy, holders). A version counts when a read quorum of
  // drives holds an identical copy of its shared fields.
  std::map<std::string, AgreedVersion> seen;
  for (int d = 0; d < drives(); ++d) {
    const DriveMeta& m = r.metas[static_cast<std::size_t>(d)];
    if (m.found() || m.answered_empty()) ++r.answered;
    if (!m.found()) continue;
    for (const ObjectVersion& v : m.meta.versions) {
      auto [it, inserted] = seen.try_emplace(VersionSignature(v));
      if (inserted) {
        it->second.version = v;
        it->second.holders.assign(static_cast<std::size_t>(drives()), false);
      }
      it->second.holders[static_cast<std::size_t>(d)] = true;
    }
  }
  for (auto& [sig, agreed] : seen) {
    const auto count = std::count(agreed.holders.begin(), agreed.holders.end(), true);
    if (count >= read_quorum()) r.versions.push_back(std::move(agreed));
  }
  // Newest first; equal times fall back to the version id, so the order never
  // depends on which drive answered first. Two copies of one version (same id
  // and time) put the newer metadata first, so the dedup below keeps the tags
  // of the last PutObjectTags that reached a quorum.
  std::sort(r.versions.begin(), r.versions.end(), [](const auto& a, const auto& b) {
    if (a.version.mod_time_ns != b.version.mod_time_ns) {
      return a.version.mod_time_ns > b.version.mod_time_ns;
    }
    if (a.version.version_id != b.version.version_id) {
      return a.version.version_id > b.version.version_id;
    }
    return a.version.meta_mod_time_ns > b.version.meta_mod_time_ns;
  });
  // Two agreed copies of one version id (a crash between two writes of the
  // same null version) keep only the newest.
  std::set<std::string> ids;
  std::erase_if(r.versions,
                [&](const AgreedVersion& v) { return !ids.insert(v.version.version_id).second; });
  return r;
}

base::Result<const AgreedVersion*> ErasureSet::Core::FindVersion(const Resolved& r,
                                                                 std::string_view bucket,
                                                                 std::string_view key,
                                                                 std::string_view version_id) {
  if (r.versions.empty()) {
    if (r.answered < read_quorum()) {
      return base::Unavailable("read quorum not met for " + std::string(bucket) + "/" +
                               std::string(key) + ": " + std::to_string(r.answered) +
                               " drives answered");
    }
    return base::NotFound("no such key: " + std::string(bucket) + "/" + std::string(key));
  }
  if (version_id.empty()) return &r.versions.front();
  const std::string stored = version_id == kNullVersionId ? "" : std::string(version_id);
  for (const AgreedVersion& v : r.versions) {
    if (v.version.version_id == stored) return &v;
  }
  return base::NotFound("no such version: " + std::string(version_id));
}

std::vector<bool> ErasureSet::Core::WriteMetas(std::string_view path,
                                               const std::vector<std::optional<XlMeta>>& m) {
  std::vector<bool> ok(static_cast<std::size_t>(drives()), false);
  for (int d = 0; d < drives(); ++d) {
    const auto& meta = m[static_cast<std::size_t>(d)];
    env::Drive* drv = drive(d);
    if (!meta || drv == nullptr) continue;
    if (meta->versions.empty()) {
      auto status = drv->Remove(path);
      ok[static_cast<std::size_t>(d)] =
          status.has_value() || status.error().code() == base::ErrorCode::kNotFound;
      continue;
    }
    ok[static_cast<std::size_t>(d)] =
        drv->WriteAtomic(path, base::AsBytes(EncodeXlMeta(*meta))).has_value();
  }
  return ok;
}

XlMeta ErasureSet::Core::DriveList(const Resolved& r, int d,
                                   const std::vector<AgreedVersion>& versions) {
  XlMeta out;
  const DriveMeta& mine = r.metas[static_cast<std::size_t>(d)];
  for (const AgreedVersion& agreed : versions) {
    ObjectVersion v = agreed.version;
    v.inline_shard.clear();
    v.erasure.shard_index =
        static_cast<std::uint8_t>(ShardOfDrive(v.erasure.distribution_start, d));
    if (mine.found()) {
      const std::string sig = VersionSignature(v);
      for (const ObjectVersion& own : mine.meta.versions) {
        if (VersionSignature(own) == sig && own.erasure.shard_index == v.erasure.shard_index) {
          v.inline_shard = own.inline_shard;
          break;
        }
      }
    }
    out.versions.push_back(std::move(v));
  }
  return out;
}

namespace {

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

std::vector<std::optional<XlMeta>> ErasureSet::Core::ListsWith(
    const Resolved& r, const ObjectVersion& version, const std::vector<std::string>& inline_shards,
    const std::vector<AgreedVersion>& others, const std::vector<bool>& usable) {
  std::vector<std::optional<XlMeta>> lists(static_cast<std::size_t>(drives()));
  for (int d = 0; d < drives(); ++d) {
    if (drive(d) == nullptr || !usable[static_cast<std::size_t>(d)]) continue;
    XlMeta list = DriveList(r, d, others);
    ObjectVersion mine = version;
    mine.erasure.shard_index =
        static_cast<std::uint8_t>(ShardOfDrive(version.erasure.distribution_start, d));
    if (version.inlined) mine.inline_shard = inline_shards[static_cast<std::size_t>(d)];
    list.versions.insert(list.versions.begin(), std::move(mine));
    lists[static_cast<std::size_t>(d)] = std::move(list);
  }
  return lists;
}

base::Status ErasureSet::Core::CommitVersion(std::string_view bucket, std::string_view key,
                                             const Resolved& r, const ObjectVersion& version,
                                             const std::vector<std::string>& inline_shards,
                                             std::string_view staged,
                                             const std::vector<std::string>& replace,
                                             const std::vector<bool>& usable_in,
                                             bool drop_data_on_failure) {
  const std::string dir = ObjectDir(bucket, key);
  const std::string meta_path = dir + "/" + std::string(kXlMetaName);
  std::vector<AgreedVersion> kept;
  std::vector<std::string> dropped_dirs;
  for (const AgreedVersion& v : r.versions) {
    if (!Contains(replace, v.version.version_id))
      kept.push_back(v);
    else if (!v.version.data_dir.empty())
      dropped_dirs.push_back(v.version.data_dir);
  }
  std::vector<bool> usable(static_cast<std::size_t>(drives()), true);
  if (!usable_in.empty()) usable = usable_in;
  for (int d = 0; d < drives(); ++d) {
    if (drive(d) == nullptr || !usable[static_cast<std::size_t>(d)]) continue;
    if (!staged.empty() && !version.data_dir.empty()) {
      const std::string from = std::string(kStagingDir) + "/" + std::string(staged);
      usable[static_cast<std::size_t>(d)] =
          drive(d)->Rename(from, dir + "/" + version.data_dir).has_value();
    }
  }
  // Phase one keeps the superseded version beside the new one, so a crash
  // part-way leaves every drive able to agree on the old object; readers
  // already hide a superseded copy once the new one reaches quorum.
  const std::vector<bool> ok =
      WriteMetas(meta_path, ListsWith(r, version, inline_shards, r.versions, usable));
  const auto written = std::count(ok.begin(), ok.end(), true);
  if (written >= write_quorum()) {
    if (kept.size() != r.versions.size()) {
      // Phase two: the new version is committed; drop the superseded one.
      (void)WriteMetas(meta_path, ListsWith(r, version, inline_shards, kept, ok));
    }
    for (int d = 0; d < drives(); ++d) {
      env::Drive* drv = drive(d);
      if (drv == nullptr) continue;
      for (const std::string& old : dropped_dirs) (void)drv->RemoveAll(dir + "/" + old);
      if (!ok[static_cast<std::size_t>(d)] && !version.data_dir.empty()) {
        (void)drv->RemoveAll(dir + "/" + version.data_dir);
      }
    }
    return base::Ok();
  }
  const bool drop = drop_data_on_failure && !version.data_dir.empty();
  RollBack(r, meta_path, ok, drop ? dir + "/" + version.data_dir : "");
  return base::Unavailable("insufficient write quorum for " + std::string(bucket) + "/" +
                           std::string(key) + ": " + std::to_string(written) + " of " +
                           std::to_string(write_quorum()) + " drives needed");
}

base::Status ErasureSet::Core::RewriteVersion(std::string_view bucket, std::string_view key,
                                              const Resolved& r, const ObjectVersion& updated) {
  const std::string meta_path = ObjectDir(bucket, key) + "/" + std::string(kXlMetaName);
  // Each drive's list with the updated copy of the version placed before its
  // old copy, and the old copy kept (phase one) or dropped (phase two).
  // DriveList matches each drive's own copy by the old signature, so the
  // updated copy inherits that drive's shard index and inline shard.
  auto lists_with = [&](bool keep_old, const std::vector<bool>& usable) {
    std::vector<std::optional<XlMeta>> lists(static_cast<std::size_t>(drives()));
    for (int d = 0; d < drives(); ++d) {
      if (!usable[static_cast<std::size_t>(d)]) continue;
      XlMeta list = DriveList(r, d, r.versions);
      for (std::size_t i = 0; i < list.versions.size(); ++i) {
        if (list.versions[i].version_id != updated.version_id) continue;
        ObjectVersion mine = updated;
        mine.erasure.shard_index = list.versions[i].erasure.shard_index;
        mine.inline_shard = list.versions[i].inline_shard;
        if (keep_old) {
          list.versions.insert(list.versions.begin() + static_cast<std::ptrdiff_t>(i),
                               std::move(mine));
        } else {
          list.versions[i] = std::move(mine);
        }
        break;
      }
      lists[static_cast<std::size_t>(d)] = std::move(list);
    }
    return lists;
  };
  // Phase one keeps the old copy beside the new one, so a crash part-way
  // leaves every drive agreeing on the old copy while the new one is short of
  // a quorum; once it has one, it wins (Resolve prefers the newer metadata).
  const std::vector<bool> all(static_cast<std::size_t>(drives()), true);
  const std::vector<bool> ok = WriteMetas(meta_path, lists_with(/*keep_old=*/true, all));
  const auto written = std::count(ok.begin(), ok.end(), true);
  if (written < write_quorum()) {
    RollBack(r, meta_path, ok, "");
    return base::Unavailable("insufficient write quorum updating " + std::string(bucket) + "/" +
                             std::string(key) + ": " + std::to_string(written) + " of " +
                             std::to_string(write_quorum()) + " drives needed");
  }
  // Phase two: committed; drop the old copy where the new one landed. A drive
  // that misses this keeps a shadowed copy until the next write or heal.
  (void)WriteMetas(meta_path, lists_with(/*keep_old=*/false, ok));
  return base::Ok();
}

void ErasureSet::Core::RollBack(const Resolved& r, std::string_view meta_path,
                                const std::vector<bool>& written, std::string_view data_dir) {
  for (int d = 0; d < drives(); ++d) {
    env::Drive* drv = drive(d);
    if (drv == nullptr) continue;
    const DriveMeta& before = r.metas[static_cast<std::size_t>(d)];
    if (written[static_cast<std::size_t>(d)]) {
      if (before.found())
        (void)drv->WriteAtomic(meta_path, base::AsBytes(before.raw));
      else
        (void)drv->Remove(meta_path);
    }
    if (!data_dir.empty()) (void)drv->RemoveAll(data_dir);
  }
}

}  // namespace coffer::core::storage
