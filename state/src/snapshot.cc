// Building the immutable IAM snapshot from the store, and swapping it in.

#include "coffer/state/snapshot.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "coffer/base/assert.h"

#include "policy_bridge.h"
#include "sql.h"

namespace coffer::state {

using internal::Statement;

class SnapshotBuilder {
 public:
  SnapshotBuilder(sqlite3* db, const MasterKey& key, base::WallTime now)
      : db_(db), key_(key), now_(now), snap_(std::make_shared<Snapshot>()) {}

  base::Result<std::shared_ptr<Snapshot>> Build(std::uint64_t generation);

 private:
  base::Status ReadStatus();
  base::Status ReadPolicies();
  base::Status ReadUsers();
  base::Status ReadRuntimeCredentials(std::string_view table);
  base::Status ReadBuckets();
  base::Status ReadSettings();
  base::Result<std::map<std::string, std::vector<std::string>>> Pairs(std::string_view sql);

  sqlite3* db_;
  const MasterKey& key_;
  base::WallTime now_;
  std::shared_ptr<Snapshot> snap_;
};

base::Result<std::shared_ptr<Snapshot>> SnapshotBuilder::Build(std::uint64_t generation) {
  snap_->generation_ = generation;
  snap_->built_at_ = now_;
  COFFER_RETURN_IF_ERROR(ReadStatus());
  COFFER_RETURN_IF_ERROR(ReadPolicies());
  COFFER_RETURN_IF_ERROR(ReadUsers());
  COFFER_RETURN_IF_ERROR(ReadRuntimeCredentials("service_accounts"));
  COFFER_RETURN_IF_ERROR(ReadRuntimeCredentials("sts_sessions"));
  COFFER_RETURN_IF_ERROR(ReadBuckets());
  COFFER_RETURN_IF_ERROR(ReadSettings());
  return snap_;
}

base::Result<std::map<std::string, std::vector<std::string>>> SnapshotBuilder::Pairs(
    std::string_view sql) {
  std::map<std::string, std::vector<std::string>> out;
  Statement q(db_, sql);
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.Text(0)].push_back(q.Text(1));
  }
  return out;
}

base::Status SnapshotBuilder::ReadStatus() {
  Statement q(db_,
              "SELECT last_applied_revision, last_applied_author, last_applied_dirty "
              "FROM reconcile_status WHERE id = 1;");
  COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
  if (row) {
    snap_->revision_.id = q.Text(0);
    snap_->revision_.author = q.Text(1);
    snap_->revision_.dirty = q.Int(2) != 0;
    snap_->revision_.git =
        !snap_->revision_.id.empty() && !snap_->revision_.id.starts_with("sha256:");
  }
  return base::Ok();
}

base::Status SnapshotBuilder::ReadPolicies() {
  Statement q(db_, "SELECT name, document FROM policies ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    PolicyEntry p{q.Text(0), q.Text(1), nullptr};
    p.compiled = internal::CompilePolicy(p.document, p.name, internal::PolicyUse::kIdentity);
    if (p.compiled == nullptr)
      return base::DataLoss("stored policy " + p.name + " does not compile");
    snap_->policies_.emplace(p.name, std::move(p));
  }
  return base::Ok();
}

base::Status SnapshotBuilder::ReadUsers() {
  COFFER_ASSIGN_OR_RETURN(auto direct, Pairs("SELECT user_name, policy_name FROM user_policies "
                                             "ORDER BY 1, 2;"));
  COFFER_ASSIGN_OR_RETURN(auto groups_of, Pairs("SELECT m.user_name, m.group_name FROM "
                                                "group_members m JOIN iam_groups g ON "
                                                "g.name = m.group_name WHERE g.enabled = 1 "
                                                "ORDER BY 1, 2;"));
  COFFER_ASSIGN_OR_RETURN(auto group_policies, Pairs("SELECT group_name, policy_name FROM "
                                                     "group_policies ORDER BY 1, 2;"));
  Statement q(db_, "SELECT name, enabled, secret_ciphertext FROM users ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Principal p{q.Text(0), q.Int(1) != 0, {}, {}};
    if (auto it = direct.find(p.name); it != direct.end()) p.policies = it->second;
    if (auto it = groups_of.find(p.name); it != groups_of.end()) p.groups = it->second;
    for (const std::string& g : p.groups) {
      auto gp = group_policies.find(g);
      if (gp != group_policies.end()) {
        p.policies.insert(p.policies.end(), gp->second.begin(), gp->second.end());
      }
    }
    std::sort(p.policies.begin(), p.policies.end());
    p.policies.erase(std::unique(p.policies.begin(), p.policies.end()), p.policies.end());
    if (p.enabled) {
      // SECURITY: a disabled user keeps its principal (for explain) but gets no credential.
      base::Result<base::Secret> secret = key_.Decrypt(q.Text(2), "user/" + p.name);
      if (!secret.has_value()) return secret.error().WithContext("user " + p.name);
      Credential c{
          p.name, *std::move(secret), CredentialKind::kUser, p.name, "", nullptr, std::nullopt, ""};
      snap_->credentials_.emplace(p.name, std::move(c));
    }
    snap_->principals_.emplace(p.name, std::move(p));
  }
  return base::Ok();
}

base::Status SnapshotBuilder::ReadRuntimeCredentials(std::string_view table) {
  bool sts = table == "sts_sessions";
  std::string sql = sts ? "SELECT access_key, parent, secret_ciphertext, policy, expires_at_ns, "
                          "session_token_digest, 1 FROM sts_sessions ORDER BY access_key;"
                        : "SELECT access_key, parent_user, secret_ciphertext, policy, "
                          "expires_at_ns, '', enabled FROM service_accounts ORDER BY access_key;";
  Statement q(db_, sql);
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    std::optional<std::int64_t> expires = q.OptionalInt(4);
    if (expires && FromUnixNanos(*expires) <= now_) continue;
    if (q.Int(6) == 0) continue;
    std::string parent = q.Text(1);
    const Principal* principal = snap_->FindPrincipal(parent);
    // SECURITY: a credential never outlives or outranks the user it derives from.
    if (!sts && (principal == nullptr || !principal->enabled)) continue;
    std::string access_key = q.Text(0);
    base::Result<base::Secret> secret =
        key_.Decrypt(q.Text(2), std::string(table) + "/" + access_key);
    if (!secret.has_value())
      return secret.error().WithContext(std::string(table) + " " + access_key);
    Credential c{access_key,
                 *std::move(secret),
                 sts ? CredentialKind::kStsSession : CredentialKind::kServiceAccount,
                 parent,
                 q.Text(3),
                 nullptr,
                 expires ? std::optional(FromUnixNanos(*expires)) : std::nullopt,
                 q.Text(5)};
    if (!c.session_policy.empty()) {
      c.compiled_session_policy = internal::CompilePolicy(
          c.session_policy, std::string(table) + ":" + access_key, internal::PolicyUse::kIdentity);
      if (c.compiled_session_policy == nullptr) {
        return base::DataLoss("stored policy of " + std::string(table) + " " + access_key +
                              " does not compile");
      }
    }
    snap_->credentials_.emplace(access_key, std::move(c));
  }
  return base::Ok();
}

std::string AnonymousPolicyJson(std::string_view bucket, AnonymousAccess access) {
  if (access == AnonymousAccess::kNone) return {};
  const bool download = access == AnonymousAccess::kDownload || access == AnonymousAccess::kPublic;
  const bool upload = access == AnonymousAccess::kUpload || access == AnonymousAccess::kPublic;
  const std::string arn = "arn:aws:s3:::" + std::string(bucket);
  std::vector<std::string> bucket_actions = {"s3:GetBucketLocation"};
  std::vector<std::string> object_actions;
  if (download) {
    bucket_actions.push_back("s3:ListBucket");
    object_actions.push_back("s3:GetObject");
  }
  if (upload) {
    bucket_actions.push_back("s3:ListBucketMultipartUploads");
    for (const char* a : {"s3:AbortMultipartUpload", "s3:DeleteObject",
                          "s3:ListMultipartUploadParts", "s3:PutObject"}) {
      object_actions.push_back(a);
    }
  }
  auto list = [](const std::vector<std::string>& actions) {
    std::string out;
    for (const std::string& a : actions) out += (out.empty() ? "\"" : ",\"") + a + "\"";
    return out;
  };
  return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
         "{\"AWS\":[\"*\"]},\"Action\":[" +
         list(bucket_actions) + "],\"Resource\":[\"" + arn +
         "\"]},{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\"]},\"Action\":[" +
         list(object_actions) + "],\"Resource\":[\"" + arn + "/*\"]}]}";
}

base::Status SnapshotBuilder::ReadBuckets() {
  Statement q(db_,
              "SELECT name, versioning, encryption, kms_key, policy, anonymous, "
              "quota_objects, quota_bytes, owner FROM buckets ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    BucketEntry b;
    b.name = q.Text(0);
    b.versioning = q.Int(1) != 0;
    std::string enc = q.Text(2), anon = q.Text(5);
    b.encryption = enc == "sse-s3"    ? Encryption::kSseS3
                   : enc == "sse-kms" ? Encryption::kSseKms
                                      : Encryption::kNone;
    b.kms_key = q.Text(3);
    b.policy = q.Text(4);
    if (!b.policy.empty()) {
      b.compiled_policy =
          internal::CompilePolicy(b.policy, "bucket:" + b.name, internal::PolicyUse::kBucket);
      if (b.compiled_policy == nullptr) {
        return base::DataLoss("stored policy of bucket " + b.name + " does not compile");
      }
    }
    b.anonymous = anon == "download" ? AnonymousAccess::kDownload
                  : anon == "upload" ? AnonymousAccess::kUpload
                  : anon == "public" ? AnonymousAccess::kPublic
                                     : AnonymousAccess::kNone;
    if (b.anonymous != AnonymousAccess::kNone) {
      b.compiled_anonymous =
          internal::CompilePolicy(AnonymousPolicyJson(b.name, b.anonymous), "anonymous:" + b.name,
                                  internal::PolicyUse::kBucket);
      COFFER_ASSERT(b.compiled_anonymous != nullptr);  // Bucket names are validated.
    }
    b.quota_objects = q.OptionalInt(6);
    b.quota_bytes = q.OptionalInt(7);
    b.repo_owned = q.Text(8) != "runtime";
    snap_->buckets_.emplace(b.name, std::move(b));
  }
  return base::Ok();
}

base::Status SnapshotBuilder::ReadSettings() {
  Statement q(db_,
              "SELECT kind, name, fields, secrets_ciphertext FROM settings "
              "ORDER BY kind, name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    SettingsEntry s{q.Text(0), q.Text(1), {}, {}};
    nlohmann::json fields = nlohmann::json::parse(q.Text(2), nullptr, false);
    if (!fields.is_object()) return base::DataLoss("settings " + s.kind + "/" + s.name);
    for (const auto& [k, v] : fields.items()) {
      if (v.is_string()) s.fields[k] = v.get<std::string>();
    }
    if (!q.IsNull(3)) {
      COFFER_ASSIGN_OR_RETURN(base::Secret plain, key_.Decrypt(q.Text(3), s.kind + "/" + s.name));
      nlohmann::json secrets = nlohmann::json::parse(plain.Reveal(), nullptr, false);
      if (!secrets.is_object()) return base::DataLoss("settings secrets " + s.kind + "/" + s.name);
      for (const auto& [k, v] : secrets.items()) {
        if (v.is_string()) s.secrets[k] = base::Secret(v.get<std::string>());
      }
    }
    snap_->settings_.emplace(std::make_pair(s.kind, s.name), std::move(s));
  }
  return base::Ok();
}

base::Result<std::shared_ptr<const Snapshot>> BuildSnapshot(Store& store, const MasterKey& key,
                                                            std::uint64_t generation,
                                                            base::WallTime now) {
  COFFER_ASSERT(generation > 0);
  sqlite3* db = store.handle_for_internal_use();
  // A read transaction gives the builder one consistent view of every table.
  COFFER_RETURN_IF_ERROR(internal::Exec(db, "BEGIN;"));
  base::Result<std::shared_ptr<Snapshot>> built = SnapshotBuilder(db, key, now).Build(generation);
  (void)internal::Exec(db, "COMMIT;");
  if (!built.has_value()) return built.error();
  // Pair assertion, first half: the snapshot has the generation it was built for.
  COFFER_ASSERT((*built)->generation() == generation);
  return std::shared_ptr<const Snapshot>(*std::move(built));
}

const Credential* Snapshot::FindCredential(std::string_view access_key) const {
  auto it = credentials_.find(access_key);
  return it == credentials_.end() ? nullptr : &it->second;
}

const Principal* Snapshot::FindPrincipal(std::string_view name) const {
  auto it = principals_.find(name);
  return it == principals_.end() ? nullptr : &it->second;
}

const PolicyEntry* Snapshot::FindPolicy(std::string_view name) const {
  auto it = policies_.find(name);
  return it == policies_.end() ? nullptr : &it->second;
}

const BucketEntry* Snapshot::FindBucket(std::string_view name) const {
  auto it = buckets_.find(name);
  return it == buckets_.end() ? nullptr : &it->second;
}

const SettingsEntry* Snapshot::FindSettings(std::string_view kind, std::string_view name) const {
  auto it = settings_.find(std::make_pair(std::string(kind), std::string(name)));
  return it == settings_.end() ? nullptr : &it->second;
}

std::vector<const BucketEntry*> Snapshot::Buckets() const {
  std::vector<const BucketEntry*> out;
  out.reserve(buckets_.size());
  for (const auto& [name, b] : buckets_) out.push_back(&b);
  return out;
}

std::vector<const SettingsEntry*> Snapshot::SettingsOfKind(std::string_view kind) const {
  std::vector<const SettingsEntry*> out;
  for (const auto& [id, s] : settings_) {
    if (s.kind == kind) out.push_back(&s);
  }
  return out;
}

std::shared_ptr<const Snapshot> SnapshotHolder::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::uint64_t SnapshotHolder::NextGeneration() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_ ? current_->generation() + 1 : 1;
}

base::Status SnapshotHolder::Swap(std::shared_ptr<const Snapshot> next) {
  COFFER_ASSERT(next != nullptr);
  COFFER_ASSERT(next->generation() > 0);
  std::lock_guard<std::mutex> lock(mu_);
  // Pair assertion, second half: generations only move forward.
  if (current_ && next->generation() <= current_->generation()) {
    return base::Aborted("stale snapshot generation " + std::to_string(next->generation()) +
                         " <= current " + std::to_string(current_->generation()));
  }
  current_ = std::move(next);
  return base::Ok();
}

}  // namespace coffer::state
