#pragma once
// Authorization of one S3 request: who is asking (root, an IAM user with its
// groups' policies, a service account or STS session narrowed by its own
// policy, or anonymous), the condition context of the request, and the
// decision for each action the request needs. Built once per request from
// the IAM snapshot the request pinned; policy-dsl decides.
//
// SECURITY: closed by default. No snapshot, an unknown principal, a policy
// name that does not resolve: deny. The client sees only AccessDenied; the
// deciding statement goes to the debug log (and the audit entry).

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/policy/evaluate.h"

#include "request.h"

namespace coffer::state {
class Snapshot;
struct Credential;
}  // namespace coffer::state

namespace coffer::core::s3 {

enum class PrincipalType { kAnonymous, kRoot, kUser, kServiceAccount, kSession };

struct AuthzDecision {
  bool allowed = false;
  // For a denial: the reason and the deciding statements ("explicit deny:
  // policy/Sid"). Empty when allowed (the hot path builds no strings).
  std::string explanation;
};

class Authorizer {
 public:
  // `snapshot` may be null (only root is then allowed anything). `is_root` is
  // decided by the caller from the access key. Borrowed pointers must outlive
  // the authorizer.
  // `trusted_proxies` (CIDRs) are the peers whose X-Forwarded-For is believed
  // for aws:SourceIp; from anyone else the header is ignored.
  // `session` is the opened token of an STS session (LookupCredential), or
  // null. A session's rights: a user parent's current policies ∩ the session
  // policy; a root parent's session policy alone (none: root's rights); a
  // federated parent's policy names ∩ the session policy. Its policy
  // variables (jwt:*, ldap:*) join the condition context. A session key
  // without `session` is denied everything.
  Authorizer(const state::Snapshot* snapshot, const auth::Authentication& auth, bool is_root,
             const HttpRequest& http, const S3Request& s3, base::WallTime now,
             std::span<const std::string> trusted_proxies = {},
             const sts::SessionClaims* session = nullptr);

  PrincipalType type() const { return type_; }
  // The user the request acts as ("" when anonymous).
  const std::string& user() const { return user_; }

  // The condition context; handlers add request-specific keys before asking.
  policy::Context& context() { return context_; }

  AuthzDecision Decide(std::string_view action, std::string_view bucket,
                       std::string_view key) const;
  // AccessDenied unless allowed.
  base::Status Check(std::string_view action, std::string_view bucket, std::string_view key) const;

  // The last denial's explanation, for the log and audit entry.
  const std::string& last_denial() const { return last_denial_; }

 private:
  const state::Snapshot* snapshot_;
  PrincipalType type_ = PrincipalType::kAnonymous;
  std::string user_;
  std::string access_key_;
  bool usable_ = false;  // False: a known key whose user cannot act (deny all).
  std::vector<const policy::CompiledPolicy*> identity_;
  std::shared_ptr<const policy::CompiledPolicy> session_;
  policy::Context context_;
  mutable std::string last_denial_;
  // A session of the root user without a session policy acts as root.
  bool root_session_ = false;
  // Keeps a session policy alive when it serves as the identity policy.
  std::shared_ptr<const policy::CompiledPolicy> owned_identity_;

  void UseSession(const sts::SessionClaims& session, const state::Credential* row);
  bool ResolvePolicies(const std::vector<std::string>& names);
};

// The resource ARN for bucket/key ("arn:aws:s3:::bucket/key"; the bucket's
// ARN when key is empty; "arn:aws:s3:::*" when both are).
std::string ResourceArn(std::string_view bucket, std::string_view key);

// aws:SourceIp of a request: the socket peer, unless the peer is a trusted
// proxy; then the right-most X-Forwarded-For address that is not itself a
// trusted proxy (the client as the nearest trusted hop saw it).
std::string SourceIp(const HttpRequest& http, std::span<const std::string> trusted_proxies);

}  // namespace coffer::core::s3
