#pragma once
// The daemon's reconcile loop (level-based, STYLE §30): read the config repo,
// validate it, apply it to the IAM store in one transaction, rebuild the IAM
// snapshot and swap it in. An invalid revision is terminal for that revision:
// the last good state keeps serving and the "config" health component says
// degraded, with the first FILE:LINE:COL error, until a new revision fixes it.
//
// Pure core: the repo comes through ConfigRepo, time and randomness through
// env::Env, so the simulator runs the same loop against scripted commits.
// When to run a pass (start, inotify, timer) is the caller's business.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "coffer/base/result.h"
#include "coffer/core/health.h"
#include "coffer/core/reconcile/config_repo.h"
#include "coffer/env/env.h"
#include "coffer/state/crypto.h"
#include "coffer/state/live_store.h"
#include "coffer/state/store.h"

namespace coffer::core::reconcile {

// What the last pass did, for logs, tests and the simulator's invariants.
struct PassResult {
  bool applied = false;     // The revision is valid and the store matches it.
  std::size_t changes = 0;  // Plan entries applied by this pass (0: nothing to do).
  std::string revision;     // Revision::ToString() of what was read ("" if unreadable).
  std::string error;        // Why not applied (first error), empty when applied.
};

class Reconciler {
 public:
  // `health` gets the "config" component (not ready until a pass applies).
  Reconciler(ConfigRepo& repo, env::Env& env, core::Health& health,
             std::unique_ptr<state::Store> store, state::MasterKey key);

  // One pass. Never throws, never stops the daemon: failures go to the log,
  // the store's last-attempt record and the "config" health component. Not
  // thread-safe: call from one place.
  PassResult Pass();

  // The store and snapshot, shared with the S3 API's runtime changes.
  state::LiveStore& live() { return live_; }

  // Hands the store's audit outbox (the changes applied from the repo),
  // oldest first, to `record`, and removes the records it accepted; stops at
  // its first error (the rest stay for the next call). Returns how many were
  // drained. Thread-safe (takes the store's lock).
  using AuditOutboxSink = std::function<base::Status(const state::OutboxRecord&)>;
  base::Result<std::size_t> DrainAuditOutbox(const AuditOutboxSink& record);

 private:
  base::Status Apply(PassResult& result);

  ConfigRepo& repo_;
  env::Env& env_;
  core::Health& health_;
  state::LiveStore live_;
  std::string last_applied_;
};

}  // namespace coffer::core::reconcile
