#include "authorize.h"

#include <array>
#include <chrono>

#include "coffer/core/auth/s3_errors.h"
#include "coffer/env/log.h"
#include "coffer/policy/compile.h"
#include "coffer/policy/ip_range.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::s3 {
namespace {

// "1.2.3.4:5678" -> "1.2.3.4"; "[::1]:5678" -> "::1".
std::string_view PeerIp(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    return close == std::string_view::npos ? address : address.substr(1, close - 1);
  }
  const std::size_t colon = address.rfind(':');
  if (colon != std::string_view::npos && address.find(':') == colon) {
    return address.substr(0, colon);
  }
  return address;
}

std::string_view PrincipalTypeName(PrincipalType t) {
  switch (t) {
    case PrincipalType::kAnonymous:
      return "Anonymous";
    case PrincipalType::kRoot:
      return "Account";
    case PrincipalType::kUser:
      return "User";
    case PrincipalType::kServiceAccount:
      return "User";
    case PrincipalType::kSession:
      return "AssumedRole";
  }
  return "Anonymous";
}

}  // namespace

std::string ResourceArn(std::string_view bucket, std::string_view key) {
  std::string arn = "arn:aws:s3:::";
  if (bucket.empty()) {
    arn += '*';
    return arn;
  }
  arn += bucket;
  if (!key.empty()) {
    arn += '/';
    arn += key;
  }
  return arn;
}

std::string SourceIp(const HttpRequest& http, std::span<const std::string> trusted_proxies) {
  std::string_view peer = PeerIp(http.remote_address);
  auto trusted = [&](std::string_view ip) {
    for (const std::string& range : trusted_proxies) {
      if (policy::AddressInRange(ip, range)) return true;
    }
    return false;
  };
  if (trusted_proxies.empty() || !trusted(peer)) return std::string(peer);
  std::string_view forwarded = http.Header("x-forwarded-for");
  std::string_view chosen = peer;
  while (!forwarded.empty()) {
    const std::size_t comma = forwarded.rfind(',');
    std::string_view hop =
        comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
    forwarded = comma == std::string_view::npos ? std::string_view{} : forwarded.substr(0, comma);
    while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
    while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
    if (!policy::IsValidRange(hop) || hop.find('/') != std::string_view::npos) break;
    chosen = hop;
    if (!trusted(hop)) break;
  }
  return std::string(chosen);
}

bool Authorizer::ResolvePolicies(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const state::PolicyEntry* entry = snapshot_ != nullptr ? snapshot_->FindPolicy(name) : nullptr;
    if (entry == nullptr || entry->compiled == nullptr) return false;
    identity_.push_back(entry->compiled.get());
  }
  return true;
}

void Authorizer::UseSession(const sts::SessionClaims& session, const state::Credential* row) {
  type_ = PrincipalType::kSession;
  user_ = session.parent_kind == sts::ParentKind::kRoot ? std::string("root") : session.parent;
  usable_ = true;
  if (!session.session_policy.empty()) {
    // The snapshot row compiled the same text once; a session minted on
    // another node compiles here.
    if (row != nullptr && row->compiled_session_policy != nullptr &&
        row->session_policy == session.session_policy) {
      session_ = row->compiled_session_policy;
    } else {
      auto compiled = policy::CompileText(session.session_policy, "session:" + access_key_,
                                          policy::PolicyKind::kIdentity);
      // SECURITY: a session policy that no longer compiles allows nothing.
      if (!compiled.has_value()) {
        usable_ = false;
        return;
      }
      session_ = *std::move(compiled);
    }
  }
  switch (session.parent_kind) {
    case sts::ParentKind::kRoot:
      // As MinIO: the session policy alone bounds a root session.
      if (session_ == nullptr) {
        root_session_ = true;
      } else {
        owned_identity_ = std::move(session_);
        identity_.push_back(owned_identity_.get());
      }
      break;
    case sts::ParentKind::kUser: {
      // SECURITY: the parent's rights as they are now: a parent disabled,
      // deleted or stripped of a policy takes its sessions down with it.
      const state::Principal* parent =
          snapshot_ != nullptr ? snapshot_->FindPrincipal(session.parent) : nullptr;
      usable_ = parent != nullptr && parent->enabled && ResolvePolicies(parent->policies);
      break;
    }
    case sts::ParentKind::kFederated:
      usable_ = ResolvePolicies(session.policies);
      break;
  }
  for (const auto& [name, value] : session.variables) context_.Add(name, value);
}

Authorizer::Authorizer(const state::Snapshot* snapshot, const auth::Authentication& auth,
                       bool is_root, const HttpRequest& http, const S3Request& s3,
                       base::WallTime now, std::span<const std::string> trusted_proxies,
                       const sts::SessionClaims* session)
    : snapshot_(snapshot), access_key_(auth.access_key) {
  if (auth.kind != auth::AuthKind::kAnonymous && !is_root && session != nullptr) {
    UseSession(*session,
               snapshot_ != nullptr ? snapshot_->FindCredential(auth.access_key) : nullptr);
  } else if (auth.kind == auth::AuthKind::kAnonymous) {
    type_ = PrincipalType::kAnonymous;
    usable_ = true;
  } else if (is_root) {
    type_ = PrincipalType::kRoot;
    user_ = auth.access_key;
    usable_ = true;
  } else if (snapshot_ != nullptr) {
    const state::Credential* credential = snapshot_->FindCredential(auth.access_key);
    if (credential != nullptr) {
      user_ = credential->principal;
      switch (credential->kind) {
        case state::CredentialKind::kUser:
          type_ = PrincipalType::kUser;
          break;
        case state::CredentialKind::kServiceAccount:
          type_ = PrincipalType::kServiceAccount;
          break;
        case state::CredentialKind::kStsSession:
          type_ = PrincipalType::kSession;
          break;
      }
      session_ = credential->compiled_session_policy;
      const state::Principal* principal = snapshot_->FindPrincipal(credential->principal);
      // SECURITY: the user behind a credential must exist and be enabled; every
      // policy it names must resolve, or nothing is allowed. A session key
      // without its opened token (UseSession) is allowed nothing.
      usable_ = principal != nullptr && principal->enabled &&
                credential->kind != state::CredentialKind::kStsSession;
      if (usable_) {
        for (const std::string& name : principal->policies) {
          const state::PolicyEntry* entry = snapshot_->FindPolicy(name);
          if (entry == nullptr || entry->compiled == nullptr) {
            usable_ = false;
            break;
          }
          identity_.push_back(entry->compiled.get());
        }
      }
    }
  }

  // The request's condition context (policy-dsl keys are case-insensitive).
  context_.Add("aws:sourceip", SourceIp(http, trusted_proxies));
  context_.Add("aws:securetransport", http.secure ? "true" : "false");
  context_.Add("aws:currenttime", env::FormatRfc3339(now));
  context_.Add(
      "aws:epochtime",
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
  if (auto ua = http.Header("user-agent"); !ua.empty()) context_.Add("aws:useragent", ua);
  if (auto referer = http.Header("referer"); !referer.empty()) {
    context_.Add("aws:referer", referer);
  }
  context_.Add("aws:principaltype", PrincipalTypeName(type_));
  if (type_ != PrincipalType::kAnonymous) {
    context_.Add("aws:username", user_);
    context_.Add("aws:userid", access_key_);
    context_.Add("s3:signatureversion", "AWS4-HMAC-SHA256");
    context_.Add("s3:authtype",
                 auth.kind == auth::AuthKind::kPresigned ? "REST-QUERY-STRING" : "REST-HEADER");
  }
  for (std::string_view header :
       {"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-content-sha256", "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-acl",
        "x-amz-storage-class"}) {
    if (auto value = http.Header(header); !value.empty()) {
      context_.Add(std::string("s3:") + std::string(header), value);
    }
  }
  if (auto version = s3.Query("versionId"); version.has_value()) {
    context_.Add("s3:versionid", *version);
  }
}

AuthzDecision Authorizer::Decide(std::string_view action, std::string_view bucket,
                                 std::string_view key) const {
  if (type_ == PrincipalType::kRoot || root_session_) return {true, {}};
  if (!usable_) return {false, "credential's user is disabled, missing or has a broken policy"};

  const std::string resource = ResourceArn(bucket, key);
  const state::BucketEntry* entry =
      snapshot_ != nullptr && !bucket.empty() ? snapshot_->FindBucket(bucket) : nullptr;
  const policy::CompiledPolicy* bucket_policy =
      entry != nullptr ? entry->compiled_policy.get() : nullptr;
  const policy::CompiledPolicy* anonymous_policy =
      entry != nullptr ? entry->compiled_anonymous.get() : nullptr;

  policy::Request request;
  request.action = action;
  request.resource = resource;
  request.principal = type_ == PrincipalType::kAnonymous ? std::string_view{} : user_;
  request.anonymous = type_ == PrincipalType::kAnonymous;
  request.context = &context_;

  std::span<const policy::CompiledPolicy* const> identity;
  if (type_ != PrincipalType::kAnonymous) identity = identity_;

  // The bucket's own policy first; the anonymous shortcut is a second bucket
  // policy (an explicit Deny in the first still wins: it is checked first and
  // a Deny there is final).
  policy::PolicySet set{identity, bucket_policy, session_.get()};
  policy::Decision decision = policy::Evaluate(set, request);
  if (decision.reason != policy::Reason::kExplicitDeny &&
      decision.effect != policy::Effect::kAllow && anonymous_policy != nullptr) {
    policy::PolicySet anon_set{identity, anonymous_policy, session_.get()};
    policy::Decision second = policy::Evaluate(anon_set, request);
    if (second.effect == policy::Effect::kAllow || second.reason == policy::Reason::kExplicitDeny) {
      decision = second;
    }
  }
  AuthzDecision out;
  out.allowed = decision.effect == policy::Effect::kAllow;
  // The explanation is for denials (log and audit); allowed requests, the hot
  // path, build no strings.
  if (out.allowed) return out;
  out.explanation = std::string(policy::ReasonName(decision.reason));
  for (std::uint32_t i = 0; i < decision.statement_count; ++i) {
    out.explanation += i == 0 ? ": " : ", ";
    out.explanation += decision.statements[i].ToString();
  }
  return out;
}

base::Status Authorizer::Check(std::string_view action, std::string_view bucket,
                               std::string_view key) const {
  AuthzDecision decision = Decide(action, bucket, key);
  if (decision.allowed) return base::Ok();
  last_denial_ =
      std::string(action) + " on " + ResourceArn(bucket, key) + ": " + decision.explanation;
  return auth::MakeS3Error(auth::S3ErrorCode::kAccessDenied);
}

}  // namespace coffer::core::s3
