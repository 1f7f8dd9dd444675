// Writing repo-owned rows. Every write is conditioned on owner = 'repo' (or 'builtin' for
// built-in policies), so a name held by the appliance at run time is never overwritten.

#include "apply_writer.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "coffer/state/builtin_policies.h"

namespace coffer::state::internal {
namespace {

std::vector<std::string> ParseList(const std::string& json) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

const std::string& FieldOf(const Record& r, const std::string& field) {
  auto it = r.fields.find(field);
  COFFER_ASSERT(it != r.fields.end());
  return it->second.value;
}

bool Touches(const Change& change, bool sensitive_only) {
  if (change.action == ChangeAction::kCreate) return true;
  for (const FieldChange& f : change.fields) {
    if (!sensitive_only || f.sensitive) return true;
  }
  // A drifted row with no visible difference: rewrite everything to be safe.
  return change.drift;
}

std::optional<std::int64_t> OptionalInt(const std::string& s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

ApplyWriter::ApplyWriter(sqlite3* db, const DesiredRecords& desired, const MasterKey& key,
                         base::Random& random, base::WallTime now)
    : db_(db), desired_(desired), key_(key), random_(random), now_ns_(ToUnixNanos(now)) {}

Statement& ApplyWriter::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
  }
  return *it->second;
}

const std::map<std::string, base::Secret>* ApplyWriter::SecretsOf(const Record& want) const {
  auto it = desired_.secrets.find({want.kind, want.name});
  return it == desired_.secrets.end() ? nullptr : &it->second;
}

base::Status ApplyWriter::ExpectOneRow(const Record& want) {
  if (sqlite3_changes(db_) == 1) return base::Ok();
  return base::FailedPrecondition(want.kind + " \"" + want.name +
                                  "\" exists and is owned by the appliance, not the repo");
}

base::Status ApplyWriter::SyncBuiltins() {
  Statement& q = Prepare(
      "INSERT INTO policies (name, owner, document, applied_digest, updated_at_ns) "
      "VALUES (?1, 'builtin', ?2, '', ?3) ON CONFLICT (name) DO UPDATE SET "
      "document = excluded.document, updated_at_ns = excluded.updated_at_ns "
      "WHERE policies.owner = 'builtin' AND policies.document != excluded.document;");
  for (const BuiltinPolicy& p : BuiltinPolicies()) {
    q.Bind(1, p.name).Bind(2, p.document).Bind(3, now_ns_);
    COFFER_RETURN_IF_ERROR(q.Run());
  }
  return base::Ok();
}

base::Status ApplyWriter::Delete(const Change& change) {
  std::string sql;
  if (change.kind == "policy")
    sql = "DELETE FROM policies WHERE name = ?1 AND owner = 'repo';";
  else if (change.kind == "user")
    sql = "DELETE FROM users WHERE name = ?1 AND owner = 'repo';";
  else if (change.kind == "group")
    sql = "DELETE FROM iam_groups WHERE name = ?1 AND owner = 'repo';";
  else if (change.kind == "bucket")
    sql = "DELETE FROM buckets WHERE name = ?1 AND owner = 'repo';";
  else
    sql = "DELETE FROM settings WHERE name = ?1 AND owner = 'repo' AND kind = ?2;";
  Statement& q = Prepare(sql);
  q.Bind(1, change.name);
  if (sql.find("?2") != std::string::npos) q.Bind(2, change.kind);
  return q.Run();
}

base::Status ApplyWriter::Upsert(const Change& change, const Record& want) {
  if (want.kind == "policy") return UpsertPolicy(want);
  if (want.kind == "user") return UpsertUser(change, want);
  if (want.kind == "group") return UpsertGroup(want);
  if (want.kind == "bucket") return UpsertBucket(want);
  return UpsertSettings(change, want);
}

base::Status ApplyWriter::UpsertPolicy(const Record& want) {
  Statement& q = Prepare(
      "INSERT INTO policies (name, owner, document, applied_digest, updated_at_ns) "
      "VALUES (?1, 'repo', ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
      "document = excluded.document, applied_digest = excluded.applied_digest, "
      "updated_at_ns = excluded.updated_at_ns WHERE policies.owner = 'repo';");
  q.Bind(1, want.name).Bind(2, FieldOf(want, "document")).Bind(3, RecordDigest(want));
  q.Bind(4, now_ns_);
  COFFER_RETURN_IF_ERROR(q.Run());
  return ExpectOneRow(want);
}

base::Status ApplyWriter::ReplaceLinks(std::string_view table, std::string_view owner_column,
                                       std::string_view item_column, const std::string& owner,
                                       const std::string& json_list) {
  std::string t(table), o(owner_column), i(item_column);
  Statement& del = Prepare("DELETE FROM " + t + " WHERE " + o + " = ?1;");
  del.Bind(1, owner);
  COFFER_RETURN_IF_ERROR(del.Run());
  Statement& ins = Prepare("INSERT INTO " + t + " (" + o + ", " + i + ") VALUES (?1, ?2);");
  for (const std::string& item : ParseList(json_list)) {
    ins.Bind(1, owner).Bind(2, item);
    COFFER_RETURN_IF_ERROR(ins.Run());
  }
  return base::Ok();
}

base::Status ApplyWriter::UpsertUser(const Change& change, const Record& want) {
  bool enabled = FieldOf(want, "enabled") == "true";
  if (Touches(change, /*sensitive_only=*/true)) {
    const auto* secrets = SecretsOf(want);
    COFFER_ASSERT(secrets != nullptr);
    const base::Secret& secret = secrets->at("secret");
    // INVARIANT: the AAD binds the ciphertext to this user, so rows cannot swap secrets.
    COFFER_ASSIGN_OR_RETURN(std::string blob,
                            key_.Encrypt(secret.Reveal(), "user/" + want.name, random_));
    Statement& q = Prepare(
        "INSERT INTO users (name, owner, enabled, secret_ciphertext, secret_digest, "
        "applied_digest, updated_at_ns) VALUES (?1, 'repo', ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, "
        "secret_ciphertext = excluded.secret_ciphertext, secret_digest = excluded.secret_digest, "
        "applied_digest = excluded.applied_digest, updated_at_ns = excluded.updated_at_ns "
        "WHERE users.owner = 'repo';");
    q.Bind(1, want.name).Bind(2, std::int64_t{enabled ? 1 : 0}).BindBlob(3, blob);
    q.Bind(4, FieldOf(want, "secret")).Bind(5, RecordDigest(want)).Bind(6, now_ns_);
    COFFER_RETURN_IF_ERROR(q.Run());
  } else {
    Statement& q = Prepare(
        "UPDATE users SET enabled = ?2, applied_digest = ?3, updated_at_ns = ?4 "
        "WHERE name = ?1 AND owner = 'repo';");
    q.Bind(1, want.name).Bind(2, std::int64_t{enabled ? 1 : 0}).Bind(3, RecordDigest(want));
    q.Bind(4, now_ns_);
    COFFER_RETURN_IF_ERROR(q.Run());
  }
  COFFER_RETURN_IF_ERROR(ExpectOneRow(want));
  return ReplaceLinks("user_policies", "user_name", "policy_name", want.name,
                      FieldOf(want, "policies"));
}

base::Status ApplyWriter::UpsertGroup(const Record& want) {
  Statement& q = Prepare(
      "INSERT INTO iam_groups (name, owner, enabled, applied_digest, updated_at_ns) "
      "VALUES (?1, 'repo', ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
      "enabled = excluded.enabled, applied_digest = excluded.applied_digest, "
      "updated_at_ns = excluded.updated_at_ns WHERE iam_groups.owner = 'repo';");
  q.Bind(1, want.name).Bind(2, std::int64_t{FieldOf(want, "enabled") == "true" ? 1 : 0});
  q.Bind(3, RecordDigest(want)).Bind(4, now_ns_);
  COFFER_RETURN_IF_ERROR(q.Run());
  COFFER_RETURN_IF_ERROR(ExpectOneRow(want));
  COFFER_RETURN_IF_ERROR(ReplaceLinks("group_members", "group_name", "user_name", want.name,
                                      FieldOf(want, "members")));
  return ReplaceLinks("group_policies", "group_name", "policy_name", want.name,
                      FieldOf(want, "policies"));
}

base::Status ApplyWriter::UpsertBucket(const Record& want) {
  Statement& q = Prepare(
      "INSERT INTO buckets (name, owner, versioning, encryption, kms_key, policy, anonymous, "
      "quota_objects, quota_bytes, applied_digest, updated_at_ns) "
      "VALUES (?1, 'repo', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (name) DO UPDATE "
      "SET versioning = excluded.versioning, encryption = excluded.encryption, "
      "kms_key = excluded.kms_key, policy = excluded.policy, anonymous = excluded.anonymous, "
      "quota_objects = excluded.quota_objects, quota_bytes = excluded.quota_bytes, "
      "applied_digest = excluded.applied_digest, updated_at_ns = excluded.updated_at_ns, "
      "owner = 'repo' "
      // A bucket the repo now declares takes over the runtime row an S3 client
      // made: the repo's settings win.
      "WHERE buckets.owner IN ('repo', 'runtime');");
  q.Bind(1, want.name).Bind(2, std::int64_t{FieldOf(want, "versioning") == "true" ? 1 : 0});
  q.Bind(3, FieldOf(want, "encryption")).Bind(4, FieldOf(want, "kms_key"));
  q.Bind(5, FieldOf(want, "policy")).Bind(6, FieldOf(want, "anonymous"));
  q.Bind(7, OptionalInt(FieldOf(want, "quota_objects")));
  q.Bind(8, OptionalInt(FieldOf(want, "quota_bytes")));
  q.Bind(9, RecordDigest(want)).Bind(10, now_ns_);
  COFFER_RETURN_IF_ERROR(q.Run());
  return ExpectOneRow(want);
}

base::Status ApplyWriter::UpsertSettings(const Change& change, const Record& want) {
  nlohmann::json fields = nlohmann::json::object(), digests = nlohmann::json::object();
  for (const auto& [name, value] : want.fields) {
    (value.sensitive ? digests : fields)[name] = value.value;
  }
  const auto* secrets = SecretsOf(want);
  bool rewrite_secrets = Touches(change, /*sensitive_only=*/true);
  std::optional<std::string> blob;
  if (secrets != nullptr && rewrite_secrets) {
    nlohmann::json plain = nlohmann::json::object();
    for (const auto& [name, secret] : *secrets) plain[name] = std::string(secret.Reveal());
    std::string text = plain.dump();
    COFFER_ASSIGN_OR_RETURN(blob, key_.Encrypt(text, want.kind + "/" + want.name, random_));
    base::Secret wipe_text(std::move(text));
  }
  Statement& q = Prepare(
      "INSERT INTO settings (kind, name, owner, fields, secret_digests, secrets_ciphertext, "
      "applied_digest, updated_at_ns) VALUES (?1, ?2, 'repo', ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (kind, name) DO UPDATE SET fields = excluded.fields, "
      "secret_digests = excluded.secret_digests, secrets_ciphertext = CASE WHEN ?8 THEN "
      "excluded.secrets_ciphertext ELSE settings.secrets_ciphertext END, "
      "applied_digest = excluded.applied_digest, updated_at_ns = excluded.updated_at_ns "
      "WHERE settings.owner = 'repo';");
  q.Bind(1, want.kind).Bind(2, want.name).Bind(3, fields.dump()).Bind(4, digests.dump());
  if (blob)
    q.BindBlob(5, *blob);
  else
    q.BindNull(5);
  q.Bind(6, RecordDigest(want)).Bind(7, now_ns_).Bind(8, std::int64_t{rewrite_secrets ? 1 : 0});
  COFFER_RETURN_IF_ERROR(q.Run());
  return ExpectOneRow(want);
}

base::Status ApplyWriter::Outbox(const Change& change, const std::string& revision) {
  nlohmann::json before = nlohmann::json::object(), after = nlohmann::json::object();
  for (const FieldChange& f : change.fields) {
    // SECURITY: the outbox feeds audit targets; secrets appear only as "(sensitive)".
    if (f.before) before[f.field] = f.sensitive ? "(sensitive)" : *f.before;
    if (f.after) after[f.field] = f.sensitive ? "(sensitive)" : *f.after;
  }
  Statement& q = Prepare(
      "INSERT INTO audit_outbox (revision, at_ns, action, kind, name, old_value, new_value) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);");
  q.Bind(1, revision).Bind(2, now_ns_).Bind(3, ChangeActionName(change.action));
  q.Bind(4, change.kind).Bind(5, change.name).Bind(6, before.dump()).Bind(7, after.dump());
  return q.Run();
}

}  // namespace coffer::state::internal
