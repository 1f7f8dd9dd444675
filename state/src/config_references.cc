// Cross-object checks run after every file is loaded: every name a user, group, bucket or
// identity provider mentions must exist, and group membership may be declared on either side.

#include <set>

#include <nlohmann/json.hpp>

#include "coffer/state/builtin_policies.h"
#include "coffer/state/settings_schema.h"

#include "loader_internal.h"

namespace coffer::state {
namespace internal {
namespace {

using Json = nlohmann::json;

bool PolicyExists(const DesiredState& s, const std::string& name) {
  return s.policies.count(name) > 0 || IsBuiltinPolicy(name);
}

void CheckPolicyNames(const std::vector<std::string>& names, const SourceLocation& where,
                      const std::string& owner, LoadContext& ctx) {
  for (const std::string& p : names) {
    if (!PolicyExists(ctx.state, p)) {
      ctx.Error(where, owner + ": policy \"" + p + "\" is not defined");
    }
  }
}

std::vector<std::string> JsonStrings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const Json& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// Policy names an identity provider refers to, by field.
std::vector<std::string> SettingsPolicyRefs(const SettingsObject& obj) {
  std::vector<std::string> out;
  const SettingsSpec* spec = FindSettingsSpec(obj.kind);
  for (const FieldSpec& field : spec->fields) {
    auto it = obj.fields.find(std::string(field.name));
    if (it == obj.fields.end()) continue;
    if (field.type == FieldType::kPolicyName) out.push_back(it->second);
    if (field.type != FieldType::kPolicyList && field.type != FieldType::kPolicyListMap) continue;
    Json j = Json::parse(it->second, nullptr, false);
    if (field.type == FieldType::kPolicyList) {
      for (std::string& s : JsonStrings(j)) out.push_back(std::move(s));
    } else if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        for (std::string& s : JsonStrings(v)) out.push_back(std::move(s));
      }
    }
  }
  return out;
}

void CheckUsersAndGroups(LoadContext& ctx) {
  DesiredState& s = ctx.state;
  for (auto& [name, user] : s.users) {
    CheckPolicyNames(user.policies, user.where, "users." + name, ctx);
    for (const std::string& g : user.groups) {
      auto it = s.groups.find(g);
      if (it == s.groups.end()) {
        ctx.Error(user.where, "users." + name + ": group \"" + g + "\" is not defined");
      } else {
        it->second.members.push_back(name);
      }
    }
  }
  for (auto& [name, group] : s.groups) {
    CheckPolicyNames(group.policies, group.where, "groups." + name, ctx);
    group.members = SortedUnique(std::move(group.members));
    for (const std::string& m : group.members) {
      if (s.users.count(m) == 0) {
        ctx.Error(group.where, "groups." + name + ": member \"" + m + "\" is not a defined user");
      }
    }
  }
}

}  // namespace

void CheckReferences(LoadContext& ctx) {
  CheckUsersAndGroups(ctx);
  DesiredState& s = ctx.state;
  bool has_key_service = s.settings.count({"key_service", "key_service"}) > 0;
  for (const auto& [name, bucket] : s.buckets) {
    if (bucket.encryption == Encryption::kSseKms && !has_key_service) {
      ctx.Error(bucket.where, "buckets." + name + ": sse-kms needs a [key_service] section");
    }
  }
  for (const auto& [id, obj] : s.settings) {
    CheckPolicyNames(SettingsPolicyRefs(obj), obj.where, obj.kind + "." + obj.name, ctx);
    if (obj.kind == "oidc" && obj.fields.count("jwks_file") == 0 &&
        obj.fields.count("discovery_url") == 0) {
      ctx.Error(obj.where, "identity.oidc." + obj.name + ": needs jwks_file or discovery_url");
    }
  }
}

}  // namespace internal

namespace {

bool AllowsAdmin(const std::string& document) {
  nlohmann::json doc = nlohmann::json::parse(document, nullptr, false);
  if (!doc.is_object() || !doc.contains("Statement")) return false;
  nlohmann::json statements = doc["Statement"];
  if (statements.is_object()) statements = nlohmann::json::array({statements});
  if (!statements.is_array()) return false;
  for (const nlohmann::json& st : statements) {
    if (!st.is_object() || st.value("Effect", "") != "Allow" || !st.contains("Action")) continue;
    nlohmann::json actions = st["Action"];
    if (actions.is_string()) actions = nlohmann::json::array({actions});
    for (const nlohmann::json& a : actions) {
      if (a == "*" || a == "admin:*") return true;
    }
  }
  return false;
}

}  // namespace

bool HasAdminPrincipal(const DesiredState& state) {
  std::set<std::string> admin;
  for (const BuiltinPolicy& p : BuiltinPolicies()) {
    if (p.admin) admin.insert(std::string(p.name));
  }
  for (const auto& [name, policy] : state.policies) {
    if (AllowsAdmin(policy.document)) admin.insert(name);
  }
  auto any_admin = [&](const std::vector<std::string>& names) {
    for (const std::string& n : names) {
      if (admin.count(n) > 0) return true;
    }
    return false;
  };
  auto root = state.settings.find({"appliance", "appliance"});
  if (root != state.settings.end() && root->second.fields.count("root.access_key") > 0 &&
      root->second.fields.count("root.secret_key") > 0) {
    return true;
  }
  for (const auto& [name, user] : state.users) {
    if (!user.enabled) continue;
    if (any_admin(user.policies)) return true;
    for (const std::string& g : user.groups) {
      auto it = state.groups.find(g);
      if (it != state.groups.end() && it->second.enabled && any_admin(it->second.policies)) {
        return true;
      }
    }
  }
  for (const auto& [name, group] : state.groups) {
    if (group.enabled && !group.members.empty() && any_admin(group.policies)) {
      for (const std::string& m : group.members) {
        auto u = state.users.find(m);
        if (u != state.users.end() && u->second.enabled) return true;
      }
    }
  }
  for (const auto& [id, obj] : state.settings) {
    if ((obj.kind == "oidc" || obj.kind == "ldap") &&
        any_admin(internal::SettingsPolicyRefs(obj))) {
      return true;
    }
  }
  return false;
}

}  // namespace coffer::state
