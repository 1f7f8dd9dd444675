// Flattening both sides of a plan into Records: the desired state (with secrets resolved and
// replaced by keyed digests) and the repo-owned rows of the store (with drift flags).

#include <cstdint>

#include <nlohmann/json.hpp>

#include "coffer/state/plan.h"
#include "coffer/state/secrets.h"
#include "coffer/state/store.h"

#include "sql.h"

namespace coffer::state {
namespace {

using internal::Statement;

std::string JsonList(const std::vector<std::string>& values) {
  return nlohmann::json(values).dump();
}

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string Where(const SourceLocation& w) {
  return w.file + ":" + std::to_string(w.line) + ":" + std::to_string(w.column) + ": ";
}

Record PolicyRecord(const PolicyConfig& p) {
  return {"policy", p.name, {{"document", {p.document}}}};
}

Record BucketRecord(const BucketConfig& b) {
  auto quota = [](const std::optional<std::int64_t>& q) { return q ? std::to_string(*q) : ""; };
  return {"bucket",
          b.name,
          {{"anonymous", {std::string(AnonymousAccessName(b.anonymous))}},
           {"encryption", {std::string(EncryptionName(b.encryption))}},
           {"kms_key", {b.kms_key}},
           {"policy", {b.policy}},
           {"quota_bytes", {quota(b.quota_bytes)}},
           {"quota_objects", {quota(b.quota_objects)}},
           {"versioning", {Bool(b.versioning)}}}};
}

}  // namespace

base::Result<DesiredRecords> BuildDesiredRecords(const DesiredState& state,
                                                 SecretResolver& resolver, const MasterKey& key) {
  DesiredRecords out;
  out.has_admin_principal = HasAdminPrincipal(state);
  std::string errors;
  auto resolve = [&](const SecretRef& ref, const std::string& kind, const std::string& name,
                     const std::string& field, Record& record) {
    base::Result<base::Secret> secret = resolver.Resolve(ref);
    if (!secret.has_value()) {
      errors += Where(ref.where) + kind + "." + name + "." + field + ": " +
                secret.error().message() + "\n";
      return;
    }
    record.fields[field] = {key.Digest(kind + "/" + name + "/" + field, secret->Reveal()), true};
    out.secrets[{kind, name}][field] = *std::move(secret);
  };
  out.records.reserve(state.policies.size() + state.users.size() + state.groups.size() +
                      state.buckets.size() + state.settings.size());
  for (const auto& [name, p] : state.policies) out.records.push_back(PolicyRecord(p));
  for (const auto& [name, u] : state.users) {
    Record r{"user", name, {{"enabled", {Bool(u.enabled)}}, {"policies", {JsonList(u.policies)}}}};
    resolve(u.secret, "user", name, "secret", r);
    out.records.push_back(std::move(r));
  }
  for (const auto& [name, g] : state.groups) {
    out.records.push_back({"group",
                           name,
                           {{"enabled", {Bool(g.enabled)}},
                            {"members", {JsonList(g.members)}},
                            {"policies", {JsonList(g.policies)}}}});
  }
  for (const auto& [name, b] : state.buckets) out.records.push_back(BucketRecord(b));
  for (const auto& [id, s] : state.settings) {
    Record r{s.kind, s.name, {}};
    for (const auto& [field, value] : s.fields) r.fields[field] = {value};
    for (const auto& [field, ref] : s.secrets) resolve(ref, s.kind, s.name, field, r);
    out.records.push_back(std::move(r));
  }
  if (!errors.empty()) return base::InvalidArgument(errors);
  return out;
}

std::string RecordDigest(const Record& record) {
  // SECURITY: this detects out-of-band edits by operators and tools; it is not an
  // authenticator (whoever can write the store can recompute it). FNV-1a, 2 x 64 bits.
  std::uint64_t a = 1469598103934665603ull, b = 0x84222325cbf29ce4ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      a = (a ^ c) * 1099511628211ull;
      b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
    }
    a = (a ^ 0xff) * 1099511628211ull;
    b = (b ^ 0xff) * 0x100000001b3ull;
  };
  mix(record.kind);
  mix(record.name);
  for (const auto& [field, value] : record.fields) {
    mix(field);
    mix(value.value);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint64_t v : {a, b}) {
    for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xf];
  }
  return out;
}

namespace {

// (owner name) -> sorted list of names, from a two-column query ordered by both columns.
base::Result<std::map<std::string, std::vector<std::string>>> Pairs(sqlite3* db,
                                                                    std::string_view sql) {
  std::map<std::string, std::vector<std::string>> out;
  Statement q(db, sql);
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.Text(0)].push_back(q.Text(1));
  }
  return out;
}

std::string ListOf(const std::map<std::string, std::vector<std::string>>& m, const std::string& k) {
  auto it = m.find(k);
  return JsonList(it == m.end() ? std::vector<std::string>{} : it->second);
}

void Finish(Record& r, const std::string& applied_digest, std::vector<Record>& out) {
  r.drifted = RecordDigest(r) != applied_digest;
  out.push_back(std::move(r));
}

base::Status ReadUsersAndGroups(sqlite3* db, std::vector<Record>& out) {
  COFFER_ASSIGN_OR_RETURN(auto user_policies,
                          Pairs(db,
                                "SELECT user_name, policy_name FROM user_policies "
                                "ORDER BY user_name, policy_name;"));
  Statement users(db,
                  "SELECT name, enabled, secret_digest, applied_digest FROM users "
                  "WHERE owner = 'repo' ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, users.Step());
    if (!row) break;
    std::string name = users.Text(0);
    Record r{"user",
             name,
             {{"enabled", {Bool(users.Int(1) != 0)}},
              {"policies", {ListOf(user_policies, name)}},
              {"secret", {users.Text(2), true}}}};
    Finish(r, users.Text(3), out);
  }
  COFFER_ASSIGN_OR_RETURN(auto members, Pairs(db,
                                              "SELECT group_name, user_name FROM "
                                              "group_members ORDER BY 1, 2;"));
  COFFER_ASSIGN_OR_RETURN(auto group_policies, Pairs(db,
                                                     "SELECT group_name, policy_name FROM "
                                                     "group_policies ORDER BY 1, 2;"));
  Statement groups(db,
                   "SELECT name, enabled, applied_digest FROM iam_groups "
                   "WHERE owner = 'repo' ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, groups.Step());
    if (!row) break;
    std::string name = groups.Text(0);
    Record r{"group",
             name,
             {{"enabled", {Bool(groups.Int(1) != 0)}},
              {"members", {ListOf(members, name)}},
              {"policies", {ListOf(group_policies, name)}}}};
    Finish(r, groups.Text(2), out);
  }
  return base::Ok();
}

base::Status ReadPoliciesAndBuckets(sqlite3* db, std::vector<Record>& out) {
  Statement policies(db,
                     "SELECT name, document, applied_digest FROM policies "
                     "WHERE owner = 'repo' ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, policies.Step());
    if (!row) break;
    Record r{"policy", policies.Text(0), {{"document", {policies.Text(1)}}}};
    Finish(r, policies.Text(2), out);
  }
  Statement buckets(db,
                    "SELECT name, versioning, encryption, kms_key, policy, anonymous, "
                    "quota_objects, quota_bytes, applied_digest FROM buckets "
                    "WHERE owner = 'repo' ORDER BY name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, buckets.Step());
    if (!row) break;
    auto quota = [&](int col) {
      return buckets.IsNull(col) ? std::string() : std::to_string(buckets.Int(col));
    };
    Record r{"bucket",
             buckets.Text(0),
             {{"anonymous", {buckets.Text(5)}},
              {"encryption", {buckets.Text(2)}},
              {"kms_key", {buckets.Text(3)}},
              {"policy", {buckets.Text(4)}},
              {"quota_bytes", {quota(7)}},
              {"quota_objects", {quota(6)}},
              {"versioning", {Bool(buckets.Int(1) != 0)}}}};
    Finish(r, buckets.Text(8), out);
  }
  return base::Ok();
}

base::Status ReadSettings(sqlite3* db, std::vector<Record>& out) {
  Statement q(db,
              "SELECT kind, name, fields, secret_digests, applied_digest FROM settings "
              "WHERE owner = 'repo' ORDER BY kind, name;");
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Record r{q.Text(0), q.Text(1), {}};
    nlohmann::json fields = nlohmann::json::parse(q.Text(2), nullptr, false);
    nlohmann::json digests = nlohmann::json::parse(q.Text(3), nullptr, false);
    if (!fields.is_object() || !digests.is_object()) {
      return base::DataLoss("settings " + r.kind + "/" + r.name + " has malformed JSON");
    }
    for (const auto& [k, v] : fields.items()) {
      if (v.is_string()) r.fields[k] = {v.get<std::string>()};
    }
    for (const auto& [k, v] : digests.items()) {
      if (v.is_string()) r.fields[k] = {v.get<std::string>(), true};
    }
    Finish(r, q.Text(4), out);
  }
  return base::Ok();
}

}  // namespace

base::Result<std::vector<Record>> ReadStoredRecords(Store& store) {
  sqlite3* db = store.handle_for_internal_use();
  std::vector<Record> out;
  COFFER_RETURN_IF_ERROR(ReadPoliciesAndBuckets(db, out));
  COFFER_RETURN_IF_ERROR(ReadUsersAndGroups(db, out));
  COFFER_RETURN_IF_ERROR(ReadSettings(db, out));
  return out;
}

}  // namespace coffer::state
