#include "coffer/core/reconcile/reconciler.h"

#include <optional>
#include <utility>

#include "coffer/state/apply.h"
#include "coffer/state/config.h"

namespace coffer::core::reconcile {

Reconciler::Reconciler(ConfigRepo& repo, env::Env& env, core::Health& health,
                       std::unique_ptr<state::Store> store, state::MasterKey key)
    : repo_(repo), env_(env), health_(health), live_(std::move(store), std::move(key)) {
  health_.Set("config", false, "not reconciled yet");
}

base::Status Reconciler::Apply(PassResult& pass) {
  auto& log = env_.log();
  COFFER_ASSIGN_OR_RETURN(state::ConfigTree tree, repo_.Read());
  const state::Revision revision = repo_.Describe(tree);
  pass.revision = revision.ToString();
  const base::WallTime now = env_.clock().Now();
  state::ConfigLoad load = state::LoadConfig(tree);
  std::optional<state::ApplyResult> result;
  base::Status changed = live_.Change(
      [&](state::Store& store, const state::MasterKey& key) -> base::Status {
        if (!load.ok()) {
          for (const auto& e : load.errors) {
            log.Error("reconcile", "invalid config", {{"error", e.ToString()}});
          }
          const std::string message = std::to_string(load.errors.size()) +
                                      " error(s) in revision " + revision.ToString() +
                                      ", first: " + load.errors.front().ToString();
          (void)store.RecordFailedAttempt(revision, now, "InvalidConfig", message);
          return base::InvalidArgument(message);
        }
        auto desired = state::BuildDesiredRecords(load.state, repo_.Secrets(), key);
        if (!desired.has_value()) {
          (void)store.RecordFailedAttempt(revision, now, "UnresolvedSecret",
                                          desired.error().message());
          return desired.error();
        }
        state::ApplyOptions options;
        options.revision = revision;
        options.now = now;
        COFFER_ASSIGN_OR_RETURN(result, state::Apply(store, *desired, key, env_.random(), options));
        return base::Ok();
      },
      now);
  COFFER_RETURN_IF_ERROR(changed);
  if (result.has_value() && !result->plan.empty()) {
    pass.changes = result->plan.changes.size();
    log.Info("reconcile", "applied",
             {{"revision", pass.revision},
              {"changes", std::to_string(pass.changes)},
              {"generation", std::to_string(result->generation)}});
  }
  return base::Ok();
}

PassResult Reconciler::Pass() {
  PassResult pass;
  if (auto applied = Apply(pass); !applied.has_value()) {
    // Terminal for this revision: the last good snapshot keeps serving.
    pass.error = applied.error().message();
    env_.log().Error("reconcile", "not applied; keeping the last good state",
                     {{"error", pass.error}});
    health_.Set("config", false, "config not applied: " + pass.error);
    return pass;
  }
  pass.applied = true;
  if (pass.revision != last_applied_) {
    env_.log().Info("reconcile", "ready", {{"revision", pass.revision}});
    last_applied_ = pass.revision;
  }
  health_.Set("config", true);
  return pass;
}

base::Result<std::size_t> Reconciler::DrainAuditOutbox(const AuditOutboxSink& record) {
  std::size_t drained = 0;
  base::Status outcome = base::Ok();
  (void)live_.Change(
      [&](state::Store& store, const state::MasterKey&) -> base::Status {
        auto records = store.ReadOutbox(0, 500);
        if (!records.has_value()) {
          outcome = records.error();
        } else {
          std::int64_t last = 0;
          for (const state::OutboxRecord& r : *records) {
            if (auto kept = record(r); !kept.has_value()) {
              outcome = kept.error();
              break;
            }
            last = r.seq;
            ++drained;
          }
          if (last > 0) {
            if (auto acked = store.AckOutbox(last); !acked.has_value()) outcome = acked.error();
          }
        }
        // The outbox is not part of the snapshot: an error here skips the
        // rebuild that Change() would otherwise do.
        return base::Aborted("audit outbox drained");
      },
      env_.clock().Now());
  if (!outcome.has_value()) return outcome.error();
  return drained;
}

}  // namespace coffer::core::reconcile
