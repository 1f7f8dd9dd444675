#include "coffer/core/sts/sts_api.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>

#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/sts/sts_errors.h"
#include "coffer/env/log.h"
#include "coffer/policy/compile.h"
#include "coffer/state/snapshot.h"

#include "../s3/xml.h"

namespace coffer::core::sts {
namespace {

constexpr std::string_view kNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
constexpr std::string_view kVersion = "2011-06-15";

// Parameters by name; the first occurrence wins (body before query).
using Form = std::map<std::string, std::string, std::less<>>;

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }
std::string_view QueryOf(std::string_view target) {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

bool IsForm(const HttpRequest& request) {
  std::string_view type = request.Header("content-type");
  return type.starts_with("application/x-www-form-urlencoded");
}

bool QueryHasAction(std::string_view query) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    if (piece.starts_with("Action=")) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// application/x-www-form-urlencoded: '&'-separated, '+' is a space.
base::Status AddForm(std::string_view text, Form& form) {
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    std::string_view piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    auto name = auth::UriDecode(piece.substr(0, eq), /*plus_is_space=*/true);
    auto value =
        auth::UriDecode(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1),
                        /*plus_is_space=*/true);
    if (!name.has_value() || !value.has_value()) {
      return MakeStsError(StsErrorCode::kInvalidParameterValue, "Malformed form encoding.");
    }
    form.emplace(*std::move(name), *std::move(value));
  }
  return base::Ok();
}

std::string_view Param(const Form& form, std::string_view name) {
  auto it = form.find(name);
  return it == form.end() ? std::string_view{} : std::string_view(it->second);
}

// "2026-11-27T13:10:00Z": what AWS STS answers in <Expiration>.
std::string FormatExpiration(base::WallTime t) {
  const std::string millis = s3::FormatIso8601Millis(t);  // "...:00.000Z"
  return millis.substr(0, 19) + "Z";
}

std::string RandomKey(base::Random& random, std::size_t length, bool upper_only) {
  static constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static constexpr std::string_view kMixed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string_view alphabet = upper_only ? kUpper : kMixed;
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(alphabet[random.Uniform(0, alphabet.size() - 1)]);
  }
  return out;
}

// The S3 codes SigV4 verification answers with, as STS answers them.
base::Error ToStsAuthError(const base::Error& error) {
  const std::optional<auth::S3ErrorCode> code = auth::S3ErrorCodeOf(error);
  if (!code.has_value()) return error;
  const std::string message = auth::ToS3ErrorReply(error).message;
  switch (*code) {
    case auth::S3ErrorCode::kInvalidAccessKeyId:
    case auth::S3ErrorCode::kInvalidToken:
      return MakeStsError(StsErrorCode::kInvalidClientTokenId, message);
    case auth::S3ErrorCode::kSignatureDoesNotMatch:
      return MakeStsError(StsErrorCode::kSignatureDoesNotMatch, message);
    case auth::S3ErrorCode::kRequestTimeTooSkewed:
      return MakeStsError(StsErrorCode::kSignatureDoesNotMatch, "Signature expired: " + message);
    case auth::S3ErrorCode::kExpiredToken:
      return MakeStsError(StsErrorCode::kExpiredToken);
    case auth::S3ErrorCode::kMissingSecurityHeader:
      return MakeStsError(StsErrorCode::kInvalidClientTokenId, message);
    default:
      return MakeStsError(StsErrorCode::kAccessDenied, message);
  }
}

// What one action minted, for the response.
struct Minted {
  SessionClaims claims;
  std::string token;
  std::string role_session_name;
  std::size_t packed_policy_percent = 0;
};

// The XML element names of each action's answer.
struct ActionNames {
  std::string_view action;
  std::string_view subject_element;  // "" when the action reports no subject.
};

}  // namespace

struct StsApi::Impl {
  env::Env& env;
  s3::SnapshotSource snapshots;
  SessionRecorder& recorder;
  s3::RootCredential root;
  std::shared_ptr<const SessionTokenCodec> codec;
  StsApiOptions options;
  WebIdentityVerifier* web;
  LdapAuthenticator* ldap;
  std::unique_ptr<auth::Crypto> crypto;
  auth::SigningKeyCache signing_keys;
  std::unique_ptr<auth::Verifier> verifier;
  // Identity-provider calls in progress (bounded by max_concurrent_identity_calls).
  std::atomic<std::size_t> identity_calls{0};

  Impl(env::Env& e, s3::SnapshotSource s, SessionRecorder& r, s3::RootCredential rc,
       std::shared_ptr<const SessionTokenCodec> c, StsApiOptions o, WebIdentityVerifier* w,
       LdapAuthenticator* l)
      : env(e),
        snapshots(std::move(s)),
        recorder(r),
        root(std::move(rc)),
        codec(std::move(c)),
        options(std::move(o)),
        web(w),
        ldap(l) {}

  // The per-request view the actions share.
  struct Call {
    const HttpRequest& http;
    const Form& form;
    std::string_view body;
    std::shared_ptr<const state::Snapshot> snapshot;
    base::WallTime now;
    RequestFacts* facts;
  };

  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
  base::Result<std::string> ReadBody(const HttpRequest& request, BodyReader& body) const;
  base::Result<std::string> Dispatch(const Call& call);
  base::Result<Minted> AssumeRole(const Call& call);
  base::Result<Minted> AssumeRoleWithCertificate(const Call& call);
  base::Result<Minted> AssumeRoleWithWebIdentity(const Call& call, bool client_grants);
  base::Result<Minted> AssumeRoleWithLdap(const Call& call);
  base::Result<Minted> MintFederated(const Call& call, const ExternalIdentity& identity);
  // Runs `verify` (a call that may block on an identity provider) unless
  // max_concurrent_identity_calls are already running.
  base::Result<ExternalIdentity> BoundedIdentityCall(
      const std::function<base::Result<ExternalIdentity>()>& verify);
  base::Result<std::chrono::seconds> Duration(const Form& form) const;
  base::Result<std::string> SessionPolicy(const Form& form) const;
  base::Result<Minted> Mint(const Call& call, SessionClaims claims, base::WallTime not_after);
  std::string ResultXml(const ActionNames& names, const Minted& minted,
                        std::string_view request_id) const;
  void SendXml(const HttpRequest& request, unsigned status, std::string_view doc,
               ResponseWriter& response) const;
  void SendError(const HttpRequest& request, const base::Error& error,
                 ResponseWriter& response) const;
};

base::Result<std::unique_ptr<StsApi>> StsApi::Create(
    env::Env& env, s3::SnapshotSource snapshots, SessionRecorder& recorder, s3::RootCredential root,
    std::shared_ptr<const SessionTokenCodec> codec, StsApiOptions options, WebIdentityVerifier* web,
    LdapAuthenticator* ldap) {
  if (codec == nullptr) return base::InvalidArgument("the STS API needs a session-token codec");
  if (options.duration_min > options.duration_max ||
      options.duration_default < options.duration_min ||
      options.duration_default > options.duration_max) {
    return base::InvalidArgument("STS durations must satisfy min <= default <= max");
  }
  auto impl = std::make_unique<Impl>(env, std::move(snapshots), recorder, std::move(root),
                                     std::move(codec), std::move(options), web, ldap);
  COFFER_ASSIGN_OR_RETURN(impl->crypto, auth::Crypto::Create(env.random().LibCtx()));
  auth::VerifierOptions verifier_options;
  verifier_options.region = impl->options.region;
  verifier_options.service = "sts";
  // STS is not S3: its canonical URI follows the generic SigV4 rules.
  verifier_options.canonical.normalize_path = true;
  verifier_options.canonical.double_encode = true;
  impl->verifier =
      std::make_unique<auth::Verifier>(*impl->crypto, impl->signing_keys, verifier_options);
  return std::unique_ptr<StsApi>(new StsApi(std::move(impl)));
}

StsApi::StsApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StsApi::~StsApi() = default;

bool StsApi::Owns(const HttpRequest& request) {
  if (PathOf(request.target) != "/") return false;
  if (request.method == "POST") return IsForm(request) || QueryHasAction(QueryOf(request.target));
  if (request.method == "GET") return QueryHasAction(QueryOf(request.target));
  return false;
}

void StsApi::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  impl_->Serve(request, body, response);
}

base::Result<std::string> StsApi::Impl::ReadBody(const HttpRequest& request,
                                                 BodyReader& body) const {
  std::string out;
  if (request.method != "POST" || !IsForm(request)) return out;
  std::array<std::byte, 8192> buffer{};
  for (;;) {
    base::Result<std::size_t> n = body.Read(buffer);
    if (!n.has_value()) {
      if (n.error().code() == base::ErrorCode::kResourceExhausted) {
        return MakeStsError(StsErrorCode::kInvalidParameterValue, "The request body is too large.");
      }
      return n.error();
    }
    if (*n == 0) break;
    out.append(reinterpret_cast<const char*>(buffer.data()), *n);
    if (out.size() > options.max_body_bytes) {
      return MakeStsError(StsErrorCode::kInvalidParameterValue, "The request body is too large.");
    }
  }
  return out;
}

void StsApi::Impl::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  if (request.facts != nullptr) request.facts->api = "STS";
  // SECURITY: refused before the body is read: temporary credentials never
  // travel in clear, and neither do the passwords and tokens that buy them.
  if (!request.secure && !options.allow_plain_http) {
    SendError(request,
              MakeStsError(StsErrorCode::kAccessDenied,
                           "STS requires HTTPS: temporary credentials are not sent over plain "
                           "HTTP."),
              response);
    return;
  }
  base::Result<std::string> text = ReadBody(request, body);
  if (!text.has_value()) {
    SendError(request, text.error(), response);
    return;
  }
  Form form;
  base::Status parsed = AddForm(*text, form);
  if (parsed.has_value()) parsed = AddForm(QueryOf(request.target), form);
  if (!parsed.has_value()) {
    SendError(request, parsed.error(), response);
    return;
  }
  Call call{request,           form,         *text, snapshots ? snapshots() : nullptr,
            env.clock().Now(), request.facts};
  base::Result<std::string> doc = Dispatch(call);
  if (!doc.has_value()) {
    SendError(request, doc.error(), response);
    return;
  }
  SendXml(request, 200, *doc, response);
}

base::Result<std::string> StsApi::Impl::Dispatch(const Call& call) {
  const std::string_view action = Param(call.form, "Action");
  if (call.facts != nullptr && !action.empty()) call.facts->api = std::string(action);
  if (action.empty()) return MakeStsError(StsErrorCode::kMissingParameter, "Action is missing.");
  const std::string_view version = Param(call.form, "Version");
  if (version != kVersion) {
    return MakeStsError(StsErrorCode::kInvalidParameterValue,
                        "Version must be " + std::string(kVersion) + ".");
  }
  base::Result<Minted> minted = base::Internal("unreachable");
  ActionNames names{action, ""};
  if (action == "AssumeRole") {
    minted = AssumeRole(call);
  } else if (action == "AssumeRoleWithCertificate") {
    minted = AssumeRoleWithCertificate(call);
  } else if (action == "AssumeRoleWithWebIdentity") {
    names.subject_element = "SubjectFromWebIdentityToken";
    minted = AssumeRoleWithWebIdentity(call, /*client_grants=*/false);
  } else if (action == "AssumeRoleWithClientGrants") {
    names.subject_element = "SubjectFromToken";
    minted = AssumeRoleWithWebIdentity(call, /*client_grants=*/true);
  } else if (action == "AssumeRoleWithLDAPIdentity") {
    minted = AssumeRoleWithLdap(call);
  } else {
    return MakeStsError(StsErrorCode::kInvalidAction,
                        "Could not find operation " + std::string(action) + ".");
  }
  if (!minted.has_value()) return minted.error();
  if (call.facts != nullptr) {
    call.facts->parent_user = minted->claims.parent_kind == ParentKind::kRoot
                                  ? std::string("root")
                                  : minted->claims.parent;
    call.facts->tags.emplace_back("sts.session_access_key", minted->claims.access_key);
    std::sort(call.facts->tags.begin(), call.facts->tags.end());
  }
  env.log().Info("sts", "session minted",
                 {{"request_id", call.http.request_id},
                  {"action", std::string(action)},
                  {"access_key", minted->claims.access_key},
                  {"parent", minted->claims.parent},
                  {"expiration", FormatExpiration(minted->claims.expires_at)}});
  return ResultXml(names, *minted, call.http.request_id);
}

base::Result<std::chrono::seconds> StsApi::Impl::Duration(const Form& form) const {
  const std::string_view text = Param(form, "DurationSeconds");
  if (text.empty()) return options.duration_default;
  std::int64_t seconds = 0;
  if (text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return MakeStsError(StsErrorCode::kInvalidParameterValue,
                        "DurationSeconds must be a whole number of seconds.");
  }
  for (char c : text) seconds = seconds * 10 + (c - '0');
  if (seconds < options.duration_min.count() || seconds > options.duration_max.count()) {
    return MakeStsError(StsErrorCode::kInvalidParameterValue,
                        "DurationSeconds must be between " +
                            std::to_string(options.duration_min.count()) + " and " +
                            std::to_string(options.duration_max.count()) + " seconds.");
  }
  return std::chrono::seconds(seconds);
}

base::Result<std::string> StsApi::Impl::SessionPolicy(const Form& form) const {
  const std::string_view policy = Param(form, "Policy");
  if (policy.empty()) return std::string();
  if (policy.size() > options.max_session_policy_bytes) {
    return MakeStsError(StsErrorCode::kPackedPolicyTooLarge,
                        "The session policy is larger than " +
                            std::to_string(options.max_session_policy_bytes) + " bytes.");
  }
  auto compiled = policy::CompileText(policy, "session", policy::PolicyKind::kIdentity);
  if (!compiled.has_value()) {
    return MakeStsError(
        StsErrorCode::kMalformedPolicyDocument,
        "The session policy is not a valid identity policy: " + compiled.error().message());
  }
  return std::string(policy);
}

base::Result<Minted> StsApi::Impl::Mint(const Call& call, SessionClaims claims,
                                        base::WallTime not_after) {
  COFFER_ASSIGN_OR_RETURN(const std::chrono::seconds duration, Duration(call.form));
  COFFER_ASSIGN_OR_RETURN(std::string policy, SessionPolicy(call.form));
  if (!policy.empty()) {
    // SECURITY: a session already narrowed cannot swap its narrowing for a
    // wider one; the intersection of two policies has no single text.
    if (!claims.session_policy.empty() && claims.session_policy != policy) {
      return MakeStsError(StsErrorCode::kAccessDenied,
                          "A session with a session policy cannot assume another policy.");
    }
    claims.session_policy = std::move(policy);
  }
  claims.issued_at = call.now;
  claims.expires_at = std::min(call.now + duration, not_after);
  if (claims.expires_at <= call.now) return MakeStsError(StsErrorCode::kExpiredToken);
  claims.access_key = RandomKey(env.random(), 20, /*upper_only=*/true);
  claims.secret_key = base::Secret(RandomKey(env.random(), 40, /*upper_only=*/false));
  Minted minted;
  minted.role_session_name = std::string(Param(call.form, "RoleSessionName"));
  COFFER_ASSIGN_OR_RETURN(minted.token, codec->Seal(claims, env.random()));
  state::RuntimeCredential row;
  row.access_key = claims.access_key;
  row.parent = claims.parent_kind == ParentKind::kRoot ? std::string("root") : claims.parent;
  row.secret_key = claims.secret_key;
  row.policy = claims.session_policy;
  row.expires_at = claims.expires_at;
  if (auto recorded = recorder.Record(row, codec->Digest(minted.token)); !recorded.has_value()) {
    env.log().Error("sts", "cannot record session",
                    {{"request_id", call.http.request_id}, {"error", recorded.error().message()}});
    return MakeStsError(StsErrorCode::kInternalError);
  }
  minted.packed_policy_percent = claims.session_policy.size() * 100 /
                                 std::max<std::size_t>(options.max_session_policy_bytes, 1);
  minted.claims = std::move(claims);
  return minted;
}

base::Result<Minted> StsApi::Impl::AssumeRole(const Call& call) {
  std::string_view token = call.http.Header("x-amz-security-token");
  SessionClaims caller;
  auto lookup = [&](std::string_view access_key) {
    s3::SessionContext session{codec.get(), token, &caller};
    return s3::LookupCredential(call.snapshot.get(), root, access_key, call.now, session);
  };
  const std::string body_hash = crypto->Sha256Hex(call.body);
  base::Result<auth::Authentication> authn =
      verifier->VerifyBuffered(call.http, lookup, call.now, body_hash);
  if (!authn.has_value()) return ToStsAuthError(authn.error());
  if (authn->kind == auth::AuthKind::kAnonymous) {
    return MakeStsError(StsErrorCode::kMissingAuthenticationToken);
  }
  if (call.facts != nullptr) call.facts->access_key = authn->access_key;
  SessionClaims claims;
  base::WallTime not_after = base::WallTime::max();
  if (!root.access_key.empty() && authn->access_key == root.access_key) {
    claims.parent_kind = ParentKind::kRoot;
    claims.parent = root.access_key;
  } else if (!caller.access_key.empty()) {
    // A session assuming again: same parent and rights, never longer.
    claims = caller;
    not_after = caller.expires_at;
  } else {
    const state::Credential* credential =
        call.snapshot != nullptr ? call.snapshot->FindCredential(authn->access_key) : nullptr;
    if (credential == nullptr || credential->kind != state::CredentialKind::kUser) {
      return MakeStsError(StsErrorCode::kAccessDenied,
                          "Only users and the root user may call AssumeRole.");
    }
    claims.parent_kind = ParentKind::kUser;
    claims.parent = credential->principal;
  }
  claims.subject = claims.parent_kind == ParentKind::kRoot ? std::string("root") : claims.parent;
  return Mint(call, std::move(claims), not_after);
}

base::Result<Minted> StsApi::Impl::AssumeRoleWithCertificate(const Call& call) {
  if (!call.http.secure || call.http.client_cert_cn.empty()) {
    return MakeStsError(StsErrorCode::kAccessDenied,
                        "AssumeRoleWithCertificate needs a verified client certificate (mTLS).");
  }
  const std::string& cn = call.http.client_cert_cn;
  // As MinIO: the certificate's CN names the policy the session gets.
  if (call.snapshot == nullptr || call.snapshot->FindPolicy(cn) == nullptr) {
    return MakeStsError(StsErrorCode::kAccessDenied,
                        "No policy is named after the certificate's common name.");
  }
  ExternalIdentity identity;
  identity.parent = "tls:" + cn;
  identity.subject = cn;
  identity.policies = {cn};
  return MintFederated(call, identity);
}

base::Result<Minted> StsApi::Impl::AssumeRoleWithWebIdentity(const Call& call, bool client_grants) {
  if (web == nullptr) {
    return MakeStsError(StsErrorCode::kInvalidParameterValue,
                        "No OpenID Connect provider is configured.");
  }
  const std::string_view token = Param(call.form, client_grants ? "Token" : "WebIdentityToken");
  if (token.empty()) {
    return MakeStsError(StsErrorCode::kMissingParameter,
                        client_grants ? "Token is missing." : "WebIdentityToken is missing.");
  }
  if (call.snapshot == nullptr) return MakeStsError(StsErrorCode::kServiceUnavailable);
  base::Result<ExternalIdentity> identity = BoundedIdentityCall(
      [&] { return web->Verify(token, Param(call.form, "RoleArn"), *call.snapshot, call.now); });
  if (!identity.has_value()) {
    const base::Error& e = identity.error();
    if (ToStsErrorReply(e).info->code == StsErrorCode::kAccessDenied &&
        e.code() == base::ErrorCode::kUnauthenticated) {
      return MakeStsError(StsErrorCode::kInvalidIdentityToken, e.message());
    }
    return e;
  }
  return MintFederated(call, *identity);
}

base::Result<Minted> StsApi::Impl::AssumeRoleWithLdap(const Call& call) {
  if (ldap == nullptr) {
    return MakeStsError(StsErrorCode::kInvalidParameterValue, "No LDAP server is configured.");
  }
  const std::string_view username = Param(call.form, "LDAPUsername");
  const std::string_view password = Param(call.form, "LDAPPassword");
  if (username.empty() || password.empty()) {
    // SECURITY: an empty password would be an anonymous bind.
    return MakeStsError(StsErrorCode::kMissingParameter,
                        "LDAPUsername and LDAPPassword are required.");
  }
  if (call.snapshot == nullptr) return MakeStsError(StsErrorCode::kServiceUnavailable);
  base::Result<ExternalIdentity> identity = BoundedIdentityCall([&] {
    return ldap->Authenticate(username, base::Secret(std::string(password)), *call.snapshot);
  });
  if (!identity.has_value()) return identity.error();
  return MintFederated(call, *identity);
}

base::Result<ExternalIdentity> StsApi::Impl::BoundedIdentityCall(
    const std::function<base::Result<ExternalIdentity>()>& verify) {
  const std::size_t limit = options.max_concurrent_identity_calls;
  if (limit != 0 && identity_calls.fetch_add(1) >= limit) {
    identity_calls.fetch_sub(1);
    return MakeStsError(StsErrorCode::kServiceUnavailable,
                        "Too many identity-provider logins are in progress; retry shortly.");
  }
  base::Result<ExternalIdentity> result = verify();
  if (limit != 0) identity_calls.fetch_sub(1);
  return result;
}

base::Result<Minted> StsApi::Impl::MintFederated(const Call& call,
                                                 const ExternalIdentity& identity) {
  if (identity.policies.empty()) {
    return MakeStsError(StsErrorCode::kAccessDenied, "No policy applies to this identity.");
  }
  for (const std::string& name : identity.policies) {
    if (call.snapshot == nullptr || call.snapshot->FindPolicy(name) == nullptr) {
      return MakeStsError(StsErrorCode::kAccessDenied,
                          "A policy mapped to this identity does not exist: " + name);
    }
  }
  SessionClaims claims;
  claims.parent_kind = ParentKind::kFederated;
  claims.parent = identity.parent;
  claims.subject = identity.subject;
  claims.policies = identity.policies;
  claims.variables = identity.variables;
  const base::WallTime not_after = identity.not_after.value_or(base::WallTime::max());
  if (not_after <= call.now) return MakeStsError(StsErrorCode::kExpiredToken);
  return Mint(call, std::move(claims), not_after);
}

std::string StsApi::Impl::ResultXml(const ActionNames& names, const Minted& minted,
                                    std::string_view request_id) const {
  const SessionClaims& c = minted.claims;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  auto element = [&out](std::string_view name, std::string_view text) {
    out += '<';
    out += name;
    out += '>';
    s3::AppendXmlEscaped(out, text);
    out += "</";
    out += name;
    out += '>';
  };
  out += names.action;
  out += "Response xmlns=\"";
  out += kNamespace;
  out += "\"><";
  out += names.action;
  out += "Result>";
  const std::string session_name =
      minted.role_session_name.empty() ? c.access_key : minted.role_session_name;
  out += "<AssumedRoleUser>";
  element("Arn", "arn:aws:sts::coffer:assumed-role/" + c.subject + "/" + session_name);
  element("AssumedRoleId", c.access_key + ":" + session_name);
  out += "</AssumedRoleUser><Credentials>";
  element("AccessKeyId", c.access_key);
  element("SecretAccessKey", c.secret_key.Reveal());
  element("SessionToken", minted.token);
  element("Expiration", FormatExpiration(c.expires_at));
  out += "</Credentials>";
  if (!names.subject_element.empty()) element(names.subject_element, c.subject);
  if (!c.session_policy.empty()) {
    element("PackedPolicySize", std::to_string(minted.packed_policy_percent));
  }
  out += "</";
  out += names.action;
  out += "Result><ResponseMetadata>";
  element("RequestId", request_id);
  out += "</ResponseMetadata></";
  out += names.action;
  out += "Response>";
  return out;
}

void StsApi::Impl::SendXml(const HttpRequest& request, unsigned status, std::string_view doc,
                           ResponseWriter& response) const {
  HeaderList headers = {{"x-amz-request-id", request.request_id},
                        {"server", "Coffer"},
                        {"content-type", "text/xml"},
                        {"cache-control", "no-store"}};
  if (!response.Start(status, headers, doc.size()).has_value()) return;
  (void)response.Write(std::as_bytes(std::span(doc.data(), doc.size())));
  (void)response.Finish();
}

void StsApi::Impl::SendError(const HttpRequest& request, const base::Error& error,
                             ResponseWriter& response) const {
  const StsErrorReply reply = ToStsErrorReply(error);
  if (reply.info->code == StsErrorCode::kInternalError) {
    env.log().Error("sts", "internal error",
                    {{"request_id", request.request_id}, {"error", error.message()}});
  }
  if (request.facts != nullptr) request.facts->error_code = std::string(reply.info->name);
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"";
  doc += kNamespace;
  doc += "\"><Error><Type>";
  doc += reply.info->type;
  doc += "</Type><Code>";
  doc += reply.info->name;
  doc += "</Code><Message>";
  s3::AppendXmlEscaped(doc, reply.message);
  doc += "</Message></Error><RequestId>";
  s3::AppendXmlEscaped(doc, request.request_id);
  doc += "</RequestId></ErrorResponse>";
  SendXml(request, reply.info->http_status, doc, response);
}

}  // namespace coffer::core::sts
