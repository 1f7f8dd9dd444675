// Apply: one IMMEDIATE transaction that re-plans against the store as it is now, checks the
// guards, writes every change with its audit record, and records the revision.

#include "coffer/state/apply.h"

#include <sqlite3.h>

#include "apply_writer.h"
#include "sql.h"

namespace coffer::state {
namespace {

using internal::Exec;
using internal::Statement;

std::size_t CountKind(const std::vector<Record>& records, std::string_view kind) {
  std::size_t n = 0;
  for (const Record& r : records) n += r.kind == kind ? 1 : 0;
  return n;
}

base::Status WriteChanges(internal::ApplyWriter& writer, const Plan& plan,
                          const DesiredRecords& desired, const std::string& revision,
                          int fail_after) {
  std::map<std::pair<std::string_view, std::string_view>, const Record*> index;
  for (const Record& r : desired.records) index[{r.kind, r.name}] = &r;
  int written = 0;
  auto step = [&]() -> base::Status {
    ++written;
    if (fail_after >= 0 && written > fail_after) {
      return base::Aborted("injected failure after " + std::to_string(fail_after) + " changes");
    }
    return base::Ok();
  };
  // Deletes run in reverse apply order (groups before the users and policies they name).
  for (auto it = plan.changes.rbegin(); it != plan.changes.rend(); ++it) {
    if (it->action != ChangeAction::kDelete) continue;
    COFFER_RETURN_IF_ERROR(step());
    COFFER_RETURN_IF_ERROR(writer.Delete(*it));
    COFFER_RETURN_IF_ERROR(writer.Outbox(*it, revision));
  }
  for (const Change& change : plan.changes) {
    if (change.action == ChangeAction::kDelete) continue;
    auto found = index.find({change.kind, change.name});
    COFFER_ASSERT(found != index.end());
    COFFER_RETURN_IF_ERROR(step());
    COFFER_RETURN_IF_ERROR(writer.Upsert(change, *found->second));
    COFFER_RETURN_IF_ERROR(writer.Outbox(change, revision));
  }
  return base::Ok();
}

base::Status RecordApplied(sqlite3* db, const ApplyOptions& options, bool changed) {
  Statement q(db,
              "UPDATE reconcile_status SET last_applied_revision = ?1, last_applied_author = ?2, "
              "last_applied_dirty = ?3, last_applied_at_ns = ?4, last_attempted_revision = ?1, "
              "last_attempted_at_ns = ?4, condition = 'Ready', reason = 'Applied', message = '', "
              "generation = generation + ?5 WHERE id = 1;");
  q.Bind(1, options.revision.id).Bind(2, options.revision.author);
  q.Bind(3, std::int64_t{options.revision.dirty ? 1 : 0}).Bind(4, ToUnixNanos(options.now));
  q.Bind(5, std::int64_t{changed ? 1 : 0});
  return q.Run();
}

base::Result<ApplyResult> ApplyInTransaction(Store& store, const DesiredRecords& desired,
                                             const MasterKey& key, base::Random& random,
                                             const ApplyOptions& options) {
  sqlite3* db = store.handle_for_internal_use();
  COFFER_ASSIGN_OR_RETURN(std::vector<Record> stored, ReadStoredRecords(store));
  ApplyResult result;
  result.plan = ComputePlan(desired.records, stored);
  COFFER_RETURN_IF_ERROR(CheckGuards(result.plan, desired, stored, options));
  internal::ApplyWriter writer(db, desired, key, random, options.now);
  COFFER_RETURN_IF_ERROR(writer.SyncBuiltins());
  COFFER_RETURN_IF_ERROR(
      WriteChanges(writer, result.plan, desired, options.revision.id, store.fail_after_changes()));
  COFFER_RETURN_IF_ERROR(RecordApplied(db, options, !result.plan.empty()));
  Statement gen(db, "SELECT generation FROM reconcile_status WHERE id = 1;");
  COFFER_ASSIGN_OR_RETURN(bool row, gen.Step());
  COFFER_ASSERT(row);
  result.generation = static_cast<std::uint64_t>(gen.Int(0));
  return result;
}

}  // namespace

base::Result<Plan> PlanChanges(Store& store, const DesiredRecords& desired) {
  COFFER_ASSIGN_OR_RETURN(std::vector<Record> stored, ReadStoredRecords(store));
  return ComputePlan(desired.records, stored);
}

base::Status CheckGuards(const Plan& plan, const DesiredRecords& desired,
                         const std::vector<Record>& stored, const ApplyOptions& options) {
  if (plan.empty()) return base::Ok();
  if (!options.allow_lockout && !desired.has_admin_principal) {
    return base::FailedPrecondition(
        "refusing to apply: the configuration leaves no principal with admin rights "
        "(pass --allow-lockout to override)");
  }
  if (options.allow_prune) return base::Ok();
  for (std::string_view kind : {"user", "policy"}) {
    std::size_t have = CountKind(stored, kind);
    std::size_t deletes = plan.Deletes(kind);
    if (have > 0 && deletes * 2 > have) {
      return base::FailedPrecondition("refusing to apply: it deletes " + std::to_string(deletes) +
                                      " of " + std::to_string(have) + " " + std::string(kind) +
                                      (kind == "policy" ? " records" : "s") +
                                      ", more than half (pass --allow-prune to override)");
    }
  }
  return base::Ok();
}

base::Result<ApplyResult> Apply(Store& store, const DesiredRecords& desired, const MasterKey& key,
                                base::Random& random, const ApplyOptions& options) {
  sqlite3* db = store.handle_for_internal_use();
  // IMMEDIATE takes the write lock up front, so the plan read below cannot go stale.
  COFFER_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE;"));
  base::Result<ApplyResult> result = ApplyInTransaction(store, desired, key, random, options);
  if (!result.has_value()) {
    // INVARIANT: nothing of a failed apply survives; the rollback restores the prior state.
    (void)Exec(db, "ROLLBACK;");
    return result.error();
  }
  base::Status commit = Exec(db, "COMMIT;");
  if (!commit.has_value()) {
    (void)Exec(db, "ROLLBACK;");
    return commit.error();
  }
  return result;
}

}  // namespace coffer::state
