#include "reconciler.h"

#include <optional>

#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/config_files.h"
#include "coffer/state/secrets.h"

#include "repo_access.h"

namespace coffer::cli {

base::Result<std::unique_ptr<Reconciler>> Reconciler::Open(const ReconcilerOptions& options,
                                                           env::Env& env, core::Health& health) {
  state::StoreOptions store_options;
  COFFER_ASSIGN_OR_RETURN(auto store, state::Store::Open(options.store_path, store_options));
  COFFER_ASSIGN_OR_RETURN(auto key, MasterKeyFor(options.key_dir, env.random(), /*create=*/true));
  health.Set("config", false, "not reconciled yet");
  return std::unique_ptr<Reconciler>(
      new Reconciler(options, env, health, std::move(store), std::move(key)));
}

void Reconciler::Degraded(std::string_view reason, const std::string& message) {
  health_.Set("config", false, std::string(reason) + ": " + message);
}

base::Status Reconciler::Apply(std::string& applied_revision) {
  auto& log = env_.log();
  COFFER_ASSIGN_OR_RETURN(state::ConfigTree tree, state::ReadConfigDir(options_.config_dir));
  const state::Revision revision =
      state::DescribeRevision(options_.config_dir, tree, env_.random().LibCtx());
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
        state::StandardSecretResolver resolver =
            ResolverFor(options_.config_dir, options_.key_dir, env_.random());
        auto desired = state::BuildDesiredRecords(load.state, resolver, key);
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
    log.Info(
        "reconcile", "applied",
        {{"revision", revision.ToString()}, {"generation", std::to_string(result->generation)}});
  }
  applied_revision = revision.ToString();
  return base::Ok();
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

void Reconciler::Pass() {
  std::string revision;
  if (auto applied = Apply(revision); !applied.has_value()) {
    // Terminal for this revision: the last good snapshot keeps serving.
    env_.log().Error("reconcile", "not applied; keeping the last good state",
                     {{"error", applied.error().message()}});
    Degraded("config not applied", applied.error().message());
    return;
  }
  if (revision != last_applied_) {
    env_.log().Info("reconcile", "ready", {{"revision", revision}});
    last_applied_ = revision;
  }
  health_.Set("config", true);
}

}  // namespace coffer::cli
