#pragma once
// The daemon's reconcile loop (level-based, as STYLE §30 describes): read the
// config repo, validate it, apply it to the IAM store in one transaction,
// rebuild the IAM snapshot and swap it in. An invalid config is terminal for
// that revision: the last good state keeps running and health says
// "degraded" with the reason until a new revision fixes it. This lives in
// the shell because reading the repo means reading files.

#include <functional>
#include <memory>
#include <string>

#include "coffer/core/health.h"
#include "coffer/env/env.h"
#include "coffer/state/crypto.h"
#include "coffer/state/live_store.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

namespace coffer::cli {

struct ReconcilerOptions {
  std::string config_dir;
  std::string store_path;
  std::string key_dir;
};

class Reconciler {
 public:
  // Opens (creating) the store and the master key. Errors: the store or the
  // key cannot be opened; these stop the daemon.
  static base::Result<std::unique_ptr<Reconciler>> Open(const ReconcilerOptions& options,
                                                        env::Env& env, core::Health& health);

  // One pass: validate, apply, rebuild and swap the snapshot. Never throws,
  // never stops the daemon: failures go to the log, the store's last-attempt
  // record and the "config" health component. Not thread-safe: call from one
  // place (the reconcile timer).
  void Pass();

  // The store and snapshot, shared with the S3 API's runtime changes.
  state::LiveStore& live() { return live_; }

  // Hands the store's audit outbox (the changes applied from the repo),
  // oldest first, to `record`, and removes the records it accepted; stops at
  // its first error (the rest stay for the next call). Returns how many were
  // drained. Thread-safe (takes the store's lock).
  using AuditOutboxSink = std::function<base::Status(const state::OutboxRecord&)>;
  base::Result<std::size_t> DrainAuditOutbox(const AuditOutboxSink& record);

 private:
  Reconciler(ReconcilerOptions options, env::Env& env, core::Health& health,
             std::unique_ptr<state::Store> store, state::MasterKey key)
      : options_(std::move(options)),
        env_(env),
        health_(health),
        live_(std::move(store), std::move(key)) {}

  base::Status Apply(std::string& applied_revision);
  void Degraded(std::string_view reason, const std::string& message);

  ReconcilerOptions options_;
  env::Env& env_;
  core::Health& health_;
  state::LiveStore live_;
  std::string last_applied_;
};

}  // namespace coffer::cli
