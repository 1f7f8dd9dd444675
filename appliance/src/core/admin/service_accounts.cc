// The admin API's runtime-owned objects: service accounts (create, list,
// delete) and STS sessions (list, revoke). The rules of who may manage whose
// are in admin_api.h.

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/core/audit/recent.h"
#include "coffer/env/log.h"
#include "coffer/policy/compile.h"
#include "coffer/state/snapshot.h"

#include "admin_impl.h"

namespace coffer::core::admin {

using nlohmann::json;

namespace {

// Generated keys use letters and digits only, so they survive shells, URLs
// and config files unquoted.
std::string RandomKey(base::Random& random, std::size_t length, bool upper_only) {
  static constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static constexpr std::string_view kMixed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string_view alphabet = upper_only ? kUpper : kMixed;
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(alphabet[random.Uniform(0, alphabet.size() - 1)]);
  }
  return out;
}

// Access keys appear in URL paths and log lines: letters, digits, '-', '_'
// and '.', 3..128 characters (MinIO requires at least 3).
bool ValidAccessKey(std::string_view key) {
  if (key.size() < 3 || key.size() > 128) return false;
  for (char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Secrets: 8..128 printable ASCII characters without spaces (MinIO requires at
// least 8).
bool ValidSecretKey(std::string_view secret) {
  if (secret.size() < 8 || secret.size() > 128) return false;
  for (char c : secret) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

Reply AdminApi::Impl::Create(const Call& call) {
  if (call.authorizer.type() == s3::PrincipalType::kServiceAccount) return Denied();
  // SECURITY: an account gets its parent's rights; a session narrowed by a
  // session policy (or a federated one, whose rights are no user's) would
  // widen itself through one.
  if (call.session != nullptr && (!call.session->session_policy.empty() ||
                                  call.session->parent_kind == sts::ParentKind::kFederated)) {
    return Denied();
  }
  base::Result<std::string> text = ReadBody(call, /*required=*/false);
  if (!text.has_value()) return FromError(call.http, text.error());
  json doc =
      text->empty() ? json::object() : json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(400, "MalformedJSON", "The request body is not a JSON object.");
  }
  auto string_field = [&](const char* name, std::string& out) -> bool {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) return true;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  std::string parent, access_key, secret_key, expiration, description;
  for (auto [name, out] :
       std::array<std::pair<const char*, std::string*>, 5>{{{"parent", &parent},
                                                            {"accessKey", &access_key},
                                                            {"secretKey", &secret_key},
                                                            {"expiration", &expiration},
                                                            {"description", &description}}}) {
    if (!string_field(name, *out)) return BadRequest(std::string(name) + " must be a string.");
  }
  if (parent.empty()) {
    // Root is not an IAM user: its keys cannot be narrowed or evaluated, so
    // it names the user a service account belongs to.
    if (call.is_root) return BadRequest("Name the parent user: root cannot own service accounts.");
    parent = call.authorizer.user();
  }
  if (!Permitted(call, "admin:CreateServiceAccount", parent)) return Denied();
  const state::Principal* principal =
      call.snapshot != nullptr ? call.snapshot->FindPrincipal(parent) : nullptr;
  if (principal == nullptr || !principal->enabled) {
    return BadRequest("The parent user does not exist or is disabled.");
  }

  state::RuntimeCredential credential;
  credential.parent = parent;
  if (auto it = doc.find("policy"); it != doc.end() && !it->is_null()) {
    // A policy arrives as an object (or as a string holding one, as mc sends
    // it); it is stored as text and must be a valid identity policy.
    std::string policy_text;
    if (it->is_object()) {
      policy_text = it->dump();
    } else if (it->is_string()) {
      policy_text = it->get<std::string>();
    } else {
      return Fail(400, "MalformedPolicy", "policy must be a JSON policy document.");
    }
    auto compiled =
        policy::CompileText(policy_text, "service-account", policy::PolicyKind::kIdentity);
    if (!compiled.has_value()) return Fail(400, "MalformedPolicy", compiled.error().message());
    credential.policy = std::move(policy_text);
  }
  if (!expiration.empty()) {
    std::optional<base::WallTime> at = audit::ParseRfc3339(expiration);
    if (!at.has_value()) return BadRequest("expiration must be an RFC 3339 time.");
    if (*at <= call.now) return BadRequest("expiration must be in the future.");
    credential.expires_at = *at;
  }
  if (access_key.empty()) {
    access_key = RandomKey(env.random(), 20, /*upper_only=*/true);
  } else if (!ValidAccessKey(access_key)) {
    return BadRequest("accessKey must be 3 to 128 letters, digits, '-', '_' or '.'.");
  }
  if (secret_key.empty()) {
    secret_key = RandomKey(env.random(), 40, /*upper_only=*/false);
  } else if (!ValidSecretKey(secret_key)) {
    return BadRequest("secretKey must be 8 to 128 printable characters without spaces.");
  }
  // The store checks users and runtime keys; the root key lives outside it.
  if (access_key == root.access_key) {
    return Fail(409, "ServiceAccountAlreadyExists", "The access key is taken.");
  }
  credential.access_key = access_key;
  credential.secret_key = base::Secret(secret_key);
  credential.enabled = true;
  base::Status created = runtime.CreateServiceAccount(credential, env.random());
  if (!created.has_value()) return FromError(call.http, created.error());
  env.log().Info("admin", "service account created",
                 {{"request_id", call.http.request_id},
                  {"access_key", access_key},
                  {"parent", parent},
                  {"by", call.authorizer.user()}});
  Reply reply;
  reply.body = {{"accessKey", access_key},
                {"secretKey", secret_key},
                {"parent", parent},
                {"expiration", TimeOrNull(credential.expires_at)}};
  return reply;
}

Reply AdminApi::Impl::List(const Call& call) {
  if (call.authorizer.type() == s3::PrincipalType::kServiceAccount) return Denied();
  // Without ?user= a user lists its own; root lists everyone's.
  std::string user(call.parsed.Query("user").value_or(""));
  if (user.empty() && !call.is_root) user = call.authorizer.user();
  if (!Permitted(call, "admin:ListServiceAccounts", user)) return Denied();
  base::Result<std::vector<state::ServiceAccountInfo>> accounts = runtime.ListServiceAccounts(user);
  if (!accounts.has_value()) return FromError(call.http, accounts.error());
  json list = json::array();
  for (const state::ServiceAccountInfo& a : *accounts) {
    json entry = {{"accessKey", a.access_key},
                  {"parent", a.parent},
                  {"enabled", a.enabled},
                  {"expiration", TimeOrNull(a.expires_at)},
                  {"createdAt", env::FormatRfc3339(a.created_at)}};
    json policy = a.policy.empty() ? json(nullptr) : json::parse(a.policy, nullptr, false);
    entry["policy"] = policy.is_discarded() ? json(a.policy) : policy;
    list.push_back(std::move(entry));
  }
  Reply reply;
  reply.body = {{"accounts", std::move(list)}};
  return reply;
}

Reply AdminApi::Impl::Delete(const Call& call, std::string_view access_key) {
  if (call.authorizer.type() == s3::PrincipalType::kServiceAccount) return Denied();
  base::Result<std::vector<state::ServiceAccountInfo>> accounts = runtime.ListServiceAccounts("");
  if (!accounts.has_value()) return FromError(call.http, accounts.error());
  const state::ServiceAccountInfo* found = nullptr;
  for (const state::ServiceAccountInfo& a : *accounts) {
    if (a.access_key == access_key) found = &a;
  }
  if (found == nullptr) {
    return Fail(404, "NoSuchServiceAccount", "The service account does not exist.");
  }
  if (!Permitted(call, "admin:RemoveServiceAccount", found->parent)) return Denied();
  base::Status deleted = runtime.DeleteServiceAccount(access_key);
  if (!deleted.has_value()) return FromError(call.http, deleted.error());
  env.log().Info("admin", "service account deleted",
                 {{"request_id", call.http.request_id},
                  {"access_key", access_key},
                  {"by", call.authorizer.user()}});
  return Reply{204, nullptr, "", ""};
}

Reply AdminApi::Impl::ListSessions(const Call& call) {
  if (call.authorizer.type() == s3::PrincipalType::kServiceAccount) return Denied();
  // Without ?user= a user lists its own; root lists everyone's.
  std::string user(call.parsed.Query("user").value_or(""));
  if (user.empty() && !call.is_root) user = call.authorizer.user();
  if (!Permitted(call, "admin:ListTemporaryAccounts", user)) return Denied();
  base::Result<std::vector<state::StsSessionInfo>> sessions = runtime.ListStsSessions(user);
  if (!sessions.has_value()) return FromError(call.http, sessions.error());
  json list = json::array();
  for (const state::StsSessionInfo& s : *sessions) {
    json policy = s.policy.empty() ? json(nullptr) : json::parse(s.policy, nullptr, false);
    list.push_back({{"accessKey", s.access_key},
                    {"parent", s.parent},
                    {"expiration", env::FormatRfc3339(s.expires_at)},
                    {"createdAt", env::FormatRfc3339(s.created_at)},
                    {"revoked", s.revoked},
                    {"sessionPolicy", policy.is_discarded() ? json(s.policy) : policy}});
  }
  Reply reply;
  reply.body = {{"sessions", std::move(list)}};
  return reply;
}

Reply AdminApi::Impl::RevokeSessions(const Call& call, std::string_view access_key) {
  if (call.authorizer.type() == s3::PrincipalType::kServiceAccount) return Denied();
  std::string parent(call.parsed.Query("user").value_or(""));
  if (access_key.empty() == parent.empty()) {
    return BadRequest("Name one session (path) or one user (?user=), not both.");
  }
  if (!access_key.empty()) {
    base::Result<std::vector<state::StsSessionInfo>> sessions = runtime.ListStsSessions("");
    if (!sessions.has_value()) return FromError(call.http, sessions.error());
    const state::StsSessionInfo* found = nullptr;
    for (const state::StsSessionInfo& s : *sessions) {
      if (s.access_key == access_key) found = &s;
    }
    if (found == nullptr) return Fail(404, "NoSuchSession", "The STS session does not exist.");
    parent = found->parent;
  }
  if (!Permitted(call, "admin:RemoveServiceAccount", parent)) return Denied();
  base::Result<std::int64_t> revoked =
      runtime.RevokeStsSessions(access_key, access_key.empty() ? std::string_view(parent) : "");
  if (!revoked.has_value()) {
    if (revoked.error().code() == base::ErrorCode::kNotFound) {
      return Fail(404, "NoSuchSession", "The STS session does not exist.");
    }
    return FromError(call.http, revoked.error());
  }
  env.log().Info("admin", "sts sessions revoked",
                 {{"request_id", call.http.request_id},
                  {"access_key", access_key},
                  {"parent", parent},
                  {"count", std::to_string(*revoked)},
                  {"by", call.authorizer.user()}});
  Reply reply;
  reply.body = {{"revoked", *revoked}};
  return reply;
}

}  // namespace coffer::core::admin
