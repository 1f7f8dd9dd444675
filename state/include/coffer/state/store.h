#pragma once
// The SQLite IAM store: users, groups, policies and their attachments, buckets, settings
// (appliance, key service, identity providers, audit targets), runtime credentials (STS
// sessions, service accounts), the audit outbox and the reconcile status.
//
// Opening runs the embedded numbered migrations (state/migrations/NNNN_name.sql), turns on
// WAL and foreign keys, and runs an integrity check. Secrets are stored encrypted under the
// master key (crypto.h). SQL never reads the clock: every time is a parameter.
//
// A Store is not thread-safe: one owner (the reconcile loop) at a time. Readers of IAM state
// use the immutable Snapshot (snapshot.h) instead.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/state/crypto.h"
#include "coffer/state/revision.h"

struct sqlite3;

namespace coffer::state {

struct StoreOptions {
  // The SQLite VFS to open the file through; empty means SQLite's default. The simulator
  // registers its own ("coffer-sim") over the simulated drive.
  std::string vfs_name;
  bool create_if_missing = true;
};

enum class Condition { kUnknown, kReady, kDegraded };
std::string_view ConditionName(Condition c);

// The reconcile status (controller-runtime style): what was applied, what was last tried.
struct ReconcileStatus {
  Revision last_applied;
  base::WallTime last_applied_at{};
  std::string last_attempted_revision;
  base::WallTime last_attempted_at{};
  Condition condition = Condition::kUnknown;
  std::string reason;
  std::string message;
  // Incremented by every apply that changed something.
  std::uint64_t generation = 0;
};

struct StoreCounts {
  std::int64_t users = 0;  // Repo-owned.
  std::int64_t runtime_users = 0;
  std::int64_t groups = 0;
  std::int64_t policies = 0;  // Repo-owned (built-ins not counted).
  std::int64_t buckets = 0;
  std::int64_t settings = 0;
  std::int64_t service_accounts = 0;
  std::int64_t sts_sessions = 0;
  std::int64_t outbox = 0;  // Undrained audit records.
};

// A runtime credential, created by the appliance (never by apply).
struct RuntimeCredential {
  std::string access_key;
  std::string parent;  // The user (service account) or principal (STS session).
  base::Secret secret_key;
  std::string policy;  // Session or inline policy JSON; may be empty.
  bool enabled = true;
  std::optional<base::WallTime> expires_at;  // Required for STS sessions.
};

// A service account as listed: everything but the secret, which is shown only once, when
// the account is created.
struct ServiceAccountInfo {
  std::string access_key;
  std::string parent;
  std::string policy;  // Inline policy JSON narrowing the parent; may be empty.
  bool enabled = true;
  std::optional<base::WallTime> expires_at;
  base::WallTime created_at{};
};

// The settings S3 clients may change on a bucket the config repo does not
// declare (PutBucketPolicy, PutBucketEncryption): a runtime-owned bucket row.
struct RuntimeBucket {
  std::string name;
  std::string policy;               // Bucket policy JSON, validated by the caller; may be empty.
  std::string encryption = "none";  // none | sse-s3 | sse-kms
  std::string kms_key;
};

// An STS session as listed: never its secret or token.
struct StsSessionInfo {
  std::string access_key;
  std::string parent;
  std::string policy;  // Session policy JSON; may be empty.
  bool revoked = false;
  base::WallTime expires_at{};
  base::WallTime created_at{};
};

// The session_token_digest of a revoked session. The row stays until the
// session would have expired, so that any node refuses its token meanwhile.
inline constexpr std::string_view kRevokedSessionDigest = "revoked";

struct OutboxRecord {
  std::int64_t seq = 0;
  std::string revision;
  base::WallTime at{};
  std::string action;  // create | update | delete
  std::string kind;
  std::string name;
  std::string old_value;  // JSON object of fields, secrets as "(sensitive)".
  std::string new_value;
};

class Store {
 public:
  // Opens (or creates) the store at `path`. Errors: kDataLoss when the integrity check or a
  // migration fails on an existing file, kFailedPrecondition when the file cannot be opened
  // or was written by a newer Coffer (unknown schema version).
  static base::Result<std::unique_ptr<Store>> Open(const std::string& path,
                                                   const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The schema version after migrations (the highest NNNN applied).
  int schema_version() const { return schema_version_; }

  base::Result<ReconcileStatus> ReadStatus();
  base::Result<StoreCounts> Counts();
  // SQLite's PRAGMA data_version: changes whenever another connection (another
  // process, e.g. `coffer admin sts revoke`) committed to the file since the
  // last call; this connection's own commits leave it alone. Cheap (no I/O).
  base::Result<std::int64_t> DataVersion();

  // Records a failed reconcile attempt (invalid config, guard refusal, I/O error) as
  // Degraded, keeping the last applied revision. The daemon calls this; `coffer apply`
  // does not, so a refused CLI apply leaves the file untouched.
  base::Status RecordFailedAttempt(const Revision& revision, base::WallTime now,
                                   std::string_view reason, std::string_view message);

  // Runtime credentials. Apply never touches these rows. The secret is encrypted under
  // `key`. kAlreadyExists when the access key is taken by any credential or user.
  base::Status PutServiceAccount(const RuntimeCredential& credential, const MasterKey& key,
                                 base::Random& random, base::WallTime now);
  // Service accounts of `parent`, or of every parent when `parent` is empty, sorted by
  // access key. Never returns secrets.
  base::Result<std::vector<ServiceAccountInfo>> ListServiceAccounts(std::string_view parent);
  // kNotFound when no service account has `access_key`.
  base::Status DeleteServiceAccount(std::string_view access_key);
  base::Status PutStsSession(const RuntimeCredential& credential, std::string_view token_digest,
                             const MasterKey& key, base::Random& random, base::WallTime now);
  // Deletes STS sessions that expired at or before `now`; returns how many.
  base::Result<std::int64_t> DeleteExpiredStsSessions(base::WallTime now);
  // STS sessions of `parent` (all when empty), sorted by access key; never secrets.
  base::Result<std::vector<StsSessionInfo>> ListStsSessions(std::string_view parent);
  // Revokes the session `access_key`, or (access_key empty) every session of
  // `parent`: their digest becomes kRevokedSessionDigest. Returns how many
  // were revoked; kNotFound when none matched.
  base::Result<std::int64_t> RevokeStsSessions(std::string_view access_key,
                                               std::string_view parent);

  // Runtime bucket settings. Put creates or replaces the runtime row of `bucket.name`;
  // kFailedPrecondition when the config repo owns the bucket (the repo decides its
  // settings). Delete removes the runtime row (no-op when absent or repo-owned).
  base::Status PutRuntimeBucket(const RuntimeBucket& bucket, base::WallTime now);
  base::Status DeleteRuntimeBucket(std::string_view name);
  // The runtime row of `name`, or kNotFound.
  base::Result<RuntimeBucket> GetRuntimeBucket(std::string_view name);

  // The audit outbox: records after `after_seq`, oldest first, at most `limit`.
  base::Result<std::vector<OutboxRecord>> ReadOutbox(std::int64_t after_seq, int limit);
  // Removes records up to and including `seq` once the audit subsystem has them.
  base::Status AckOutbox(std::int64_t seq);

  // For coffer::state's own units (apply, snapshot). Not part of the contract.
  sqlite3* handle_for_internal_use() { return db_; }
  int fail_after_changes() const { return fail_after_changes_; }

#if defined(COFFER_TESTING)
  // Makes the next applies fail (and roll back) after `n` changes were written; -1 disarms.
  void FailApplyAfterChangesForTest(int n) { fail_after_changes_ = n; }
  // Runs raw SQL, e.g. an out-of-band edit to test drift.
  base::Status ExecForTest(std::string_view sql);
#endif

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  base::Status Migrate();
  base::Status PutCredential(std::string_view table, const RuntimeCredential& credential,
                             std::string_view token_digest, const MasterKey& key,
                             base::Random& random, base::WallTime now);

  sqlite3* db_;
  int schema_version_ = 0;
  // INVARIANT: -1 outside tests; the field exists in every build so the layout is the same.
  int fail_after_changes_ = -1;
};

// Unix nanoseconds <-> WallTime, as the store keeps times.
std::int64_t ToUnixNanos(base::WallTime t);
base::WallTime FromUnixNanos(std::int64_t ns);

}  // namespace coffer::state
