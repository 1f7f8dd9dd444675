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
//
// Read endpoints (GET, JSON; root may do all; the action each needs):
//   info                   admin:ServerInfo     version, region, uptime, TLS, drives, erasure, keys
//   users, users/{name}    admin:ListUsers / admin:GetUser   name, enabled, groups, policies,
//                          secretKind (env|file|sealed|runtime; never the reference or secret)
//   groups, groups/{name}  admin:ListGroups / admin:GetGroup  members, policies, enabled
//   policies, policies/{n} admin:ListUserPolicies / admin:GetPolicy  document, builtin
//   buckets                admin:ServerInfo (all buckets), else per bucket s3:GetBucketPolicy
//   identity-providers     admin:ConfigUpdate (as MinIO's idp info; no client secrets, no
//                          bind passwords)
//   reconcile              admin:ServerInfo     applied/attempted revision, error, drift, plan
//   audit/targets          admin:ServerInfo     per target health and counters (no tokens)
//   audit/log?...          admin:ServerTrace    recent audit entries, newest first
//   kms/status             admin:KMSKeyStatus   key service kind, reachable, default key
//   POST policy/simulate   admin:GetPolicy      decision and deciding statement
//
// The console (another entry point, same routing and authorization): Login()
// checks an access key and secret once; ServeAs() serves an admin path as
// that caller, re-checking the credential on every call.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/audit/audit_log.h"
#include "coffer/core/audit/recent.h"
#include "coffer/core/http.h"
#include "coffer/core/reconcile/config_repo.h"
#include "coffer/core/s3/api.h"
#include "coffer/env/env.h"
#include "coffer/env/key_service.h"
#include "coffer/state/live_store.h"

namespace coffer::core::admin {

// Requests whose path starts with this belong to the admin API.
inline constexpr std::string_view kAdminPathPrefix = "/coffer/admin/";

// What `GET info` reports about the running appliance (serve fills it in).
struct ServerInfo {
  std::string version;
  bool tls = false;
  base::WallTime started_at{};
  struct Drive {
    std::string path;
    bool online = true;
  };
  std::vector<Drive> drives;
  // The erasure layout: "EC:D+P" style data/parity per set, and how many sets.
  int data_shards = 0;
  int parity_shards = 0;
  int sets = 0;
  // "kes", "in-process" or "" when no key service is configured.
  std::string key_service;
};

// Where the read endpoints get what the request core does not hold itself.
// Every member is optional: an endpoint whose source is missing answers 501
// NotImplemented. Callbacks run on worker threads (thread-safe) and must not
// block long. Borrowed pointers must outlive the API.
struct AdminSources {
  // `GET info`.
  std::function<ServerInfo()> server_info;
  // `GET audit/targets`: the audit log's counters (audit::AuditLog::Stats);
  // names, endpoints and enabled flags come from the snapshot's settings.
  std::function<std::vector<audit::TargetStats>()> audit_stats;
  // `GET buckets`: every bucket on the drives (the snapshot knows only those
  // with settings). Null: the snapshot's buckets only.
  std::function<std::vector<std::string>()> bucket_names;
  // The IAM store (users, groups, policies as stored; reconcile status and
  // the pending plan). Read under its lock without a snapshot rebuild.
  state::LiveStore* live = nullptr;
  // The config repo as reconcile reads it (for HEAD, its validation errors,
  // the pending plan and the kind of each user's secret reference). Give the
  // API an instance of its own: it serializes its own calls only.
  reconcile::ConfigRepo* repo = nullptr;
  // `GET kms/status`: the key service (thread-safe) and the SSE-S3 default key.
  env::KeyService* key_service = nullptr;
  std::string default_key = "coffer-sse-s3";
};

// An authenticated console user (Login). Holds the secret and session token
// so that ServeAs can re-check them; never log or serialize it.
struct ConsoleCaller {
  std::string access_key;
  std::string user;  // The user it acts as: "root", a user name, a service account's parent.
  // "root", "user", "service-account" or "session".
  std::string kind;
  base::Secret secret_key;
  base::Secret session_token;  // Empty unless an STS session.
};

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
  // Data for the read endpoints (see AdminSources).
  AdminSources sources;
  // The recent audit entries (`GET audit/log`); null: 501.
  std::shared_ptr<const audit::RecentAuditLog> recent_audit;
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

  // Checks a credential as SigV4's lookup would (s3::LookupCredential): the
  // root key, an enabled user, an unexpired service account, or an unexpired
  // and unrevoked STS session whose token is `session_token` ("" otherwise).
  // The secret is compared in constant time. Errors: kUnauthenticated with
  // the message "invalid credentials" whatever failed. Thread-safe.
  base::Result<ConsoleCaller> Login(std::string_view access_key, const base::Secret& secret,
                                    std::string_view session_token) const;

  // Serves the admin path in request.target ("/coffer/admin/v1/...") as
  // `caller`, without a signature: first re-checks the credential exactly as
  // Login (a disabled user, a deleted key, a changed secret, a revoked or
  // expired session answers 401 InvalidCredentials at once), then the same
  // routing and authorization as Serve. Request bodies are unsigned JSON
  // (the console has checked its session and CSRF token), read up to
  // max_body_bytes. request.remote_address is the browser's (aws:SourceIp).
  // Thread-safe.
  void ServeAs(const ConsoleCaller& caller, const HttpRequest& request, BodyReader& body,
               ResponseWriter& response);

  struct Impl;

 private:
  explicit AdminApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::core::admin
