#pragma once
// The STS API: MinIO's Security Token Service on the appliance's endpoint.
// It answers POST / (form body) or GET/POST / with the query carrying
// Action=...&Version=2011-06-15, mints temporary credentials and answers in
// AWS STS XML:
//
//   AssumeRole                  SigV4-signed (service "sts") by a user, the
//                               root user or a session (chained: never longer
//                               or wider than the caller's session)
//   AssumeRoleWithWebIdentity   a JWT, checked by a WebIdentityVerifier
//   AssumeRoleWithClientGrants  same
//   AssumeRoleWithLDAPIdentity  LDAPUsername/LDAPPassword, LdapAuthenticator
//   AssumeRoleWithCertificate   the verified mTLS client certificate; its CN
//                               names the policy, as MinIO's
//
// Each minted session is a sealed, self-contained token (session_token.h),
// recorded through a SessionRecorder for listing and revocation. Errors are
// STS XML (ErrorResponse/Error{Type,Code,Message}/RequestId) from one table
// (sts_errors.h). STS over plain HTTP is refused unless allow_plain_http.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/http.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/sts/identity.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/env/env.h"
#include "coffer/state/store.h"

namespace coffer::core::sts {

struct StsApiOptions {
  std::string region = "us-east-1";
  // DurationSeconds bounds. The minimum and default are MinIO's; the maximum
  // is AWS's 12 h (MinIO allows 365 days). duration_min may be lowered only
  // by tests (coffer serve honours its flag only in COFFER_TESTING builds).
  std::chrono::seconds duration_min{900};
  std::chrono::seconds duration_default{3600};
  std::chrono::seconds duration_max{12 * 3600};
  // SECURITY: STS hands out secrets; over plain HTTP they would travel in
  // clear. Off by default; a dev/test setting (`coffer serve
  // --sts-allow-plain-http`).
  bool allow_plain_http = false;
  // Largest form body (a JWT of AWS's 20,000 characters and a 2 KiB policy fit).
  std::size_t max_body_bytes = 64 * 1024;
  // Largest session Policy (AWS: 2,048 characters).
  std::size_t max_session_policy_bytes = 2048;
  // Proxies whose X-Forwarded-For names the client (as S3ApiOptions).
  std::vector<std::string> trusted_proxies;
  // How many logins that block on an identity provider (LDAP binds and
  // searches, OIDC discovery/JWKS fetches) may run at once; more answer 503
  // ServiceUnavailable at once. The daemon sets it below its worker count, so
  // a hung directory can never hold every worker and starve S3 requests.
  // 0: no limit.
  std::size_t max_concurrent_identity_calls = 0;
};

// Where minted sessions are recorded (the IAM store in production). Thread-safe.
class SessionRecorder {
 public:
  virtual ~SessionRecorder() = default;
  // Records a session: `credential.parent` is the parent, `policy` the
  // session policy, `expires_at` set. Errors: the store's; the STS API then
  // answers InternalError and hands out nothing.
  virtual base::Status Record(const state::RuntimeCredential& credential,
                              std::string_view token_digest) = 0;
};

class StsApi final : public Handler {
 public:
  // `env` and `recorder` are borrowed and must outlive the API. `web` and
  // `ldap` may be null: their actions then answer "not configured"
  // (InvalidParameterValue). `codec` seals the tokens.
  static base::Result<std::unique_ptr<StsApi>> Create(
      env::Env& env, s3::SnapshotSource snapshots, SessionRecorder& recorder,
      s3::RootCredential root, std::shared_ptr<const SessionTokenCodec> codec,
      StsApiOptions options, WebIdentityVerifier* web = nullptr, LdapAuthenticator* ldap = nullptr);
  ~StsApi() override;

  // Whether `request` is an STS request, from its head alone: POST / with a
  // form body (application/x-www-form-urlencoded), or GET/POST / whose query
  // has an Action parameter. Everything else stays with S3.
  static bool Owns(const HttpRequest& request);

  // Serves one request. Thread-safe.
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

  struct Impl;

 private:
  explicit StsApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::core::sts
