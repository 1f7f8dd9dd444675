#include "coffer/core/sts/ldap_authenticator.h"

#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/core/sts/ldap_escape.h"
#include "coffer/env/log.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::sts {
namespace {

constexpr std::string_view kComponent = "sts.ldap";
// One message for unknown user, wrong password and ambiguous username.
// SECURITY: telling them apart would let a caller enumerate usernames.
constexpr std::string_view kBadCredentials = "LDAP: invalid username or password";

// DN (normalised) → policy names, from a group_policies/user_policies field.
using DnPolicies = std::map<std::string, std::vector<std::string>>;

struct LdapSettings {
  std::string name;
  env::DirectoryEndpoint endpoint;
  std::string lookup_bind_dn;
  const base::Secret* lookup_bind_password = nullptr;
  std::string user_base;
  std::string user_filter;
  std::string group_base;
  std::string group_filter;
  DnPolicies user_policies;
  DnPolicies group_policies;
};

std::string Field(const state::SettingsEntry& entry, const std::string& key) {
  auto it = entry.fields.find(key);
  return it == entry.fields.end() ? std::string() : it->second;
}

base::Result<DnPolicies> ParseDnPolicies(const state::SettingsEntry& entry,
                                         const std::string& key) {
  DnPolicies out;
  std::string text = Field(entry, key);
  if (text.empty()) return out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    return base::FailedPrecondition("ldap " + entry.name + ": " + key + " is not a table");
  }
  for (const auto& [dn, policies] : j.items()) {
    std::optional<std::string> normal = NormalizeDn(dn);
    if (!normal) {
      return base::FailedPrecondition("ldap " + entry.name + ": " + key + ": \"" + dn +
                                      "\" is not a DN");
    }
    std::vector<std::string>& names = out[*normal];
    if (policies.is_string()) names.push_back(policies.get<std::string>());
    if (!policies.is_array()) continue;
    for (const nlohmann::json& p : policies) {
      if (p.is_string()) names.push_back(p.get<std::string>());
    }
  }
  return out;
}

base::Result<env::DirectoryTls> ParseTls(const state::SettingsEntry& entry) {
  std::string tls = Field(entry, "tls");
  if (tls.empty() || tls == "tls") return env::DirectoryTls::kLdaps;
  if (tls == "starttls") return env::DirectoryTls::kStartTls;
  if (tls == "none") return env::DirectoryTls::kNone;
  return base::FailedPrecondition("ldap " + entry.name + ": tls must be tls, starttls or none");
}

std::optional<long long> ParseMillis(std::string_view text) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

base::Result<LdapSettings> ParseSettings(const state::SettingsEntry& entry) {
  LdapSettings s;
  s.name = entry.name;
  s.endpoint.server = Field(entry, "server");
  COFFER_ASSIGN_OR_RETURN(s.endpoint.tls, ParseTls(entry));
  s.endpoint.ca_file = Field(entry, "ca_file");
  s.endpoint.tls_skip_verify = Field(entry, "tls_skip_verify") == "true";
  // One bound for connecting (TCP + TLS) and for each LDAP operation, so a
  // directory that accepts and never answers fails the login in about
  // timeout_ms (StartTLS: connect + one operation), never the worker's
  // 15 s of libldap-style defaults.
  const std::string timeout = Field(entry, "timeout_ms");
  std::chrono::milliseconds bound = kLdapDefaultTimeout;
  if (!timeout.empty()) {
    const std::optional<long long> ms = ParseMillis(timeout);
    if (!ms || *ms < 100 || *ms > 60000) {
      return base::FailedPrecondition("ldap " + s.name +
                                      ": timeout_ms must be 100 to 60000 milliseconds");
    }
    bound = std::chrono::milliseconds(*ms);
  }
  s.endpoint.connect_timeout = bound;
  s.endpoint.operation_timeout = bound;
  s.lookup_bind_dn = Field(entry, "lookup_bind_dn");
  auto pw = entry.secrets.find("lookup_bind_password");
  if (pw != entry.secrets.end()) s.lookup_bind_password = &pw->second;
  s.user_base = Field(entry, "user_dn_search_base");
  s.user_filter = Field(entry, "user_dn_search_filter");
  s.group_base = Field(entry, "group_search_base");
  s.group_filter = Field(entry, "group_search_filter");
  if (s.endpoint.server.empty() || s.user_base.empty() || s.user_filter.empty()) {
    return base::FailedPrecondition(
        "ldap " + s.name + ": server, user_dn_search_base and user_dn_search_filter are required");
  }
  // SECURITY: a template that is not one well-formed filter could be completed
  // by the username into something the operator did not write.
  if (!FilterItemCount(ExpandFilterTemplate(s.user_filter, "x", "cn=x"))) {
    return base::FailedPrecondition("ldap " + s.name + ": user_dn_search_filter is not RFC 4515");
  }
  if (!s.group_base.empty() && !s.group_filter.empty() &&
      !FilterItemCount(ExpandFilterTemplate(s.group_filter, "x", "cn=x"))) {
    return base::FailedPrecondition("ldap " + s.name + ": group_search_filter is not RFC 4515");
  }
  COFFER_ASSIGN_OR_RETURN(s.user_policies, ParseDnPolicies(entry, "user_policies"));
  COFFER_ASSIGN_OR_RETURN(s.group_policies, ParseDnPolicies(entry, "group_policies"));
  return s;
}

// A lookup-bind failure is the appliance's problem, not the caller's: whatever
// the directory said, the caller sees "identity provider unavailable".
base::Status LookupBind(env::DirectoryConnection& conn, const LdapSettings& s) {
  if (s.lookup_bind_dn.empty()) return base::Ok();  // Anonymous search.
  static const base::Secret kNoPassword;
  base::Status st =
      conn.Bind(s.lookup_bind_dn, s.lookup_bind_password ? *s.lookup_bind_password : kNoPassword);
  if (st.has_value()) return st;
  return base::Unavailable("ldap " + s.name + ": lookup bind failed: " + st.error().message());
}

base::Result<std::vector<std::string>> SearchGroups(env::DirectoryConnection& conn,
                                                    const LdapSettings& s,
                                                    std::string_view username,
                                                    std::string_view user_dn) {
  std::vector<std::string> groups;
  if (s.group_base.empty() || s.group_filter.empty()) return groups;
  COFFER_RETURN_IF_ERROR(LookupBind(conn, s));
  env::SearchRequest req;
  req.base = s.group_base;
  req.scope = env::SearchScope::kSubtree;
  req.filter = ExpandFilterTemplate(s.group_filter, username, user_dn);
  COFFER_ASSIGN_OR_RETURN(std::vector<env::DirectoryEntry> entries, conn.Search(req));
  for (env::DirectoryEntry& e : entries) groups.push_back(std::move(e.dn));
  return groups;
}

void AddMapped(const DnPolicies& map, std::string_view dn, std::set<std::string>& out) {
  std::optional<std::string> normal = NormalizeDn(dn);
  if (!normal) return;
  auto it = map.find(*normal);
  if (it == map.end()) return;
  out.insert(it->second.begin(), it->second.end());
}

}  // namespace

namespace {

// The outcome of one directory: kNotFound means "no such user here", so the
// next configured directory is tried.
base::Result<ExternalIdentity> AuthenticateWith(env::Directory& directory, const LdapSettings& s,
                                                std::string_view username,
                                                const base::Secret& password,
                                                const state::Snapshot& snapshot, env::Logger* log) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<env::DirectoryConnection> conn,
                          directory.Connect(s.endpoint));
  COFFER_RETURN_IF_ERROR(LookupBind(*conn, s));
  env::SearchRequest req;
  req.base = s.user_base;
  req.scope = env::SearchScope::kSubtree;
  req.filter = ExpandFilterTemplate(s.user_filter, username);
  req.size_limit = 2;  // Two are enough to know the username is ambiguous.
  COFFER_ASSIGN_OR_RETURN(std::vector<env::DirectoryEntry> users, conn->Search(req));
  if (users.empty()) return base::NotFound(std::string(kBadCredentials));
  if (users.size() > 1) {
    if (log) log->Warn(kComponent, "username matches several entries", {{"directory", s.name}});
    return base::Unauthenticated(std::string(kBadCredentials));
  }
  const std::string user_dn = users.front().dn;
  base::Status bound = conn->Bind(user_dn, password);
  if (!bound.has_value()) {
    if (bound.error().code() == base::ErrorCode::kUnavailable) return bound.error();
    return base::Unauthenticated(std::string(kBadCredentials));
  }
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> groups,
                          SearchGroups(*conn, s, username, user_dn));

  std::set<std::string> names;
  AddMapped(s.user_policies, user_dn, names);
  for (const std::string& g : groups) AddMapped(s.group_policies, g, names);
  ExternalIdentity id;
  for (const std::string& name : names) {
    if (snapshot.FindPolicy(name) != nullptr) {
      id.policies.push_back(name);
    } else if (log) {
      log->Warn(kComponent, "mapped policy does not exist", {{"policy", name}});
    }
  }
  if (id.policies.empty()) {
    return base::PermissionDenied("LDAP: no policy is mapped to this user or its groups");
  }
  id.parent = user_dn;
  id.subject = std::string(username);
  id.variables["ldap:username"] = std::string(username);
  id.variables["ldap:user"] = user_dn;
  return id;
}

}  // namespace

base::Result<ExternalIdentity> DirectoryLdapAuthenticator::Authenticate(
    std::string_view username, const base::Secret& password, const state::Snapshot& snapshot) {
  // SECURITY: an empty simple bind is an anonymous bind, and servers accept
  // those: without this check any known username with no password would pass.
  if (password.empty()) return base::InvalidArgument("LDAPPassword is empty");
  if (username.empty()) return base::InvalidArgument("LDAPUsername is empty");
  if (username.size() > kLdapUsernameMaxBytes) {
    return base::InvalidArgument("LDAPUsername is too long");
  }
  std::vector<const state::SettingsEntry*> entries = snapshot.SettingsOfKind("ldap");
  if (entries.empty()) return base::FailedPrecondition("LDAP identity is not configured");
  for (const state::SettingsEntry* entry : entries) {
    COFFER_ASSIGN_OR_RETURN(LdapSettings settings, ParseSettings(*entry));
    base::Result<ExternalIdentity> r =
        AuthenticateWith(directory_, settings, username, password, snapshot, log_);
    if (r.has_value() || r.error().code() != base::ErrorCode::kNotFound) return r;
  }
  return base::Unauthenticated(std::string(kBadCredentials));
}

}  // namespace coffer::core::sts
