#pragma once
// Apply: makes the store's repo-owned rows equal the desired state, in one SQLite
// transaction (all or nothing), and records the revision it applied.
//
// Flow for a caller (CLI or daemon):
//   ConfigTree tree = ReadConfigDir(dir);                 // config_files.h
//   ConfigLoad load = LoadConfig(tree);                   // config.h; stop if !load.ok()
//   DesiredRecords want = BuildDesiredRecords(load.state, resolver, master_key);  // secrets.h
//   Plan plan = PlanChanges(store, want);                 // optional: to show it
//   ApplyResult r = Apply(store, want, master_key, random, {revision, now, ...});
//   Snapshot: BuildSnapshot(store, master_key, holder.NextGeneration(), now)   // snapshot.h
//
// The plan is recomputed inside the transaction, so what is written always matches the store
// at commit time. Runtime-owned rows (STS sessions, service accounts, runtime users) are never
// read as part of the plan nor written.

#include <cstdint>

#include "coffer/base/clock.h"
#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/state/crypto.h"
#include "coffer/state/plan.h"
#include "coffer/state/revision.h"
#include "coffer/state/secrets.h"
#include "coffer/state/store.h"

namespace coffer::state {

struct ApplyOptions {
  Revision revision;
  base::WallTime now{};
  // Guards. Without allow_lockout, a desired state with no admin principal is refused.
  // Without allow_prune, deleting more than half of the stored users, or of the stored
  // policies, is refused.
  bool allow_lockout = false;
  bool allow_prune = false;
};

struct ApplyResult {
  Plan plan;                     // What was written (empty when nothing changed).
  std::uint64_t generation = 0;  // The store generation after the apply.
};

// Reads the stored records and diffs them against `desired`. Read-only.
base::Result<Plan> PlanChanges(Store& store, const DesiredRecords& desired);

// Checks the guards for a plan against the stored counts. kFailedPrecondition with a message
// naming the guard and its override flag. Pure.
base::Status CheckGuards(const Plan& plan, const DesiredRecords& desired,
                         const std::vector<Record>& stored, const ApplyOptions& options);

// Applies `desired`. On success the plan, the audit outbox rows (one per change, secrets
// redacted) and the reconcile status (Ready, revision, time) commit together. On any error
// nothing is written and the store file is unchanged. Errors: kFailedPrecondition (a guard,
// or a name owned by the appliance), kUnavailable (store busy), kDataLoss (I/O), kAborted
// (a test failpoint).
base::Result<ApplyResult> Apply(Store& store, const DesiredRecords& desired, const MasterKey& key,
                                base::Random& random, const ApplyOptions& options);

}  // namespace coffer::state
