#include "coffer/core/sse/rewrap.h"

#include "coffer/core/sse/metadata.h"

namespace coffer::core::sse {
namespace {

std::string Where(const storage::ObjectInfo& v) {
  return v.bucket + "/" + v.key + "?versionId=" + v.version_id;
}

void RewrapVersion(storage::ErasureSet& set, const Engine& engine, env::KeyService& key_service,
                   const storage::ObjectInfo& v, const RewrapObserver& observer,
                   RewrapReport& report) {
  if (v.delete_marker) return;
  ++report.versions;
  if (!IsSseRecord(v.encryption)) return;
  ++report.encrypted;
  auto metadata = ParseMetadata(v.encryption);
  if (!metadata.has_value()) {
    report.failures.push_back(Where(v) + ": " + metadata.error().ToString());
    return;
  }
  auto rewrapped = engine.Rewrap(*metadata, v.bucket, v.key, key_service);
  if (!rewrapped.has_value()) {
    report.failures.push_back(Where(v) + ": " + rewrapped.error().ToString());
    return;
  }
  if (!rewrapped->has_value()) {
    ++report.skipped;  // SSE-C: nothing in the key service to rotate.
    return;
  }
  auto written = set.UpdateObjectEncryption(v.bucket, v.key, v.version_id, v.encryption,
                                            SerializeMetadata(**rewrapped));
  if (!written.has_value()) {
    if (written.error().code() == base::ErrorCode::kAborted) {
      ++report.skipped;  // Overwritten meanwhile: the new record is already fresh.
      return;
    }
    report.failures.push_back(Where(v) + ": " + written.error().ToString());
    return;
  }
  ++report.rewrapped;
  if (observer) observer(v, *metadata, **rewrapped);
}

}  // namespace

base::Result<RewrapReport> RewrapObjects(storage::ErasureSet& set, const Engine& engine,
                                         env::KeyService& key_service, std::string_view bucket,
                                         const RewrapObserver& observer) {
  std::vector<std::string> buckets;
  if (bucket.empty()) {
    COFFER_ASSIGN_OR_RETURN(auto all, set.ListBuckets());
    for (const auto& b : all) buckets.push_back(b.name);
  } else {
    COFFER_RETURN_IF_ERROR(set.GetBucketInfo(bucket));
    buckets.emplace_back(bucket);
  }
  RewrapReport report;
  for (const std::string& name : buckets) {
    storage::ListVersionsOptions options;
    for (;;) {
      COFFER_ASSIGN_OR_RETURN(auto page, set.ListObjectVersions(name, options));
      for (const auto& v : page.versions)
        RewrapVersion(set, engine, key_service, v, observer, report);
      if (!page.is_truncated) break;
      options.key_marker = page.next_key_marker;
      options.version_id_marker = page.next_version_id_marker;
    }
  }
  return report;
}

}  // namespace coffer::core::sse
