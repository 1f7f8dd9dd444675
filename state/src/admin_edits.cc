// The `coffer admin` edits. Each one finds where the repo already says the thing (the user's
// table, the group's member list, ...) and changes just that, through ConfigEditor.

#include "coffer/state/admin_edits.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "coffer/state/builtin_policies.h"
#include "coffer/state/secrets.h"
#include "coffer/state/settings_schema.h"

namespace coffer::state {
namespace {

TablePath Users(const std::string& name) { return {"users", name}; }
TablePath Groups(const std::string& name) { return {"groups", name}; }
TablePath Buckets(const std::string& name) { return {"buckets", name}; }

base::Status Require(const ConfigEditor& ed, const TablePath& table, const std::string& what) {
  if (ed.FileOf(table)) return base::Ok();
  return base::NotFound("no " + what + " in the repo (" + TomlHeader(table) + ")");
}

// Writes `values` under `key`, or removes the key when the list is empty.
base::Status PutList(ConfigEditor& ed, const TablePath& table, const std::string& key,
                     const std::vector<std::string>& values) {
  if (values.empty()) return ed.RemoveKey(table, key);
  return ed.SetKey(table, key, TomlStringArray(values));
}

// Adds `value` to the list (kept in the operator's order). Returns whether it changed.
base::Result<bool> AddToList(ConfigEditor& ed, const TablePath& table, const std::string& key,
                             const std::string& value) {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> list, ed.StringList(table, key));
  if (std::find(list.begin(), list.end(), value) != list.end()) return false;
  list.push_back(value);
  COFFER_RETURN_IF_ERROR(PutList(ed, table, key, list));
  return true;
}

base::Result<bool> RemoveFromList(ConfigEditor& ed, const TablePath& table, const std::string& key,
                                  const std::string& value) {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> list, ed.StringList(table, key));
  auto it = std::remove(list.begin(), list.end(), value);
  if (it == list.end()) return false;
  list.erase(it, list.end());
  COFFER_RETURN_IF_ERROR(PutList(ed, table, key, list));
  return true;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? sep : "") + items[i];
  return out;
}

base::Status RequireReference(const std::string& text, const std::string& what) {
  if (ParseSecretRef(text).has_value()) return base::Ok();
  // SECURITY: the message never repeats the value, which may be a plain secret.
  return base::InvalidArgument(what + " must be env:NAME, file:PATH or sealed:... (never plain)");
}

std::string TargetText(const PolicyTarget& t) {
  switch (t.kind) {
    case PolicyTarget::Kind::kUser:
      return "user " + t.name;
    case PolicyTarget::Kind::kGroup:
      return "group " + t.name;
    case PolicyTarget::Kind::kLdapUser:
      return "LDAP user " + t.name;
    case PolicyTarget::Kind::kLdapGroup:
      return "LDAP group " + t.name;
  }
  return t.name;
}

// The table and key that hold the target's policy list.
std::pair<TablePath, std::string> PolicyListOf(const PolicyTarget& t) {
  switch (t.kind) {
    case PolicyTarget::Kind::kUser:
      return {Users(t.name), "policies"};
    case PolicyTarget::Kind::kGroup:
      return {Groups(t.name), "policies"};
    case PolicyTarget::Kind::kLdapUser:
      return {{"identity", "ldap", t.ldap_config, "user_policies"}, t.name};
    case PolicyTarget::Kind::kLdapGroup:
      return {{"identity", "ldap", t.ldap_config, "group_policies"}, t.name};
  }
  return {};
}

bool PolicyExists(const ConfigEditor& ed, const std::string& name) {
  return IsBuiltinPolicy(name) || ed.FileOf({"policies", name}).has_value();
}

}  // namespace

base::Result<std::string> AddUser(ConfigEditor& ed, const std::string& name,
                                  const std::string& secret_ref) {
  if (std::optional<std::string> file = ed.FileOf(Users(name))) {
    return base::AlreadyExists("user " + name + " already exists (" + *file + ")");
  }
  COFFER_RETURN_IF_ERROR(RequireReference(secret_ref, "the user's secret"));
  COFFER_RETURN_IF_ERROR(ed.AddTable(ed.FileForKind({"users"}, "users.toml"), Users(name),
                                     {{"secret", TomlString(secret_ref)}}));
  return "admin: add user " + name;
}

base::Result<std::string> SetUserEnabled(ConfigEditor& ed, const std::string& name, bool enabled) {
  COFFER_RETURN_IF_ERROR(Require(ed, Users(name), "user " + name));
  // Enabled is the default: enabling a user that never said otherwise changes nothing.
  if (enabled && !ed.ValueText(Users(name), "enabled")) return "admin: enable user " + name;
  COFFER_RETURN_IF_ERROR(ed.SetKey(Users(name), "enabled", enabled ? "true" : "false"));
  return std::string(enabled ? "admin: enable user " : "admin: disable user ") + name;
}

base::Result<std::string> RemoveUser(ConfigEditor& ed, const std::string& name) {
  COFFER_RETURN_IF_ERROR(Require(ed, Users(name), "user " + name));
  for (const std::string& group : ed.ChildTables({"groups"})) {
    COFFER_RETURN_IF_ERROR(RemoveFromList(ed, Groups(group), "members", name));
  }
  COFFER_RETURN_IF_ERROR(ed.RemoveTable(Users(name)));
  return "admin: remove user " + name;
}

base::Result<std::string> AddGroup(ConfigEditor& ed, const std::string& name,
                                   const std::vector<std::string>& members) {
  for (const std::string& m : members) {
    COFFER_RETURN_IF_ERROR(Require(ed, Users(m), "user " + m));
  }
  if (!ed.FileOf(Groups(name))) {
    std::vector<std::pair<std::string, std::string>> keys;
    if (!members.empty()) keys.emplace_back("members", TomlStringArray(members));
    COFFER_RETURN_IF_ERROR(
        ed.AddTable(ed.FileForKind({"groups"}, "groups.toml"), Groups(name), keys));
    return "admin: add group " + name +
           (members.empty() ? std::string() : " with members " + Join(members, ", "));
  }
  for (const std::string& m : members) {
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> via_user, ed.StringList(Users(m), "groups"));
    if (std::find(via_user.begin(), via_user.end(), name) != via_user.end()) continue;
    COFFER_RETURN_IF_ERROR(AddToList(ed, Groups(name), "members", m));
  }
  return "admin: add " + Join(members, ", ") + " to group " + name;
}

base::Result<std::string> RemoveGroup(ConfigEditor& ed, const std::string& name,
                                      const std::vector<std::string>& members) {
  COFFER_RETURN_IF_ERROR(Require(ed, Groups(name), "group " + name));
  if (!members.empty()) {
    for (const std::string& m : members) {
      COFFER_RETURN_IF_ERROR(RemoveFromList(ed, Groups(name), "members", m));
      if (ed.FileOf(Users(m))) {
        COFFER_RETURN_IF_ERROR(RemoveFromList(ed, Users(m), "groups", name));
      }
    }
    return "admin: remove " + Join(members, ", ") + " from group " + name;
  }
  for (const std::string& user : ed.ChildTables({"users"})) {
    COFFER_RETURN_IF_ERROR(RemoveFromList(ed, Users(user), "groups", name));
  }
  COFFER_RETURN_IF_ERROR(ed.RemoveTable(Groups(name)));
  return "admin: remove group " + name;
}

base::Result<std::string> SetGroupEnabled(ConfigEditor& ed, const std::string& name, bool enabled) {
  COFFER_RETURN_IF_ERROR(Require(ed, Groups(name), "group " + name));
  if (enabled && !ed.ValueText(Groups(name), "enabled")) return "admin: enable group " + name;
  COFFER_RETURN_IF_ERROR(ed.SetKey(Groups(name), "enabled", enabled ? "true" : "false"));
  return std::string(enabled ? "admin: enable group " : "admin: disable group ") + name;
}

base::Result<std::string> CreatePolicy(ConfigEditor& ed, const std::string& name,
                                       const std::string& json, const std::string& json_file) {
  if (IsBuiltinPolicy(name)) {
    return base::InvalidArgument("policy " + name + " is built in and cannot be redefined");
  }
  const TablePath table = {"policies", name};
  if (!ed.FileOf(table)) {
    ed.PutFile(json_file, json);
    COFFER_RETURN_IF_ERROR(ed.AddTable(ed.FileForKind({"policies"}, "policies.toml"), table,
                                       {{"file", TomlString(json_file)}}));
    return "admin: create policy " + name;
  }
  if (std::optional<std::string> file = ed.StringValue(table, "file")) {
    // The loader looks next to the TOML file first, then at the repo root.
    std::string near = *file;
    const std::string toml = *ed.FileOf(table);
    if (std::size_t slash = toml.rfind('/'); slash != std::string::npos) {
      std::string candidate = toml.substr(0, slash + 1) + *file;
      if (ed.tree().files.count(candidate) != 0) near = candidate;
    }
    ed.PutFile(near, json);
  } else if (ed.ValueText(table, "json")) {
    COFFER_RETURN_IF_ERROR(ed.RemoveKey(table, "json"));
    ed.PutFile(json_file, json);
    COFFER_RETURN_IF_ERROR(ed.SetKey(table, "file", TomlString(json_file)));
  } else {
    return base::FailedPrecondition("policy " + name + " is written as a TOML document in " +
                                    *ed.FileOf(table) + "; edit it by hand");
  }
  return "admin: update policy " + name;
}

base::Result<std::string> AttachPolicies(ConfigEditor& ed, const std::vector<std::string>& policies,
                                         const PolicyTarget& target) {
  for (const std::string& p : policies) {
    if (!PolicyExists(ed, p)) return base::NotFound("no policy " + p + " in the repo");
  }
  auto [table, key] = PolicyListOf(target);
  if (target.kind == PolicyTarget::Kind::kUser || target.kind == PolicyTarget::Kind::kGroup) {
    COFFER_RETURN_IF_ERROR(Require(ed, table, TargetText(target)));
  } else {
    const TablePath ldap = {"identity", "ldap", target.ldap_config};
    COFFER_RETURN_IF_ERROR(Require(ed, ldap, "LDAP configuration " + target.ldap_config));
    if (!ed.FileOf(table)) {
      COFFER_RETURN_IF_ERROR(ed.AddTable(*ed.FileOf(ldap), table, {}));
    }
  }
  for (const std::string& p : policies) {
    COFFER_RETURN_IF_ERROR(AddToList(ed, table, key, p));
  }
  return "admin: attach policy " + Join(policies, ", ") + " to " + TargetText(target);
}

base::Result<std::string> DetachPolicies(ConfigEditor& ed, const std::vector<std::string>& policies,
                                         const PolicyTarget& target) {
  auto [table, key] = PolicyListOf(target);
  COFFER_RETURN_IF_ERROR(Require(ed, table, TargetText(target)));
  for (const std::string& p : policies) {
    COFFER_ASSIGN_OR_RETURN(bool removed, RemoveFromList(ed, table, key, p));
    if (!removed)
      return base::NotFound("policy " + p + " is not attached to " + TargetText(target));
  }
  return "admin: detach policy " + Join(policies, ", ") + " from " + TargetText(target);
}

std::vector<std::string> PolicyAttachments(const ConfigEditor& ed, const std::string& policy) {
  std::vector<std::string> out;
  auto has = [&](const TablePath& t, const std::string& key) {
    base::Result<std::vector<std::string>> list = ed.StringList(t, key);
    return list.has_value() && std::find(list->begin(), list->end(), policy) != list->end();
  };
  for (const std::string& u : ed.ChildTables({"users"})) {
    if (has(Users(u), "policies")) out.push_back("user " + u);
  }
  for (const std::string& g : ed.ChildTables({"groups"})) {
    if (has(Groups(g), "policies")) out.push_back("group " + g);
  }
  for (const std::string& l : ed.ChildTables({"identity", "ldap"})) {
    for (const char* map : {"user_policies", "group_policies"}) {
      const TablePath t = {"identity", "ldap", l, map};
      for (const std::string& dn : ed.Keys(t)) {
        if (has(t, dn)) {
          out.push_back("ldap " + l + (map[0] == 'u' ? " user " : " group ") + dn);
        }
      }
    }
  }
  for (const std::string& o : ed.ChildTables({"identity", "oidc"})) {
    if (ed.StringValue({"identity", "oidc", o}, "role_policy") == policy) {
      out.push_back("oidc " + o + " role_policy");
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

base::Result<std::string> RemovePolicy(ConfigEditor& ed, const std::string& name, bool force) {
  const TablePath table = {"policies", name};
  if (IsBuiltinPolicy(name)) return base::InvalidArgument("policy " + name + " is built in");
  COFFER_RETURN_IF_ERROR(Require(ed, table, "policy " + name));
  std::vector<std::string> attached = PolicyAttachments(ed, name);
  if (!attached.empty() && !force) {
    return base::FailedPrecondition("policy " + name + " is attached to " + Join(attached, ", ") +
                                    "; detach it first or pass --force");
  }
  for (const std::string& u : ed.ChildTables({"users"})) {
    COFFER_RETURN_IF_ERROR(RemoveFromList(ed, Users(u), "policies", name));
  }
  for (const std::string& g : ed.ChildTables({"groups"})) {
    COFFER_RETURN_IF_ERROR(RemoveFromList(ed, Groups(g), "policies", name));
  }
  for (const std::string& l : ed.ChildTables({"identity", "ldap"})) {
    for (const char* map : {"user_policies", "group_policies"}) {
      const TablePath t = {"identity", "ldap", l, map};
      for (const std::string& dn : ed.Keys(t)) {
        COFFER_RETURN_IF_ERROR(RemoveFromList(ed, t, dn, name));
      }
    }
  }
  for (const std::string& o : ed.ChildTables({"identity", "oidc"})) {
    if (ed.StringValue({"identity", "oidc", o}, "role_policy") == name) {
      COFFER_RETURN_IF_ERROR(ed.RemoveKey({"identity", "oidc", o}, "role_policy"));
    }
  }
  std::optional<std::string> file = ed.StringValue(table, "file");
  COFFER_RETURN_IF_ERROR(ed.RemoveTable(table));
  if (file) {
    bool shared = false;
    for (const std::string& other : ed.ChildTables({"policies"})) {
      shared = shared || ed.StringValue({"policies", other}, "file") == file;
    }
    if (!shared && ed.tree().files.count(*file) != 0) ed.PutFile(*file, std::nullopt);
  }
  return "admin: remove policy " + name +
         (attached.empty() ? "" : " (detached from " + Join(attached, ", ") + ")");
}

base::Result<std::string> SetBucketEncryption(ConfigEditor& ed, const std::string& bucket,
                                              Encryption encryption, const std::string& kms_key) {
  if (!ed.FileOf(Buckets(bucket))) {
    COFFER_RETURN_IF_ERROR(
        ed.AddTable(ed.FileForKind({"buckets"}, "buckets.toml"), Buckets(bucket), {}));
  }
  if (encryption == Encryption::kNone) {
    // Clearing goes back to the default rather than writing encryption = "none".
    COFFER_RETURN_IF_ERROR(ed.RemoveKey(Buckets(bucket), "kms_key"));
    if (ed.ValueText(Buckets(bucket), "encryption")) {
      COFFER_RETURN_IF_ERROR(ed.SetKey(Buckets(bucket), "encryption", TomlString("none")));
    }
    return "admin: clear encryption of bucket " + bucket;
  }
  COFFER_RETURN_IF_ERROR(
      ed.SetKey(Buckets(bucket), "encryption", TomlString(EncryptionName(encryption))));
  if (encryption == Encryption::kSseKms) {
    if (kms_key.empty()) return base::InvalidArgument("sse-kms needs a key name");
    COFFER_RETURN_IF_ERROR(ed.SetKey(Buckets(bucket), "kms_key", TomlString(kms_key)));
  } else {
    COFFER_RETURN_IF_ERROR(ed.RemoveKey(Buckets(bucket), "kms_key"));
  }
  return "admin: set " + std::string(EncryptionName(encryption)) + " encryption on bucket " +
         bucket + (kms_key.empty() ? "" : " with key " + kms_key);
}

std::string AnonymousPrefixPolicy(const std::string& bucket, const std::string& prefix,
                                  AnonymousAccess mode) {
  using nlohmann::json;
  const std::string arn = "arn:aws:s3:::" + bucket;
  auto statement = [](std::vector<std::string> actions, std::string resource) {
    return json{{"Effect", "Allow"},
                {"Principal", {{"AWS", json::array({"*"})}}},
                {"Action", actions},
                {"Resource", json::array({resource})}};
  };
  json statements = json::array();
  const bool read = mode == AnonymousAccess::kDownload || mode == AnonymousAccess::kPublic;
  const bool write = mode == AnonymousAccess::kUpload || mode == AnonymousAccess::kPublic;
  if (read || write) statements.push_back(statement({"s3:GetBucketLocation"}, arn));
  if (read) {
    json list = statement({"s3:ListBucket"}, arn);
    list["Condition"] = {{"StringLike", {{"s3:prefix", json::array({prefix + "*"})}}}};
    statements.push_back(list);
    statements.push_back(statement({"s3:GetObject"}, arn + "/" + prefix + "*"));
  }
  if (write) {
    statements.push_back(statement({"s3:ListBucketMultipartUploads"}, arn));
    statements.push_back(statement({"s3:AbortMultipartUpload", "s3:DeleteObject",
                                    "s3:ListMultipartUploadParts", "s3:PutObject"},
                                   arn + "/" + prefix + "*"));
  }
  // One statement a line: short enough to read in a commit diff, unlike dump(2).
  std::string out = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n";
  for (std::size_t i = 0; i < statements.size(); ++i) {
    out += "    " + statements[i].dump() + (i + 1 < statements.size() ? ",\n" : "\n");
  }
  return out + "  ]\n}";
}

base::Result<std::string> SetBucketAnonymous(ConfigEditor& ed, const std::string& bucket,
                                             const std::string& prefix, AnonymousAccess mode) {
  const std::string what = "anonymous " + std::string(AnonymousAccessName(mode)) + " on " + bucket +
                           (prefix.empty() ? "" : "/" + prefix);
  if (!ed.FileOf(Buckets(bucket))) {
    COFFER_RETURN_IF_ERROR(
        ed.AddTable(ed.FileForKind({"buckets"}, "buckets.toml"), Buckets(bucket), {}));
  }
  if (prefix.empty()) {
    COFFER_RETURN_IF_ERROR(
        ed.SetKey(Buckets(bucket), "anonymous", TomlString(AnonymousAccessName(mode))));
    return "admin: set " + what;
  }
  if (ed.ValueText(Buckets(bucket), "policy_file")) {
    return base::FailedPrecondition("bucket " + bucket +
                                    " has a policy_file; edit it to grant anonymous access");
  }
  if (std::optional<std::string> current = ed.StringValue(Buckets(bucket), "policy")) {
    // Only a policy this command wrote (for the same prefix) may be replaced.
    nlohmann::json doc = nlohmann::json::parse(*current, nullptr, /*allow_exceptions=*/false);
    bool generated = false;
    for (AnonymousAccess m :
         {AnonymousAccess::kDownload, AnonymousAccess::kUpload, AnonymousAccess::kPublic}) {
      generated =
          generated || doc == nlohmann::json::parse(AnonymousPrefixPolicy(bucket, prefix, m));
    }
    if (!generated) {
      return base::FailedPrecondition("bucket " + bucket +
                                      " has its own bucket policy; edit it to grant anonymous "
                                      "access to " +
                                      prefix);
    }
  }
  if (mode == AnonymousAccess::kNone) {
    COFFER_RETURN_IF_ERROR(ed.RemoveKey(Buckets(bucket), "policy"));
  } else {
    COFFER_RETURN_IF_ERROR(
        ed.SetKey(Buckets(bucket), "policy",
                  "'''\n" + AnonymousPrefixPolicy(bucket, prefix, mode) + "\n'''"));
  }
  return "admin: set " + what;
}

namespace {

// The table of a settings object: "identity.oidc" + NAME -> {"identity", "oidc", NAME}.
TablePath SettingsTable(const SettingsSpec& spec, const std::string& name) {
  TablePath table;
  std::string_view path = spec.toml_path;
  for (std::size_t dot; (dot = path.find('.')) != std::string_view::npos;
       path.remove_prefix(dot + 1)) {
    table.emplace_back(path.substr(0, dot));
  }
  table.emplace_back(path);
  if (spec.named) table.push_back(name);
  return table;
}

// A command-line value as TOML text for a field of type `type`.
base::Result<std::string> RenderSetting(const std::string& what, FieldType type,
                                        const std::string& value) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kPolicyName:
      return TomlString(value);
    case FieldType::kStringList:
    case FieldType::kPolicyList: {
      std::vector<std::string> items;
      for (std::size_t b = 0; b <= value.size();) {
        std::size_t e = value.find(',', b);
        if (e == std::string::npos) e = value.size();
        if (e > b) items.push_back(value.substr(b, e - b));
        b = e + 1;
      }
      return TomlStringArray(items);
    }
    case FieldType::kInt:
      if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit)) {
        return base::InvalidArgument(what + " must be a non-negative integer");
      }
      return value;
    case FieldType::kBool:
      if (value != "true" && value != "false") {
        return base::InvalidArgument(what + " must be true or false");
      }
      return value;
    case FieldType::kSecret:
    case FieldType::kSecretRef:
      COFFER_RETURN_IF_ERROR(RequireReference(value, what));
      return TomlString(value);
    case FieldType::kPolicyListMap:
      break;
  }
  return base::InvalidArgument(what + " cannot be set this way");
}

}  // namespace

base::Result<std::string> SetSettings(ConfigEditor& ed, const std::string& kind,
                                      const std::string& name,
                                      const std::map<std::string, std::string>& values,
                                      const std::string& file_fallback) {
  const SettingsSpec* spec = FindSettingsSpec(kind);
  if (spec == nullptr) return base::InvalidArgument("unknown configuration kind " + kind);
  const TablePath table = SettingsTable(*spec, name);
  std::vector<std::pair<std::string, std::string>> rendered;
  std::vector<std::string> keys;
  for (const auto& [key, value] : values) {
    // A named copy: clang 14 (the fuzz preset) cannot capture a structured binding.
    const std::string& wanted = key;
    auto field = std::find_if(spec->fields.begin(), spec->fields.end(),
                              [&wanted](const FieldSpec& f) { return f.name == wanted; });
    if (field == spec->fields.end() || key.find('.') != std::string::npos ||
        field->type == FieldType::kPolicyListMap) {
      return base::InvalidArgument(kind + " has no key " + key + " that this command can set");
    }
    COFFER_ASSIGN_OR_RETURN(std::string text, RenderSetting(kind + "." + key, field->type, value));
    rendered.emplace_back(key, std::move(text));
    keys.push_back(key);
  }
  const std::string label = kind + (spec->named ? " " + name : "");
  if (!ed.FileOf(table)) {
    TablePath parent(table.begin(), table.end() - (spec->named ? 1 : 0));
    COFFER_RETURN_IF_ERROR(ed.AddTable(ed.FileForKind(parent, file_fallback), table, rendered));
    return "admin: add " + label + " (" + Join(keys, ", ") + ")";
  }
  for (const auto& [key, text] : rendered) COFFER_RETURN_IF_ERROR(ed.SetKey(table, key, text));
  return "admin: set " + label + " " + Join(keys, ", ");
}

base::Result<std::string> RemoveSettings(ConfigEditor& ed, const std::string& kind,
                                         const std::string& name) {
  const SettingsSpec* spec = FindSettingsSpec(kind);
  if (spec == nullptr || !spec->named) return base::InvalidArgument("cannot remove " + kind);
  const TablePath table = SettingsTable(*spec, name);
  COFFER_RETURN_IF_ERROR(Require(ed, table, kind + " " + name));
  COFFER_RETURN_IF_ERROR(ed.RemoveTable(table));
  return "admin: remove " + kind + " " + name;
}

namespace {

// Plans compare secrets by digest; here the "secret" is the reference text itself, so a
// changed reference shows as a change and nothing is ever resolved.
class ReferenceResolver final : public SecretResolver {
 public:
  base::Result<base::Secret> Resolve(const SecretRef& ref) override {
    return base::Secret(ref.Text());
  }
};

}  // namespace

base::Result<Plan> PlanBetween(const ConfigTree& before, const ConfigTree& after,
                               const MasterKey& key) {
  ConfigLoad after_load = LoadConfig(after);
  if (!after_load.ok()) return base::InvalidArgument(FormatErrors(after_load.errors));
  ConfigLoad before_load = LoadConfig(before);
  ReferenceResolver resolver;
  COFFER_ASSIGN_OR_RETURN(DesiredRecords want,
                          BuildDesiredRecords(after_load.state, resolver, key));
  std::vector<Record> have;
  if (before_load.ok()) {
    COFFER_ASSIGN_OR_RETURN(DesiredRecords old,
                            BuildDesiredRecords(before_load.state, resolver, key));
    have = std::move(old.records);
  }
  return ComputePlan(want.records, have);
}

}  // namespace coffer::state
