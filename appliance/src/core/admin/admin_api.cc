#include "coffer/core/admin/admin_api.h"

#include <array>
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
#include "coffer/state/snapshot.h"

// The admin API shares the S3 core's request parsing, body checks and
// authorizer (same library, private headers): one way to authenticate, read a
// signed body and evaluate a policy.
#include "../s3/authorize.h"
#include "../s3/body.h"
#include "../s3/request.h"
#include "admin_impl.h"

namespace coffer::core::admin {

using nlohmann::json;

Reply Fail(unsigned status, std::string code, std::string message) {
  return Reply{status, nullptr, std::move(code), std::move(message)};
}

Reply BadRequest(std::string message) { return Fail(400, "InvalidArgument", std::move(message)); }

Reply Denied() { return Fail(403, "AccessDenied", "Access Denied."); }

Reply NotImplemented(std::string what) {
  return Fail(501, "NotImplemented", what + " is not available on this server.");
}

Reply MethodNotAllowed() {
  return Fail(405, "MethodNotAllowed",
              "The specified method is not allowed against this resource.");
}

Reply Ok(json body) {
  Reply reply;
  reply.body = std::move(body);
  return reply;
}

json TimeOrNull(const std::optional<base::WallTime>& t) {
  return t.has_value() ? json(env::FormatRfc3339(*t)) : json(nullptr);
}

namespace {

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

}  // namespace

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
  Impl::Identity identity;
  std::optional<Reply> refused = impl_->Authenticate(request, identity);
  const Reply reply = refused ? *std::move(refused) : impl_->Dispatch(request, body, identity);
  impl_->Finish(request, reply, response);
}

base::Result<ConsoleCaller> AdminApi::Login(std::string_view access_key, const base::Secret& secret,
                                            std::string_view session_token) const {
  base::Result<ConsoleCaller> caller =
      impl_->CheckCredential(access_key, secret.Reveal(), session_token, impl_->env.clock().Now());
  if (caller.has_value()) {
    impl_->env.log().Info("admin", "console login",
                          {{"access_key", caller->access_key}, {"kind", caller->kind}});
  } else {
    impl_->env.log().Info("admin", "console login refused", {{"access_key", access_key}});
  }
  return caller;
}

void AdminApi::ServeAs(const ConsoleCaller& caller, const HttpRequest& request, BodyReader& body,
                       ResponseWriter& response) {
  Impl::Identity identity;
  std::optional<Reply> refused = impl_->AuthenticateCaller(caller, request, identity);
  const Reply reply = refused ? *std::move(refused) : impl_->Dispatch(request, body, identity);
  impl_->Finish(request, reply, response);
}

namespace {

// MinIO's admin API names (madmin), for the audit entry.
std::string ApiName(std::string_view method, std::string_view path) {
  constexpr std::string_view kV1 = "/coffer/admin/v1/";
  std::string_view rest = path.starts_with(kV1) ? path.substr(kV1.size()) : path;
  const std::string_view first = rest.substr(0, rest.find('/'));
  const bool one = rest.find('/') != std::string_view::npos && rest.size() > first.size() + 1;
  if (first == "sts-sessions") return method == "GET" ? "ListTemporaryAccounts" : "RevokeTokens";
  if (first == "service-accounts") {
    return method == "POST"     ? "AddServiceAccount"
           : method == "DELETE" ? "DeleteServiceAccount"
                                : "ListServiceAccounts";
  }
  if (first == "info") return "ServerInfo";
  if (first == "users") return one ? "GetUserInfo" : "ListUsers";
  if (first == "groups") return one ? "GetGroupInfo" : "ListGroups";
  if (first == "policies") return one ? "InfoCannedPolicy" : "ListCannedPolicies";
  if (first == "buckets") return "ListBucketsInfo";
  if (first == "identity-providers") return "ListIdentityProviders";
  if (first == "reconcile") return "ReconcileStatus";
  if (rest == "audit/targets") return "AuditTargetStatus";
  if (rest == "audit/log") return "AuditLog";
  if (rest == "kms/status") return "KMSStatus";
  if (rest == "policy/simulate") return "SimulatePolicy";
  return "Admin";
}

}  // namespace

void AdminApi::Impl::Finish(const HttpRequest& request, const Reply& reply,
                            ResponseWriter& response) const {
  if (request.facts != nullptr) {
    const std::string_view target = request.target;
    request.facts->api = ApiName(request.method, target.substr(0, target.find('?')));
    if (reply.status >= 400) request.facts->error_code = reply.code;
  }
  Send(request, reply, response);
}

std::optional<Reply> AdminApi::Impl::Authenticate(const HttpRequest& request, Identity& identity) {
  identity.now = env.clock().Now();
  identity.snapshot = snapshots ? snapshots() : nullptr;
  // STS session credentials authenticate as on S3: the token must open,
  // name the key, be unexpired and unrevoked, and its parent able to act.
  std::string token(request.Header("x-amz-security-token"));
  if (token.empty()) token = QueryToken(request.target);  // Presigned, as on S3.
  auto lookup = [&](std::string_view access_key) {
    sts::SessionClaims claims;
    s3::SessionContext context{options.session_tokens.get(), token, &claims};
    base::Result<auth::Credential> credential =
        s3::LookupCredential(identity.snapshot.get(), root, access_key, identity.now, context);
    if (credential.has_value() && !claims.access_key.empty()) identity.session = std::move(claims);
    return credential;
  };
  base::Result<auth::Authentication> authn = verifier->Verify(request, lookup, identity.now);
  if (!authn.has_value()) return FromError(request, authn.error());
  identity.authn = *std::move(authn);
  // SECURITY: the admin API has no anonymous operations.
  if (identity.authn.kind == auth::AuthKind::kAnonymous) return Denied();
  return std::nullopt;
}

base::Result<ConsoleCaller> AdminApi::Impl::CheckCredential(std::string_view access_key,
                                                            std::string_view secret,
                                                            std::string_view session_token,
                                                            base::WallTime now) const {
  // SECURITY: one message whatever failed (unknown key, wrong secret, a
  // disabled user, a bad, expired or revoked token), so a caller learns
  // nothing about which keys exist.
  const base::Error invalid = base::Unauthenticated("invalid credentials");
  if (access_key.empty() || secret.empty()) return invalid;
  const std::shared_ptr<const state::Snapshot> snapshot = snapshots ? snapshots() : nullptr;
  sts::SessionClaims claims;
  s3::SessionContext context{options.session_tokens.get(), session_token, &claims};
  base::Result<auth::Credential> credential =
      s3::LookupCredential(snapshot.get(), root, access_key, now, context);
  if (!credential.has_value()) return invalid;
  // Both comparisons always run, in constant time, before either decides.
  const bool secret_ok = credential->secret_key.EqualsConstantTime(secret);
  const bool token_ok = credential->session_token.has_value()
                            ? credential->session_token->EqualsConstantTime(session_token)
                            : session_token.empty();
  if (!secret_ok || !token_ok) return invalid;
  ConsoleCaller caller;
  caller.access_key = std::string(access_key);
  caller.secret_key = base::Secret(std::string(secret));
  caller.session_token = base::Secret(std::string(session_token));
  const bool is_root = !root.access_key.empty() && access_key == root.access_key;
  if (is_root) {
    caller.kind = "root";
    caller.user = "root";
  } else if (!claims.access_key.empty()) {
    caller.kind = "session";
    caller.user =
        claims.parent_kind == sts::ParentKind::kRoot ? std::string("root") : claims.parent;
  } else {
    const state::Credential* row =
        snapshot != nullptr ? snapshot->FindCredential(access_key) : nullptr;
    caller.kind = row != nullptr && row->kind == state::CredentialKind::kServiceAccount
                      ? "service-account"
                      : "user";
    caller.user = credential->principal;
  }
  return caller;
}

std::optional<Reply> AdminApi::Impl::AuthenticateCaller(const ConsoleCaller& caller,
                                                        const HttpRequest& request,
                                                        Identity& identity) const {
  identity.now = env.clock().Now();
  identity.console = true;
  // SECURITY: the credential is checked again on every call, against the
  // snapshot this call uses: a user disabled or removed by a commit, a
  // deleted service account, a changed secret or a revoked session loses
  // its console at once.
  identity.snapshot = snapshots ? snapshots() : nullptr;
  sts::SessionClaims claims;
  s3::SessionContext context{options.session_tokens.get(), caller.session_token.Reveal(), &claims};
  base::Result<auth::Credential> credential =
      s3::LookupCredential(identity.snapshot.get(), root, caller.access_key, identity.now, context);
  bool valid = credential.has_value();
  if (valid) {
    const bool secret_ok = credential->secret_key.EqualsConstantTime(caller.secret_key.Reveal());
    const bool token_ok =
        credential->session_token.has_value()
            ? credential->session_token->EqualsConstantTime(caller.session_token.Reveal())
            : caller.session_token.empty();
    valid = secret_ok && token_ok;
  }
  if (!valid) {
    env.log().Info("admin", "console credential no longer valid",
                   {{"request_id", request.request_id}, {"access_key", caller.access_key}});
    return Fail(401, "InvalidCredentials",
                "The console session's credentials are no longer valid.");
  }
  if (!claims.access_key.empty()) identity.session = std::move(claims);
  identity.authn.kind = auth::AuthKind::kHeader;
  identity.authn.access_key = caller.access_key;
  identity.authn.principal = credential->principal;
  identity.authn.used_session_token = identity.session.has_value();
  identity.authn.request_time = identity.now;
  return std::nullopt;
}

Reply AdminApi::Impl::Dispatch(const HttpRequest& request, BodyReader& body,
                               const Identity& identity) {
  if (request.facts != nullptr) request.facts->access_key = identity.authn.access_key;
  if (identity.session.has_value() && request.facts != nullptr) {
    request.facts->parent_user = identity.session->parent_kind == sts::ParentKind::kRoot
                                     ? std::string("root")
                                     : identity.session->parent;
  }
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

  const bool is_root = !root.access_key.empty() && identity.authn.access_key == root.access_key;
  const sts::SessionClaims* claims = identity.session.has_value() ? &*identity.session : nullptr;
  s3::Authorizer authorizer(identity.snapshot.get(), identity.authn, is_root, request, parsed,
                            identity.now, options.trusted_proxies, claims);
  Call call{request, body,         identity.authn, identity.snapshot.get(), authorizer, parsed,
            is_root, identity.now, claims,         identity.console};
  return Route(call);
}

Reply AdminApi::Impl::Route(const Call& call) {
  constexpr std::string_view kV1 = "/coffer/admin/v1/";
  const std::string& method = call.http.method;
  std::string_view path = call.parsed.path;
  if (!path.starts_with(kV1)) return Fail(404, "NotFound", "No admin API at this path.");
  path.remove_prefix(kV1.size());
  if (path.ends_with('/')) path.remove_suffix(1);
  const std::size_t slash = path.find('/');
  const std::string_view first = path.substr(0, slash);
  const std::string_view rest = slash == std::string_view::npos ? "" : path.substr(slash + 1);
  const bool get = method == "GET";

  if (first == "service-accounts") {
    if (rest.empty()) {
      if (method == "POST") return Create(call);
      if (get) return List(call);
      return MethodNotAllowed();
    }
    if (rest.find('/') != std::string_view::npos)
      return Fail(404, "NotFound", "No admin API at this path.");
    if (method == "DELETE") return Delete(call, rest);
    return MethodNotAllowed();
  }
  if (first == "sts-sessions") {
    if (rest.empty()) {
      if (get) return ListSessions(call);
      if (method == "DELETE") return RevokeSessions(call, "");
      return MethodNotAllowed();
    }
    if (rest.find('/') != std::string_view::npos)
      return Fail(404, "NotFound", "No admin API at this path.");
    if (method == "DELETE") return RevokeSessions(call, rest);
    return MethodNotAllowed();
  }
  if (path == "policy/simulate") return method == "POST" ? Simulate(call) : MethodNotAllowed();
  // The rest are reads.
  using Reader = Reply (Impl::*)(const Call&);
  static constexpr std::pair<std::string_view, Reader> kReads[] = {
      {"info", &Impl::Info},
      {"buckets", &Impl::Buckets},
      {"identity-providers", &Impl::IdentityProviders},
      {"reconcile", &Impl::Reconcile},
      {"audit/targets", &Impl::AuditTargets},
      {"audit/log", &Impl::AuditLog},
      {"kms/status", &Impl::KmsStatus}};
  for (const auto& [name, reader] : kReads) {
    if (path == name) return get ? (this->*reader)(call) : MethodNotAllowed();
  }
  using NamedReader = Reply (Impl::*)(const Call&, std::string_view);
  static constexpr std::pair<std::string_view, NamedReader> kNamed[] = {
      {"users", &Impl::Users}, {"groups", &Impl::Groups}, {"policies", &Impl::Policies}};
  for (const auto& [name, reader] : kNamed) {
    if (first != name || rest.find('/') != std::string_view::npos) continue;
    return get ? (this->*reader)(call, rest) : MethodNotAllowed();
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

bool AdminApi::Impl::Allowed(const Call& call, std::string_view action,
                             std::string_view bucket) const {
  if (call.is_root) return true;
  // A disabled user, a missing one or a broken policy: Decide denies.
  const s3::AuthzDecision decision = call.authorizer.Decide(action, bucket, "");
  if (!decision.allowed) {
    env.log().Debug("admin", "access denied",
                    {{"request_id", call.http.request_id},
                     {"action", action},
                     {"principal", call.authorizer.user()},
                     {"decision", decision.explanation}});
  }
  return decision.allowed;
}

base::Result<std::string> AdminApi::Impl::ReadBody(const Call& call, bool required) const {
  if (!call.console) {
    return s3::ReadSmallBody(*crypto, env.random().LibCtx(), call.http, call.authn, call.body,
                             options.max_body_bytes, required);
  }
  // SECURITY: a console body is not signed (the console checked its session
  // and CSRF token); it is bounded like a signed one.
  std::string text;
  std::array<std::byte, 8192> buffer{};
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(std::size_t n, call.body.Read(buffer));
    if (n == 0) break;
    if (text.size() + n > options.max_body_bytes) {
      return auth::MakeS3Error(auth::S3ErrorCode::kEntityTooLarge,
                               "The request body is larger than the admin API accepts.");
    }
    text.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
  if (required && text.empty()) {
    return auth::MakeS3Error(auth::S3ErrorCode::kMissingRequestBodyError, "Request body is empty.");
  }
  return text;
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
