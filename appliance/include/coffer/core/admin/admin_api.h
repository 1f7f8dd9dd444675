#pragma once
// The admin API: runtime-owned IAM state that is not S3's, starting with
// service accounts (access keys that belong to a parent user and act as it,
// optionally narrowed by their own policy, as MinIO's). Requests are signed
// with SigV4 exactly as S3 requests (same verifier, same credential lookup);
// bodies and answers are JSON; errors are {"Code","Message","RequestId"} with
// S3-like status codes.
//
//   POST   /coffer/admin/v1/service-accounts            create (the secret is answered once)
//   GET    /coffer/admin/v1/service-accounts[?user=U]   list (never secrets)
//   DELETE /coffer/admin/v1/service-accounts/{accessKey}
//   GET    /coffer/admin/v1/sts-sessions[?user=U]       STS sessions (never secrets or tokens)
//   DELETE /coffer/admin/v1/sts-sessions/{accessKey}    revoke one session
//   DELETE /coffer/admin/v1/sts-sessions?user=U         revoke every session of U
//
// Authorization follows MinIO: a user manages its own service accounts and
// sessions without admin rights; another parent's need
// admin:CreateServiceAccount, admin:ListServiceAccounts,
// admin:RemoveServiceAccount, admin:ListTemporaryAccounts or (revoking
// sessions, as MinIO's revoke-tokens) admin:RemoveServiceAccount; root may do
// all. Service accounts manage nothing. STS session credentials (with their
// X-Amz-Security-Token) are authenticated as on S3 and authorized by their
// effective policy only (the parent's policies ∩ the session policy; no
// own-account shortcut); a session with a session policy, or of a federated
// identity, never creates service accounts (the account would carry the
// parent's rights, wider than the session's). A revocation swaps the
// snapshot before it answers: the session's next request is refused.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/http.h"
#include "coffer/core/s3/api.h"
#include "coffer/env/env.h"

namespace coffer::core::admin {

// Requests whose path starts with this belong to the admin API.
inline constexpr std::string_view kAdminPathPrefix = "/coffer/admin/";

struct AdminApiOptions {
  // The region requests are signed for (the S3 API's).
  std::string region = "us-east-1";
  // Largest JSON request body.
  std::size_t max_body_bytes = 64 * 1024;
  // The S3 API's trusted reverse proxies (S3ApiOptions::trusted_proxies), so
  // aws:SourceIp in an admin:* condition means what it means for S3.
  std::vector<std::string> trusted_proxies;
  // Opens STS session tokens (S3ApiOptions::session_tokens). Null: session
  // credentials answer InvalidToken.
  std::shared_ptr<const sts::SessionTokenCodec> session_tokens;
};

class AdminApi final : public Handler {
 public:
  // `env` and `runtime` are borrowed and must outlive the API. `snapshots`
  // and `root` are the S3 API's, so a key works the same on both.
  static base::Result<std::unique_ptr<AdminApi>> Create(env::Env& env, s3::SnapshotSource snapshots,
                                                        s3::RuntimeState& runtime,
                                                        s3::RootCredential root,
                                                        AdminApiOptions options);
  ~AdminApi() override;

  // True when `target` (a raw request target) names the admin API.
  static bool Owns(std::string_view target) { return target.starts_with(kAdminPathPrefix); }

  // Serves one request. Thread-safe; runs on a worker thread.
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

  struct Impl;

 private:
  explicit AdminApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::core::admin
