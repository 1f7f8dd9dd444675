#include "coffer/core/reconcile/bucket_sync.h"

namespace coffer::core::reconcile {

void SyncBuckets(const state::Snapshot& snapshot, storage::ObjectLayer& objects, env::Logger& log) {
  using storage::VersioningState;
  for (const state::BucketEntry* b : snapshot.Buckets()) {
    auto info = objects.GetBucketInfo(b->name);
    if (!info.has_value()) {
      if (auto made = objects.MakeBucket(b->name); !made.has_value()) {
        log.Error("reconcile", "cannot create repo bucket",
                  {{"bucket", b->name}, {"error", made.error().message()}});
        continue;
      }
      info = objects.GetBucketInfo(b->name);
      if (!info.has_value()) continue;
      log.Info("reconcile", "created repo bucket", {{"bucket", b->name}});
    }
    const VersioningState want = b->versioning ? VersioningState::kEnabled
                                 : info->versioning == VersioningState::kUnversioned
                                     ? VersioningState::kUnversioned
                                     : VersioningState::kSuspended;
    if (want != info->versioning) {
      if (auto set = objects.SetBucketVersioning(b->name, want); !set.has_value()) {
        log.Error("reconcile", "cannot set repo bucket versioning",
                  {{"bucket", b->name}, {"error", set.error().message()}});
      }
    }
  }
}

}  // namespace coffer::core::reconcile
