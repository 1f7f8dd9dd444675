// Healing: verify every shard and metadata copy of an object against what a
// quorum agrees on, rebuild what is missing or rotten from the good shards,
// and drop what no quorum will ever agree on.

#include <algorithm>
#include <set>

#include "coffer/base/bytes.h"

#include "set_core.h"

namespace coffer::core::storage {

using Core = ErasureSet::Core;

namespace {

std::string DriveName(int d) { return "drive " + std::to_string(d); }

std::string VersionName(const ObjectVersion& v) {
  return "version " + PublicVersionId(v.version_id);
}

// Versions on some drives that can never reach a read quorum (more drives
// answered without them than the quorum allows) are debris of interrupted
// writes: their metadata and data folders go.
void DropDangling(Core& core, std::string_view bucket, std::string_view key, const Resolved& r,
                  bool dry_run, HealObjectResult& out) {
  // Only a drive that answered "no such object" is evidence of an interrupted
  // write; a corrupt copy may be the very version (rotted), so it is not.
  int without = 0;
  for (const DriveMeta& m : r.metas) without += m.not_found() ? 1 : 0;
  if (without <= core.drives() - core.read_quorum()) {
    out.outcome = HealOutcome::kUnrecoverable;
    out.actions.push_back("metadata on too few drives to agree on a version");
    return;
  }
  const std::string dir = ObjectDir(bucket, key);
  for (int d = 0; d < core.drives(); ++d) {
    if (!r.metas[static_cast<std::size_t>(d)].found()) continue;
    out.actions.push_back(DriveName(d) + (dry_run ? ": would remove" : ": removed") +
                          " metadata of an interrupted write");
    if (dry_run) continue;
    for (const ObjectVersion& v : r.metas[static_cast<std::size_t>(d)].meta.versions) {
      if (!v.data_dir.empty()) (void)core.drive(d)->RemoveAll(dir + "/" + v.data_dir);
    }
    (void)core.drive(d)->Remove(dir + "/" + std::string(kXlMetaName));
  }
}

}  // namespace

namespace {

// Verifies every part of one version on every drive; rebuilds bad shards
// unless dry_run. Fills `inline_fix` with rebuilt inline shards.
base::Status HealVersion(Core& core, std::string_view dir, const Resolved& r,
                         const AgreedVersion& agreed, bool dry_run,
                         std::vector<std::string>& inline_fix, HealObjectResult& out) {
  const ObjectVersion& v = agreed.version;
  for (const PartMeta& part : v.parts) {
    Core::PartSource src{&r, &agreed, std::string(dir) + "/" + v.data_dir, part.number,
                         part.size_bytes};
    std::vector<bool> good(static_cast<std::size_t>(core.drives()), false);
    std::vector<bool> targets(static_cast<std::size_t>(core.drives()), false);
    for (int d = 0; d < core.drives(); ++d) {
      if (!core.Reachable(r, d)) continue;
      const bool ok = core.VerifyShard(src, d).has_value();
      good[static_cast<std::size_t>(d)] = ok;
      targets[static_cast<std::size_t>(d)] = !ok;
    }
    if (std::count(good.begin(), good.end(), true) < core.data()) {
      out.outcome = HealOutcome::kUnrecoverable;
      out.actions.push_back(VersionName(v) + " part " + std::to_string(part.number) +
                            ": too few intact shards to rebuild");
      return base::Ok();
    }
    for (int d = 0; d < core.drives(); ++d) {
      if (!targets[static_cast<std::size_t>(d)]) continue;
      out.actions.push_back(DriveName(d) + (dry_run ? ": would rebuild" : ": rebuilt") +
                            " shard of " + VersionName(v) + " part " + std::to_string(part.number));
    }
    if (dry_run || std::none_of(targets.begin(), targets.end(), [](bool t) { return t; })) {
      continue;
    }
    const std::string staged = core.NewUuid();
    auto rebuilt = core.RebuildPart(src, good, targets, staged);
    if (!rebuilt) {
      core.DropStaging(staged);
      return rebuilt.error();
    }
    for (int d = 0; d < core.drives(); ++d) {
      if (!targets[static_cast<std::size_t>(d)]) continue;
      if (v.inlined) {
        inline_fix[static_cast<std::size_t>(d)] = (*rebuilt)[static_cast<std::size_t>(d)];
        continue;
      }
      const std::string from =
          std::string(kStagingDir) + "/" + staged + "/part." + std::to_string(part.number);
      COFFER_RETURN_IF_ERROR(
          core.drive(d)->Rename(from, src.dir + "/part." + std::to_string(part.number)));
    }
    core.DropStaging(staged);
  }
  return base::Ok();
}

}  // namespace

base::Result<HealObjectResult> Core::HealObjectLocked(std::string_view bucket, std::string_view key,
                                                      bool dry_run) {
  HealObjectResult out;
  out.bucket = std::string(bucket);
  out.key = std::string(key);
  const Resolved r = Resolve(bucket, key);
  if (r.answered < read_quorum()) {
    return base::Unavailable("too few drives answered for " + std::string(key));
  }
  if (r.versions.empty()) {
    DropDangling(*this, bucket, key, r, dry_run, out);
  }
  // Inline shards rebuilt per version, by drive.
  std::vector<std::vector<std::string>> inline_fix(r.versions.size());
  for (std::size_t i = 0; i < r.versions.size(); ++i) {
    inline_fix[i].assign(static_cast<std::size_t>(drives()), {});
    const AgreedVersion& agreed = r.versions[i];
    if (agreed.version.kind != VersionKind::kObject) continue;
    auto status =
        HealVersion(*this, ObjectDir(bucket, key), r, agreed, dry_run, inline_fix[i], out);
    if (!status) {
      out.outcome = HealOutcome::kFailed;
      out.actions.push_back("heal stopped: " + status.error().ToString());
      return out;
    }
  }
  const std::string dir = ObjectDir(bucket, key);
  std::set<std::string> referenced;
  for (const AgreedVersion& v : r.versions) referenced.insert(v.version.data_dir + "/");
  for (int d = 0; d < drives() && !r.versions.empty(); ++d) {
    env::Drive* drv = drive(d);
    if (!Reachable(r, d)) continue;
    XlMeta want = DriveList(r, d, r.versions);
    for (std::size_t i = 0; i < want.versions.size(); ++i) {
      if (!inline_fix[i][static_cast<std::size_t>(d)].empty()) {
        want.versions[i].inline_shard = inline_fix[i][static_cast<std::size_t>(d)];
      }
    }
    const std::string bytes = EncodeXlMeta(want);
    // Compared in the current format: a copy that is only in an older one is
    // not damage (it decodes, and the next write of the object upgrades it).
    const DriveMeta& have = r.metas[static_cast<std::size_t>(d)];
    if ((have.found() ? EncodeXlMeta(have.meta) : have.raw) != bytes) {
      out.actions.push_back(DriveName(d) + (dry_run ? ": would rewrite" : ": rewrote") +
                            " xl.meta");
      if (!dry_run) {
        auto status = drv->WriteAtomic(dir + "/" + std::string(kXlMetaName), base::AsBytes(bytes));
        if (!status) out.outcome = HealOutcome::kFailed;
      }
    }
    auto names = drv->List(dir);
    for (const std::string& name : names ? *names : std::vector<std::string>{}) {
      if (!name.starts_with("d-") || referenced.contains(name)) continue;
      out.actions.push_back(DriveName(d) + (dry_run ? ": would remove" : ": removed") +
                            " unreferenced data folder");
      if (!dry_run) (void)drv->RemoveAll(dir + "/" + name.substr(0, name.size() - 1));
    }
  }
  if (out.outcome == HealOutcome::kHealthy && !out.actions.empty()) {
    out.outcome = dry_run ? HealOutcome::kWouldHeal : HealOutcome::kHealed;
  }
  return out;
}

HealObjectResult Core::HealUpload(std::string_view bucket, std::string_view upload_id,
                                  bool dry_run) {
  HealObjectResult out;
  out.bucket = std::string(bucket);
  out.key = "(multipart upload " + std::string(upload_id) + ")";
  const std::string dir = BucketDir(bucket) + "/u/" + std::string(upload_id);
  std::set<std::string> files;
  for (int d = 0; d < drives(); ++d) {
    auto names = drive(d) == nullptr
                     ? base::Result<std::vector<std::string>>(base::Unavailable("missing"))
                     : drive(d)->List(dir);
    if (!names) continue;
    for (const std::string& n : *names) {
      if (n.ends_with(".meta")) files.insert(n);
    }
  }
  for (const std::string& file : files) {
    // The same lock PutObjectPart takes for "part.N.meta".
    const std::string part = file.starts_with("part.") ? file.substr(5, file.size() - 10) : "";
    KeyLocks::Guard guard(locks(), std::string(upload_id) + "/" + part);
    const Resolved r = ResolvePath(dir + "/" + file);
    if (r.versions.empty()) {
      out.actions.push_back(file + ": no quorum, left alone");
      continue;
    }
    std::vector<std::string> unused(static_cast<std::size_t>(drives()));
    auto status = HealVersion(*this, dir, r, r.versions.front(), dry_run, unused, out);
    if (!status) {
      out.outcome = HealOutcome::kFailed;
      out.actions.push_back(file + ": " + status.error().ToString());
      continue;
    }
    for (int d = 0; d < drives(); ++d) {
      if (!Reachable(r, d)) continue;
      const std::string bytes = EncodeXlMeta(DriveList(r, d, {r.versions.front()}));
      if (r.metas[static_cast<std::size_t>(d)].raw == bytes) continue;
      out.actions.push_back(DriveName(d) + (dry_run ? ": would rewrite " : ": rewrote ") + file);
      if (!dry_run && !drive(d)->WriteAtomic(dir + "/" + file, base::AsBytes(bytes))) {
        out.outcome = HealOutcome::kFailed;
      }
    }
  }
  if (out.outcome == HealOutcome::kHealthy && !out.actions.empty()) {
    out.outcome = dry_run ? HealOutcome::kWouldHeal : HealOutcome::kHealed;
  }
  return out;
}

base::Result<HealObjectResult> ErasureSet::HealObject(std::string_view bucket, std::string_view key,
                                                      const HealOptions& options) {
  COFFER_RETURN_IF_ERROR(ValidateBucketName(bucket));
  COFFER_RETURN_IF_ERROR(ValidateObjectKey(key));
  KeyLocks::Guard guard(core_->locks(), std::string(bucket) + "/" + std::string(key));
  return core_->HealObjectLocked(bucket, key, options.dry_run);
}

namespace {

void Count(HealReport& report, HealOutcome outcome) {
  switch (outcome) {
    case HealOutcome::kHealthy:
      ++report.healthy;
      break;
    case HealOutcome::kHealed:
    case HealOutcome::kWouldHeal:
      ++report.healed;
      break;
    case HealOutcome::kUnrecoverable:
      ++report.unrecoverable;
      break;
    case HealOutcome::kFailed:
      ++report.failed;
      break;
  }
}

}  // namespace

base::Result<HealReport> ErasureSet::HealAll(const HealOptions& options) {
  HealReport report;
  report.bucket_actions = core_->RefreshDrives(options.dry_run);
  report.drives = core_->DriveStatuses();
  COFFER_ASSIGN_OR_RETURN(auto buckets, core_->CollectBuckets());
  for (const std::string& bucket : buckets) {
    if (!ValidateBucketName(bucket)) continue;
    for (std::string& a : core_->HealBucket(bucket, options.dry_run)) {
      report.bucket_actions.push_back(std::move(a));
    }
    std::vector<std::string> uploads;
    for (const UploadInfo& u :
         ListMultipartUploads(bucket, "").value_or(std::vector<UploadInfo>{})) {
      uploads.push_back(u.upload_id);
    }
    for (const std::string& id : uploads) {
      report.objects.push_back(core_->HealUpload(bucket, id, options.dry_run));
      Count(report, report.objects.back().outcome);
    }
    // Keys stream from the walk: a heal rewrites only the folder of the key
    // it heals, which the walk has listed already.
    KeyWalker walker(*core_, bucket, "", /*exact=*/true);
    COFFER_RETURN_IF_ERROR(walker.Run([&](const std::string& key) {
      auto result = HealObject(bucket, key, options);
      if (!result) {
        HealObjectResult failed{bucket, key, HealOutcome::kFailed, {result.error().ToString()}};
        result = failed;
      }
      Count(report, result->outcome);
      report.objects.push_back(std::move(result).value());
      return KeyWalker::Step::kNext;
    }));
  }
  return report;
}

}  // namespace coffer::core::storage
