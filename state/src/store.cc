// Opening the store (migrations, WAL, foreign keys, integrity check) and its small runtime
// operations. Reading and writing the repo-owned IAM rows lives in records.cc and apply.cc.

#include "coffer/state/store.h"

#include <cstdlib>

#include <sqlite3.h>

#include "migrations.h"
#include "sql.h"

namespace coffer::state {

using internal::Exec;
using internal::SqlError;
using internal::Statement;

std::string_view ConditionName(Condition c) {
  switch (c) {
    case Condition::kUnknown:
      return "Unknown";
    case Condition::kReady:
      return "Ready";
    case Condition::kDegraded:
      return "Degraded";
  }
  return "Unknown";
}

std::int64_t ToUnixNanos(base::WallTime t) { return t.time_since_epoch().count(); }

base::WallTime FromUnixNanos(std::int64_t ns) {
  return base::WallTime(std::chrono::nanoseconds(ns));
}

namespace {

// The first column of a one-row pragma. The statement is finished before returning, so no
// read transaction stays open (journal_mode cannot change inside one).
base::Result<std::string> PragmaText(sqlite3* db, std::string_view sql) {
  Statement q(db, sql);
  COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::string();
  return q.Text(0);
}

base::Status CheckIntegrity(sqlite3* db, const std::string& path) {
  base::Result<std::string> check = PragmaText(db, "PRAGMA integrity_check;");
  if (!check.has_value()) {
    return base::DataLoss("store " + path + " cannot be read: " + check.error().message());
  }
  if (*check != "ok")
    return base::DataLoss("store " + path + " failed its integrity check: " + *check);
  return base::Ok();
}

}  // namespace

base::Result<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                 const StoreOptions& options) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  const char* vfs = options.vfs_name.empty() ? nullptr : options.vfs_name.c_str();
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    base::Error err = SqlError(db, rc, "open " + path);
    sqlite3_close(db);
    return base::FailedPrecondition(err.message());
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  // INVARIANT: foreign keys are per connection and off by default; attachments rely on them.
  COFFER_RETURN_IF_ERROR(Exec(db, "PRAGMA foreign_keys = ON;"));
  COFFER_RETURN_IF_ERROR(CheckIntegrity(db, path));
  COFFER_ASSIGN_OR_RETURN(std::string journal, PragmaText(db, "PRAGMA journal_mode;"));
  if (journal != "wal") COFFER_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = WAL;"));
  COFFER_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous = FULL;"));
  COFFER_RETURN_IF_ERROR(store->Migrate());
  return store;
}

Store::~Store() { sqlite3_close(db_); }

base::Status Store::Migrate() {
  COFFER_ASSIGN_OR_RETURN(std::string version, PragmaText(db_, "PRAGMA user_version;"));
  int current = std::atoi(version.c_str());
  const auto& migrations = internal::EmbeddedMigrations();
  COFFER_ASSERT(!migrations.empty());
  if (current > migrations.back().version) {
    return base::FailedPrecondition("store schema version " + std::to_string(current) +
                                    " is newer than this Coffer (" +
                                    std::to_string(migrations.back().version) + ")");
  }
  for (const internal::Migration& m : migrations) {
    if (m.version <= current) continue;
    // Each migration and its version bump commit together, so a crash leaves either the
    // old or the new schema.
    COFFER_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE;"));
    base::Status st = Exec(db_, m.sql);
    if (st.has_value()) {
      st = Exec(db_, "PRAGMA user_version = " + std::to_string(m.version) + ";");
    }
    if (!st.has_value()) {
      (void)Exec(db_, "ROLLBACK;");
      return base::DataLoss("migration " + std::string(m.name) +
                            " failed: " + st.error().message());
    }
    COFFER_RETURN_IF_ERROR(Exec(db_, "COMMIT;"));
    current = m.version;
  }
  schema_version_ = current;
  return base::Ok();
}

base::Result<ReconcileStatus> Store::ReadStatus() {
  Statement q(db_,
              "SELECT last_applied_revision, last_applied_author, last_applied_dirty, "
              "last_applied_at_ns, last_attempted_revision, last_attempted_at_ns, condition, "
              "reason, message, generation FROM reconcile_status WHERE id = 1;");
  COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return base::DataLoss("reconcile_status row is missing");
  ReconcileStatus s;
  s.last_applied.id = q.Text(0);
  s.last_applied.author = q.Text(1);
  s.last_applied.dirty = q.Int(2) != 0;
  s.last_applied.git = !s.last_applied.id.empty() && !s.last_applied.id.starts_with("sha256:");
  s.last_applied_at = FromUnixNanos(q.Int(3));
  s.last_attempted_revision = q.Text(4);
  s.last_attempted_at = FromUnixNanos(q.Int(5));
  std::string condition = q.Text(6);
  s.condition = condition == "Ready"      ? Condition::kReady
                : condition == "Degraded" ? Condition::kDegraded
                                          : Condition::kUnknown;
  s.reason = q.Text(7);
  s.message = q.Text(8);
  s.generation = static_cast<std::uint64_t>(q.Int(9));
  return s;
}

base::Result<StoreCounts> Store::Counts() {
  Statement q(db_,
              "SELECT (SELECT count(*) FROM users WHERE owner = 'repo'), "
              "(SELECT count(*) FROM users WHERE owner = 'runtime'), "
              "(SELECT count(*) FROM iam_groups), "
              "(SELECT count(*) FROM policies WHERE owner = 'repo'), "
              "(SELECT count(*) FROM buckets), (SELECT count(*) FROM settings), "
              "(SELECT count(*) FROM service_accounts), (SELECT count(*) FROM sts_sessions), "
              "(SELECT count(*) FROM audit_outbox);");
  COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
  COFFER_ASSERT(row);
  StoreCounts c;
  c.users = q.Int(0);
  c.runtime_users = q.Int(1);
  c.groups = q.Int(2);
  c.policies = q.Int(3);
  c.buckets = q.Int(4);
  c.settings = q.Int(5);
  c.service_accounts = q.Int(6);
  c.sts_sessions = q.Int(7);
  c.outbox = q.Int(8);
  return c;
}

base::Result<std::int64_t> Store::DataVersion() {
  Statement q(db_, "PRAGMA data_version;");
  COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return base::Internal("PRAGMA data_version returned no row");
  return q.Int(0);
}

base::Status Store::RecordFailedAttempt(const Revision& revision, base::WallTime now,
                                        std::string_view reason, std::string_view message) {
  Statement q(db_,
              "UPDATE reconcile_status SET last_attempted_revision = ?1, "
              "last_attempted_at_ns = ?2, condition = 'Degraded', reason = ?3, message = ?4 "
              "WHERE id = 1;");
  q.Bind(1, revision.id).Bind(2, ToUnixNanos(now)).Bind(3, reason).Bind(4, message);
  return q.Run();
}

base::Status Store::PutCredential(std::string_view table, const RuntimeCredential& credential,
                                  std::string_view token_digest, const MasterKey& key,
                                  base::Random& random, base::WallTime now) {
  Statement taken(db_,
                  "SELECT 1 FROM users WHERE name = ?1 UNION ALL "
                  "SELECT 1 FROM service_accounts WHERE access_key = ?1 UNION ALL "
                  "SELECT 1 FROM sts_sessions WHERE access_key = ?1;");
  taken.Bind(1, credential.access_key);
  COFFER_ASSIGN_OR_RETURN(bool exists, taken.Step());
  if (exists) return base::AlreadyExists("access key " + credential.access_key + " is taken");
  COFFER_ASSIGN_OR_RETURN(std::string blob,
                          key.Encrypt(credential.secret_key.Reveal(),
                                      std::string(table) + "/" + credential.access_key, random));
  std::string sql =
      table == "sts_sessions"
          ? "INSERT INTO sts_sessions (access_key, parent, secret_ciphertext, "
            "session_token_digest, policy, expires_at_ns, created_at_ns) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);"
          : "INSERT INTO service_accounts (access_key, parent_user, secret_ciphertext, policy, "
            "enabled, expires_at_ns, created_at_ns) VALUES (?1, ?2, ?3, ?5, ?8, ?6, ?7);";
  Statement q(db_, sql);
  q.Bind(1, credential.access_key).Bind(2, credential.parent).BindBlob(3, blob);
  if (table == "sts_sessions") q.Bind(4, token_digest);
  q.Bind(5, credential.policy);
  if (credential.expires_at) {
    q.Bind(6, ToUnixNanos(*credential.expires_at));
  } else {
    q.BindNull(6);
  }
  q.Bind(7, ToUnixNanos(now));
  if (table != "sts_sessions") q.Bind(8, std::int64_t{credential.enabled ? 1 : 0});
  return q.Run();
}

base::Status Store::PutServiceAccount(const RuntimeCredential& credential, const MasterKey& key,
                                      base::Random& random, base::WallTime now) {
  return PutCredential("service_accounts", credential, "", key, random, now);
}

base::Result<std::vector<ServiceAccountInfo>> Store::ListServiceAccounts(std::string_view parent) {
  // The secret column is not even selected: a listing cannot leak it.
  Statement q(db_,
              "SELECT access_key, parent_user, policy, enabled, expires_at_ns, created_at_ns "
              "FROM service_accounts WHERE ?1 = '' OR parent_user = ?1 ORDER BY access_key;");
  q.Bind(1, parent);
  std::vector<ServiceAccountInfo> out;
  while (true) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ServiceAccountInfo info;
    info.access_key = q.Text(0);
    info.parent = q.Text(1);
    info.policy = q.Text(2);
    info.enabled = q.Int(3) != 0;
    if (auto ns = q.OptionalInt(4)) info.expires_at = FromUnixNanos(*ns);
    info.created_at = FromUnixNanos(q.Int(5));
    out.push_back(std::move(info));
  }
  return out;
}

base::Status Store::DeleteServiceAccount(std::string_view access_key) {
  Statement q(db_, "DELETE FROM service_accounts WHERE access_key = ?1;");
  q.Bind(1, access_key);
  COFFER_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return base::NotFound("no service account " + std::string(access_key));
  }
  return base::Ok();
}

base::Status Store::PutStsSession(const RuntimeCredential& credential,
                                  std::string_view token_digest, const MasterKey& key,
                                  base::Random& random, base::WallTime now) {
  if (!credential.expires_at) return base::InvalidArgument("an STS session needs an expiry");
  return PutCredential("sts_sessions", credential, token_digest, key, random, now);
}

base::Result<std::vector<StsSessionInfo>> Store::ListStsSessions(std::string_view parent) {
  Statement q(db_,
              "SELECT access_key, parent, policy, session_token_digest, expires_at_ns, "
              "created_at_ns FROM sts_sessions WHERE ?1 = '' OR parent = ?1 ORDER BY access_key;");
  q.Bind(1, parent);
  std::vector<StsSessionInfo> out;
  while (true) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    StsSessionInfo info;
    info.access_key = q.Text(0);
    info.parent = q.Text(1);
    info.policy = q.Text(2);
    info.revoked = q.Text(3) == kRevokedSessionDigest;
    info.expires_at = FromUnixNanos(q.Int(4));
    info.created_at = FromUnixNanos(q.Int(5));
    out.push_back(std::move(info));
  }
  return out;
}

base::Result<std::int64_t> Store::RevokeStsSessions(std::string_view access_key,
                                                    std::string_view parent) {
  if (access_key.empty() && parent.empty()) {
    return base::InvalidArgument("name a session or a parent to revoke");
  }
  Statement q(db_,
              "UPDATE sts_sessions SET session_token_digest = ?3 WHERE "
              "(?1 <> '' AND access_key = ?1) OR (?1 = '' AND parent = ?2);");
  q.Bind(1, access_key).Bind(2, parent).Bind(3, kRevokedSessionDigest);
  COFFER_RETURN_IF_ERROR(q.Run());
  const auto changed = static_cast<std::int64_t>(sqlite3_changes(db_));
  if (changed == 0) return base::NotFound("no such STS session");
  return changed;
}

base::Result<std::int64_t> Store::DeleteExpiredStsSessions(base::WallTime now) {
  Statement q(db_, "DELETE FROM sts_sessions WHERE expires_at_ns <= ?1;");
  q.Bind(1, ToUnixNanos(now));
  COFFER_RETURN_IF_ERROR(q.Run());
  return static_cast<std::int64_t>(sqlite3_changes(db_));
}

base::Status Store::PutRuntimeBucket(const RuntimeBucket& bucket, base::WallTime now) {
  Statement owner(db_, "SELECT owner FROM buckets WHERE name = ?1;");
  owner.Bind(1, bucket.name);
  COFFER_ASSIGN_OR_RETURN(bool exists, owner.Step());
  if (exists && owner.Text(0) != "runtime") {
    return base::FailedPrecondition("bucket " + bucket.name + " is owned by the config repo");
  }
  Statement q(db_,
              "INSERT INTO buckets (name, owner, versioning, encryption, kms_key, policy, "
              "anonymous, quota_objects, quota_bytes, applied_digest, updated_at_ns) "
              "VALUES (?1, 'runtime', 0, ?2, ?3, ?4, 'none', NULL, NULL, '', ?5) "
              "ON CONFLICT (name) DO UPDATE SET encryption = excluded.encryption, "
              "kms_key = excluded.kms_key, policy = excluded.policy, "
              "updated_at_ns = excluded.updated_at_ns WHERE buckets.owner = 'runtime';");
  q.Bind(1, bucket.name).Bind(2, bucket.encryption).Bind(3, bucket.kms_key);
  q.Bind(4, bucket.policy).Bind(5, ToUnixNanos(now));
  return q.Run();
}

base::Status Store::DeleteRuntimeBucket(std::string_view name) {
  Statement q(db_, "DELETE FROM buckets WHERE name = ?1 AND owner = 'runtime';");
  q.Bind(1, name);
  return q.Run();
}

base::Result<RuntimeBucket> Store::GetRuntimeBucket(std::string_view name) {
  Statement q(db_,
              "SELECT name, policy, encryption, kms_key FROM buckets "
              "WHERE name = ?1 AND owner = 'runtime';");
  q.Bind(1, name);
  COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return base::NotFound("no runtime bucket " + std::string(name));
  return RuntimeBucket{q.Text(0), q.Text(1), q.Text(2), q.Text(3)};
}

base::Result<std::vector<OutboxRecord>> Store::ReadOutbox(std::int64_t after_seq, int limit) {
  Statement q(db_,
              "SELECT seq, revision, at_ns, action, kind, name, old_value, new_value "
              "FROM audit_outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2;");
  q.Bind(1, after_seq).Bind(2, std::int64_t{limit});
  std::vector<OutboxRecord> out;
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Int(0), q.Text(1), FromUnixNanos(q.Int(2)), q.Text(3), q.Text(4), q.Text(5),
                   q.Text(6), q.Text(7)});
  }
  return out;
}

base::Status Store::AckOutbox(std::int64_t seq) {
  Statement q(db_, "DELETE FROM audit_outbox WHERE seq <= ?1;");
  q.Bind(1, seq);
  return q.Run();
}

#if defined(COFFER_TESTING)
base::Status Store::ExecForTest(std::string_view sql) { return Exec(db_, sql); }
#endif

}  // namespace coffer::state
