#pragma once
// The identity checks behind STS's federated actions. Each verifier turns the
// caller's proof (a JWT, an LDAP username and password) into an identity with
// the policies the config repo maps to it; the STS API then mints temporary
// credentials for it. Verifiers reach the outside world only through peers
// handed to them (JWKS fetcher, LDAP directory), so the simulator can script
// them.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::state {
class Snapshot;
}

namespace coffer::core::sts {

// Who a federated caller is, as far as authorization is concerned.
struct ExternalIdentity {
  // Stable name of the parent identity, e.g. "oidc:<provider>:<sub>" or the
  // LDAP user DN. Sessions of a parent can be listed and revoked together.
  std::string parent;
  // The subject to report (SubjectFromWebIdentityToken, the LDAP username).
  std::string subject;
  // Names of the policies the session carries (already resolved from claims,
  // RoleArn or DN mappings; each exists in the snapshot).
  std::vector<std::string> policies;
  // Values for policy variables: "jwt:sub", "jwt:groups", "ldap:username",
  // "ldap:user", ... (keys without the "${" "}").
  std::map<std::string, std::string> variables;
  // The session must not outlive this (the token's exp), unless the provider
  // is configured to allow it.
  std::optional<base::WallTime> not_after;
};

// Errors of Verify/Authenticate map to STS errors: kUnauthenticated →
// AccessDenied / InvalidIdentityToken, kInvalidArgument → InvalidParameterValue,
// kDeadlineExceeded → ExpiredTokenException, kUnavailable → 503
// IDPCommunicationError, kNotFound (unknown RoleArn/provider) → InvalidParameterValue.
// Messages never contain the token or the password.

// AssumeRoleWithWebIdentity and AssumeRoleWithClientGrants.
class WebIdentityVerifier {
 public:
  virtual ~WebIdentityVerifier() = default;
  // `role_arn` may be empty (policies then come from the claim).
  virtual base::Result<ExternalIdentity> Verify(std::string_view token, std::string_view role_arn,
                                                const state::Snapshot& snapshot,
                                                base::WallTime now) = 0;
};

// AssumeRoleWithLDAPIdentity.
class LdapAuthenticator {
 public:
  virtual ~LdapAuthenticator() = default;
  virtual base::Result<ExternalIdentity> Authenticate(std::string_view username,
                                                      const base::Secret& password,
                                                      const state::Snapshot& snapshot) = 0;
};

}  // namespace coffer::core::sts
