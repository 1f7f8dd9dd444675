#include "coffer/core/admin/admin_api.h"

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/env/log.h"
#include "coffer/policy/compile.h"
#include "coffer/state/snapshot.h"

// The admin API shares the S3 core's request parsing, body checks and
// authorizer (same library, private headers): one way to authenticate, read a
// signed body and evaluate a policy.
#include "../s3/authorize.h"
#include "../s3/body.h"
#include "../s3/request.h"

namespace coffer::core::admin {

using auth::MakeS3Error;
using auth::S3ErrorCode;
using nlohmann::json;

namespace {

constexpr std::string_view kServiceAccountsPath = "/coffer/admin/v1/service-accounts";
constexpr std::string_view kStsSessionsPath = "/coffer/admin/v1/sts-sessions";

// What one request answers: a JSON document, or an error (status >= 400 with
// a code).
struct Reply {
  unsigned status = 200;
  json body;  // Null: no body (204).
  std::string code;
  std::string message;
};

Reply Fail(unsigned status, std::string code, std::string message) {
  return Reply{status, nullptr, std::move(code), std::move(message)};
}

Reply BadRequest(std::string message) { return Fail(400, "InvalidArgument", std::move(message)); }

Reply Denied() { return Fail(403, "AccessDenied", "Access Denied."); }

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

std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
std::optional<base::WallTime> ParseRfc3339(std::string_view text) {
  auto year = Digits(text, 0, 4);
  auto month = Digits(text, 5, 2);
  auto day = Digits(text, 8, 2);
  auto hour = Digits(text, 11, 2);
  auto minute = Digits(text, 14, 2);
  auto second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = Digits(text, pos + 1, 2);
    auto om = Digits(text, pos + 4, 2);
    if (!oh || !om || pos + 3 >= text.size() || text[pos + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(*hour) +
                     std::chrono::minutes(*minute) + std::chrono::seconds(*second);
  return base::WallTime(local - offset) + fraction;
}

// X-Amz-Security-Token from a presigned request's query ("" when absent or
// not decodable: the verifier then refuses the session key).
std::string QueryToken(std::string_view target) {
  const std::size_t q = target.find('?');
  std::string_view rest = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  constexpr std::string_view kName = "X-Amz-Security-Token=";
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.starts_with(kName)) {
      return s3::PercentDecode(pair.substr(kName.size()), /*plus_is_space=*/false).value_or("");
    }
  }
  return "";
}

json TimeOrNull(const std::optional<base::WallTime>& t) {
  return t.has_value() ? json(env::FormatRfc3339(*t)) : json(nullptr);
}

}  // namespace

struct AdminApi::Impl {
  env::Env& env;
  s3::SnapshotSource snapshots;
  s3::RuntimeState& runtime;
  s3::RootCredential root;
  AdminApiOptions options;
  std::unique_ptr<auth::Crypto> crypto;
  auth::SigningKeyCache signing_keys;
  std::unique_ptr<auth::Verifier> verifier;

  Impl(env::Env& e, s3::SnapshotSource s, s3::RuntimeState& rt, s3::RootCredential r,
       AdminApiOptions opt)
      : env(e), snapshots(std::move(s)), runtime(rt), root(std::move(r)), options(std::move(opt)) {}

  // One request as it is served: who asks, with which snapshot.
  struct Call {
    const HttpRequest& http;
    BodyReader& body;
    const auth::Authentication& authn;
    const state::Snapshot* snapshot;
    const s3::Authorizer& authorizer;
    const s3::S3Request& parsed;
    bool is_root;
    base::WallTime now;
    // The opened token when the caller uses STS session credentials.
    const sts::SessionClaims* session;
  };

  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
  Reply Route(const HttpRequest& request, BodyReader& body);
  // Whether the caller may manage the service accounts of `parent` ("" = every
  // parent) with `action`.
  bool Permitted(const Call& call, std::string_view action, std::string_view parent) const;
  Reply Create(const Call& call);
  Reply List(const Call& call);
  Reply Delete(const Call& call, std::string_view access_key);
  Reply ListSessions(const Call& call);
  Reply RevokeSessions(const Call& call, std::string_view access_key);
  Reply FromError(const HttpRequest& request, const base::Error& error) const;
  void Send(const HttpRequest& request, const Reply& reply, ResponseWriter& response) const;
};

base::Result<std::unique_ptr<AdminApi>> AdminApi::Create(env::Env& env,
                                                         s3::SnapshotSource snapshots,
                                                         s3::RuntimeState& runtime,
                                                         s3::RootCredential root,
                                                         AdminApiOptions options) {
  auto impl = std::make_unique<Impl>(env, std::move(snapshots), runtime, std::move(root),
                                     std::move(options));
  COFFER_ASSIGN_OR_RETURN(impl->crypto, auth::Crypto::Create(env.random().LibCtx()));
  auth::VerifierOptions verifier_options;
  verifier_options.region = impl->options.region;
  impl->verifier =
      std::make_unique<auth::Verifier>(*impl->crypto, impl->signing_keys, verifier_options);
  return std::unique_ptr<AdminApi>(new AdminApi(std::move(impl)));
}

AdminApi::AdminApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminApi::~AdminApi() = default;

void AdminApi::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  impl_->Serve(request, body, response);
}

void AdminApi::Impl::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  const Reply reply = Route(request, body);
  if (request.facts != nullptr) {
    // MinIO's admin API names, for the audit entry.
    const bool sessions = std::string_view(request.target).starts_with(kStsSessionsPath);
    request.facts->api = sessions && request.method == "GET"      ? "ListTemporaryAccounts"
                         : sessions && request.method == "DELETE" ? "RevokeTokens"
                         : request.method == "POST"               ? "AddServiceAccount"
                         : request.method == "GET"                ? "ListServiceAccounts"
                         : request.method == "DELETE"             ? "DeleteServiceAccount"
                                                                  : "Admin";
    if (reply.status >= 400) request.facts->error_code = reply.code;
  }
  Send(request, reply, response);
}

Reply AdminApi::Impl::Route(const HttpRequest& request, BodyReader& body) {
  const base::WallTime now = env.clock().Now();
  const std::shared_ptr<const state::Snapshot> snapshot = snapshots ? snapshots() : nullptr;
  // STS session credentials authenticate as on S3: the token must open,
  // name the key, be unexpired and unrevoked, and its parent able to act.
  std::string token(request.Header("x-amz-security-token"));
  if (token.empty()) token = QueryToken(request.target);  // Presigned, as on S3.
  std::optional<sts::SessionClaims> session;
  auto lookup = [&](std::string_view access_key) {
    sts::SessionClaims claims;
    s3::SessionContext context{options.session_tokens.get(), token, &claims};
    base::Result<auth::Credential> credential =
        s3::LookupCredential(snapshot.get(), root, access_key, now, context);
    if (credential.has_value() && !claims.access_key.empty()) session = std::move(claims);
    return credential;
  };
  base::Result<auth::Authentication> authn = verifier->Verify(request, lookup, now);
  if (!authn.has_value()) return FromError(request, authn.error());
  if (request.facts != nullptr) request.facts->access_key = authn->access_key;
  if (session.has_value() && request.facts != nullptr) {
    request.facts->parent_user =
        session->parent_kind == sts::ParentKind::kRoot ? std::string("root") : session->parent;
  }
  // SECURITY: the admin API has no anonymous operations.
  if (authn->kind == auth::AuthKind::kAnonymous) return Denied();

  const std::string_view target = request.target;
  const std::size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  s3::S3Request parsed;
  if (auto path = s3::PercentDecode(raw_path, /*plus_is_space=*/false)) {
    parsed.path = *std::move(path);
  } else {
    return Fail(400, "InvalidURI", "Couldn't parse the specified URI.");
  }
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      auto name = s3::PercentDecode(pair.substr(0, eq), true);
      auto value = s3::PercentDecode(
          eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
      if (!name || !value) return Fail(400, "InvalidURI", "Couldn't parse the specified URI.");
      parsed.query.emplace_back(*std::move(name), *std::move(value));
    }
  }

  const bool is_root = !root.access_key.empty() && authn->access_key == root.access_key;
  const sts::SessionClaims* claims = session.has_value() ? &*session : nullptr;
  s3::Authorizer authorizer(snapshot.get(), *authn, is_root, request, parsed, now,
                            options.trusted_proxies, claims);
  Call call{request, body, *authn, snapshot.get(), authorizer, parsed, is_root, now, claims};

  const std::string_view path = parsed.path;
  if (path == kServiceAccountsPath || path == std::string(kServiceAccountsPath) + "/") {
    if (request.method == "POST") return Create(call);
    if (request.method == "GET") return List(call);
    return Fail(405, "MethodNotAllowed",
                "The specified method is not allowed against this resource.");
  }
  if (path.starts_with(kServiceAccountsPath) && path.size() > kServiceAccountsPath.size() + 1 &&
      path[kServiceAccountsPath.size()] == '/') {
    const std::string_view key = path.substr(kServiceAccountsPath.size() + 1);
    if (key.find('/') == std::string_view::npos) {
      if (request.method == "DELETE") return Delete(call, key);
      return Fail(405, "MethodNotAllowed",
                  "The specified method is not allowed against this resource.");
    }
  }
  if (path == kStsSessionsPath || path == std::string(kStsSessionsPath) + "/") {
    if (request.method == "GET") return ListSessions(call);
    if (request.method == "DELETE") return RevokeSessions(call, "");
    return Fail(405, "MethodNotAllowed",
                "The specified method is not allowed against this resource.");
  }
  if (path.starts_with(kStsSessionsPath) && path.size() > kStsSessionsPath.size() + 1 &&
      path[kStsSessionsPath.size()] == '/') {
    const std::string_view key = path.substr(kStsSessionsPath.size() + 1);
    if (key.find('/') == std::string_view::npos) {
      if (request.method == "DELETE") return RevokeSessions(call, key);
      return Fail(405, "MethodNotAllowed",
                  "The specified method is not allowed against this resource.");
    }
  }
  return Fail(404, "NotFound", "No admin API at this path.");
}

bool AdminApi::Impl::Permitted(const Call& call, std::string_view action,
                               std::string_view parent) const {
  if (call.is_root) return true;
  const s3::PrincipalType type = call.authorizer.type();
  if (type == s3::PrincipalType::kSession) {
    // SECURITY: an STS session gets exactly what its effective policy allows
    // (the parent's policies ∩ the session policy; a root session without a
    // session policy acts as root, as on S3): no own-account shortcut, so a
    // session policy never widens into admin rights.
    const s3::AuthzDecision decision = call.authorizer.Decide(action, "", "");
    if (!decision.allowed) {
      env.log().Debug("admin", "access denied",
                      {{"request_id", call.http.request_id},
                       {"action", action},
                       {"principal", call.authorizer.user()},
                       {"decision", decision.explanation}});
    }
    return decision.allowed;
  }
  // SECURITY: a service account acts for its parent but may not mint or
  // remove keys (MinIO's rule): the narrowing policy would otherwise be
  // escapable by creating an unnarrowed sibling.
  if (type != s3::PrincipalType::kUser) return false;
  const std::string& user = call.authorizer.user();
  if (!parent.empty() && parent == user) {
    const state::Principal* p =
        call.snapshot != nullptr ? call.snapshot->FindPrincipal(user) : nullptr;
    return p != nullptr && p->enabled;
  }
  const s3::AuthzDecision decision = call.authorizer.Decide(action, "", "");
  if (!decision.allowed) {
    env.log().Debug("admin", "access denied",
                    {{"request_id", call.http.request_id},
                     {"action", action},
                     {"principal", user},
                     {"decision", decision.explanation}});
  }
  return decision.allowed;
}

Reply AdminApi::Impl::Create(const Call& call) {
  if (call.authorizer.type() == s3::PrincipalType::kServiceAccount) return Denied();
  // SECURITY: an account gets its parent's rights; a session narrowed by a
  // session policy (or a federated one, whose rights are no user's) would
  // widen itself through one.
  if (call.session != nullptr && (!call.session->session_policy.empty() ||
                                  call.session->parent_kind == sts::ParentKind::kFederated)) {
    return Denied();
  }
  base::Result<std::string> text =
      s3::ReadSmallBody(*crypto, env.random().LibCtx(), call.http, call.authn, call.body,
                        options.max_body_bytes, /*required=*/false);
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
    std::optional<base::WallTime> at = ParseRfc3339(expiration);
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

Reply AdminApi::Impl::FromError(const HttpRequest& request, const base::Error& error) const {
  if (auth::S3ErrorCodeOf(error).has_value()) {
    const auth::S3ErrorReply s3 = auth::ToS3ErrorReply(error);
    return Fail(s3.info->http_status, std::string(s3.info->name), s3.message);
  }
  switch (error.code()) {
    case base::ErrorCode::kNotFound:
      return Fail(404, "NoSuchServiceAccount", "The service account does not exist.");
    case base::ErrorCode::kAlreadyExists:
      return Fail(409, "ServiceAccountAlreadyExists", "The access key is taken.");
    case base::ErrorCode::kInvalidArgument:
      return BadRequest(error.message());
    case base::ErrorCode::kUnavailable:
      return Fail(503, "SlowDown", "Please reduce your request rate.");
    default:
      env.log().Error("admin", "internal error",
                      {{"request_id", request.request_id}, {"error", error.message()}});
      return Fail(500, "InternalError", "We encountered an internal error. Please try again.");
  }
}

void AdminApi::Impl::Send(const HttpRequest& request, const Reply& reply,
                          ResponseWriter& response) const {
  std::string doc;
  if (reply.status >= 400) {
    doc = json{{"Code", reply.code}, {"Message", reply.message}, {"RequestId", request.request_id}}
              .dump();
  } else if (!reply.body.is_null()) {
    doc = reply.body.dump();
  }
  HeaderList headers = {{"x-amz-request-id", request.request_id}, {"server", "Coffer"}};
  if (!doc.empty()) {
    headers.emplace_back("content-type", "application/json");
    // A create answer carries the only copy of the secret: no cache keeps it.
    headers.emplace_back("cache-control", "no-store");
  }
  if (!response.Start(reply.status, headers, doc.size()).has_value()) return;
  if (!doc.empty()) {
    (void)response.Write(std::as_bytes(std::span(doc.data(), doc.size())));
  }
  (void)response.Finish();
}

}  // namespace coffer::core::admin
