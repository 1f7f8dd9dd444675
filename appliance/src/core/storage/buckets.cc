// Buckets: a bucket.meta file on every drive, agreed by quorum like objects.

#include <algorithm>
#include <charconv>
#include <map>

#include "coffer/base/bytes.h"

#include "set_core.h"

namespace coffer::core::storage {
namespace {

std::string BucketMetaPath(std::string_view bucket) { return BucketDir(bucket) + "/bucket.meta"; }

std::string EncodeBucket(const BucketInfo& info) {
  const std::string body =
      "coffer-bucket 1\ncreated " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::nanoseconds>(info.created.time_since_epoch())
              .count()) +
      "\nversioning " + std::to_string(static_cast<int>(info.versioning)) + "\n";
  return body + "crc " + std::to_string(ShardChecksum(base::AsBytes(body))) + "\n";
}

std::optional<BucketInfo> DecodeBucket(std::string_view name, std::string_view text) {
  long long created = 0;
  int versioning = 0;
  const std::string_view p1 = "coffer-bucket 1\ncreated ";
  if (text.substr(0, p1.size()) != p1) return std::nullopt;
  const char* begin = text.data() + p1.size();
  const char* end = text.data() + text.size();
  auto r = std::from_chars(begin, end, created);
  if (r.ec != std::errc()) return std::nullopt;
  const std::string_view p2 = "\nversioning ";
  if (std::string_view(r.ptr, static_cast<std::size_t>(end - r.ptr)).substr(0, p2.size()) != p2) {
    return std::nullopt;
  }
  r = std::from_chars(r.ptr + p2.size(), end, versioning);
  if (r.ec != std::errc() || versioning < 0 || versioning > 2) return std::nullopt;
  BucketInfo info;
  info.name = std::string(name);
  info.created = base::WallTime(std::chrono::nanoseconds(created));
  info.versioning = static_cast<VersioningState>(versioning);
  if (EncodeBucket(info) != text) return std::nullopt;
  return info;
}

}  // namespace

base::Result<BucketInfo> ErasureSet::Core::ReadBucket(std::string_view bucket) {
  COFFER_RETURN_IF_ERROR(ValidateBucketName(bucket));
  std::map<std::string, int> votes;
  int answered = 0;
  for (int d = 0; d < drives(); ++d) {
    env::Drive* drv = drive(d);
    if (drv == nullptr) continue;
    auto text = drv->ReadAll(BucketMetaPath(bucket));
    if (text) {
      ++answered;
      votes[*text]++;
    } else if (text.error().code() == base::ErrorCode::kNotFound) {
      ++answered;
    }
  }
  for (const auto& [text, count] : votes) {
    if (count < read_quorum()) continue;
    if (auto info = DecodeBucket(bucket, text)) return *info;
  }
  if (answered < read_quorum()) {
    return base::Unavailable("read quorum not met for bucket " + std::string(bucket));
  }
  return base::NotFound("no such bucket: " + std::string(bucket));
}

namespace {

base::Status WriteBucketEverywhere(ErasureSet::Core& core, const BucketInfo& info) {
  const std::string text = EncodeBucket(info);
  int ok = 0;
  for (int d = 0; d < core.drives(); ++d) {
    env::Drive* drv = core.drive(d);
    if (drv == nullptr) continue;
    if (drv->WriteAtomic(BucketMetaPath(info.name), base::AsBytes(text))) ++ok;
  }
  if (ok < core.write_quorum()) {
    return base::Unavailable("insufficient write quorum for bucket " + info.name + ": " +
                             std::to_string(ok) + " drives");
  }
  return base::Ok();
}

}  // namespace

std::vector<std::string> ErasureSet::Core::HealBucket(std::string_view bucket, bool dry_run) {
  std::vector<std::string> actions;
  auto info = ReadBucket(bucket);
  if (!info) {
    actions.push_back("bucket " + std::string(bucket) + ": no quorum (" + info.error().ToString() +
                      "), left alone");
    return actions;
  }
  const std::string text = EncodeBucket(*info);
  for (int d = 0; d < drives(); ++d) {
    env::Drive* drv = drive(d);
    if (drv == nullptr) continue;
    auto have = drv->ReadAll(BucketMetaPath(bucket));
    if (have && *have == text) continue;
    if (!have && have.error().code() != base::ErrorCode::kNotFound &&
        have.error().code() != base::ErrorCode::kDataLoss) {
      continue;  // Offline or failing: nothing to write to.
    }
    actions.push_back("bucket " + std::string(bucket) + ": drive " + std::to_string(d) +
                      (dry_run ? ": would restore bucket.meta" : ": restored bucket.meta"));
    if (!dry_run) (void)drv->WriteAtomic(BucketMetaPath(bucket), base::AsBytes(text));
  }
  return actions;
}

base::Status ErasureSet::MakeBucket(std::string_view bucket) {
  COFFER_RETURN_IF_ERROR(ValidateBucketName(bucket));
  KeyLocks::Guard guard(core_->locks(), std::string(bucket));
  auto existing = core_->ReadBucket(bucket);
  if (existing) return base::AlreadyExists("bucket exists: " + std::string(bucket));
  if (existing.error().code() != base::ErrorCode::kNotFound) return existing.error();
  BucketInfo info;
  info.name = std::string(bucket);
  info.created = core_->Now();
  auto status = WriteBucketEverywhere(*core_, info);
  if (!status) {
    for (int d = 0; d < core_->drives(); ++d) {
      if (env::Drive* drv = core_->drive(d)) (void)drv->RemoveAll(BucketDir(bucket));
    }
  }
  return status;
}

base::Result<BucketInfo> ErasureSet::GetBucketInfo(std::string_view bucket) {
  return core_->ReadBucket(bucket);
}

base::Result<std::vector<BucketInfo>> ErasureSet::ListBuckets() {
  COFFER_ASSIGN_OR_RETURN(auto names, core_->CollectBuckets());
  std::vector<BucketInfo> out;
  for (const std::string& name : names) {
    auto info = core_->ReadBucket(name);
    if (info) out.push_back(std::move(info).value());
  }
  return out;
}

base::Status ErasureSet::SetBucketVersioning(std::string_view bucket, VersioningState state) {
  KeyLocks::Guard guard(core_->locks(), std::string(bucket));
  COFFER_ASSIGN_OR_RETURN(BucketInfo info, core_->ReadBucket(bucket));
  if (state == VersioningState::kUnversioned && info.versioning != VersioningState::kUnversioned) {
    return base::InvalidArgument("versioning can be suspended, not turned off");
  }
  info.versioning = state;
  return WriteBucketEverywhere(*core_, info);
}

base::Status ErasureSet::DeleteBucket(std::string_view bucket) {
  KeyLocks::Guard guard(core_->locks(), std::string(bucket));
  COFFER_ASSIGN_OR_RETURN(BucketInfo info, core_->ReadBucket(bucket));
  bool has_versions = false;
  KeyWalker walker(*core_, bucket, "", /*exact=*/false);
  COFFER_RETURN_IF_ERROR(walker.Run([&](const std::string& key) {
    has_versions = !core_->Resolve(bucket, key).versions.empty();
    return has_versions ? KeyWalker::Step::kStop : KeyWalker::Step::kNext;
  }));
  if (has_versions) return base::FailedPrecondition("bucket not empty: " + std::string(bucket));
  COFFER_ASSIGN_OR_RETURN(auto uploads, ListMultipartUploads(bucket, ""));
  if (!uploads.empty()) {
    return base::FailedPrecondition("bucket has uploads in progress: " + std::string(bucket));
  }
  for (int d = 0; d < core_->drives(); ++d) {
    if (env::Drive* drv = core_->drive(d)) (void)drv->RemoveAll(BucketDir(bucket));
  }
  return base::Ok();
}

}  // namespace coffer::core::storage
