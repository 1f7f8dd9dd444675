#pragma once
// The IAM store as a running appliance owns it: the Store, its master key and
// the snapshot holder behind one mutex. Writers take turns (the reconcile
// loop applying the config repo, the S3 API changing runtime-owned settings,
// STS minting sessions); after each successful change the snapshot is rebuilt
// and swapped, so the next request sees the change and requests in flight
// keep the snapshot they started with.

#include <functional>
#include <memory>
#include <mutex>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/state/crypto.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

namespace coffer::state {

class LiveStore {
 public:
  LiveStore(std::unique_ptr<Store> store, MasterKey key)
      : store_(std::move(store)), key_(std::move(key)) {}

  using ChangeFn = std::function<base::Status(Store& store, const MasterKey& key)>;

  // Runs `change` under the lock; when it succeeds, rebuilds the snapshot at
  // `now` and swaps it in. Returns the change's error, or the rebuild's.
  base::Status Change(const ChangeFn& change, base::WallTime now);
  // Rebuilds and swaps the snapshot without a change (e.g. so expired STS
  // sessions drop out).
  base::Status Rebuild(base::WallTime now);

  // The master key (e.g. to derive the STS session-token key). Immutable.
  const MasterKey& master_key() const { return key_; }

  // The snapshot requests should use (null before the first rebuild).
  std::shared_ptr<const Snapshot> Current() const { return holder_.Current(); }

 private:
  base::Status RebuildLocked(base::WallTime now);

  std::mutex mu_;
  std::unique_ptr<Store> store_;  // GUARDED_BY(mu_)
  MasterKey key_;
  SnapshotHolder holder_;
};

}  // namespace coffer::state
