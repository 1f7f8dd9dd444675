#include "coffer/state/live_store.h"

namespace coffer::state {

base::Status LiveStore::Change(const ChangeFn& change, base::WallTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  COFFER_RETURN_IF_ERROR(change(*store_, key_));
  return RebuildLocked(now);
}

base::Status LiveStore::Rebuild(base::WallTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  return RebuildLocked(now);
}

base::Status LiveStore::RebuildLocked(base::WallTime now) {
  COFFER_ASSIGN_OR_RETURN(auto snapshot,
                          BuildSnapshot(*store_, key_, holder_.NextGeneration(), now));
  return holder_.Swap(std::move(snapshot));
}

}  // namespace coffer::state
