#pragma once
// The admin API's insides, shared by its source files: the Impl, the shape of
// one call (who asks, with which snapshot) and of one answer. Private to
// appliance/src/core/admin/.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/core/admin/admin_api.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/state/plan.h"
#include "coffer/state/store.h"

#include "../s3/authorize.h"
#include "../s3/request.h"

namespace coffer::core::admin {

// What one request answers: a JSON document, or an error (status >= 400 with
// a code).
struct Reply {
  unsigned status = 200;
  nlohmann::json body;  // Null: no body (204).
  std::string code;
  std::string message;
};

Reply Fail(unsigned status, std::string code, std::string message);
Reply BadRequest(std::string message);
Reply Denied();
Reply NotImplemented(std::string what);
Reply MethodNotAllowed();
Reply Ok(nlohmann::json body);
// "" or an RFC 3339 time.
nlohmann::json TimeOrNull(const std::optional<base::WallTime>& t);

struct AdminApi::Impl {
  env::Env& env;
  s3::SnapshotSource snapshots;
  s3::RuntimeState& runtime;
  s3::RootCredential root;
  AdminApiOptions options;
  std::unique_ptr<auth::Crypto> crypto;
  auth::SigningKeyCache signing_keys;
  std::unique_ptr<auth::Verifier> verifier;

  // Serializes calls into options.sources.repo.
  std::mutex repo_mu;

  Impl(env::Env& e, s3::SnapshotSource s, s3::RuntimeState& rt, s3::RootCredential r,
       AdminApiOptions opt)
      : env(e), snapshots(std::move(s)), runtime(rt), root(std::move(r)), options(std::move(opt)) {}

  // Who is asking, as Serve (SigV4) or ServeAs (the console) established it.
  struct Identity {
    auth::Authentication authn;
    std::optional<sts::SessionClaims> session;
    std::shared_ptr<const state::Snapshot> snapshot;
    base::WallTime now{};
    // ServeAs: the body is plain JSON (the console checked its session and
    // CSRF token); Serve: the body is covered by the signature.
    bool console = false;
  };

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
    bool console;
  };

  void Finish(const HttpRequest& request, const Reply& reply, ResponseWriter& response) const;
  // SigV4: verifies the request and fills `identity`; an error reply otherwise.
  std::optional<Reply> Authenticate(const HttpRequest& request, Identity& identity);
  // The console: re-checks `caller`'s credential now and fills `identity`.
  std::optional<Reply> AuthenticateCaller(const ConsoleCaller& caller, const HttpRequest& request,
                                          Identity& identity) const;
  // Checks a credential as SigV4's lookup does; "invalid credentials" on any
  // failure.
  base::Result<ConsoleCaller> CheckCredential(std::string_view access_key, std::string_view secret,
                                              std::string_view session_token,
                                              base::WallTime now) const;
  // Parses the target, builds the authorizer and routes.
  Reply Dispatch(const HttpRequest& request, BodyReader& body, const Identity& identity);
  Reply Route(const Call& call);

  // Whether the caller may manage the service accounts of `parent` ("" = every
  // parent) with `action`.
  bool Permitted(const Call& call, std::string_view action, std::string_view parent) const;
  // Whether the caller may do `action` (an admin:* action; root may do all).
  bool Allowed(const Call& call, std::string_view action, std::string_view bucket = "") const;
  // The request body as text (signed: through the signature checks; console:
  // plain, at most max_body_bytes).
  base::Result<std::string> ReadBody(const Call& call, bool required) const;

  // Service accounts and STS sessions (service_accounts.cc).
  Reply Create(const Call& call);
  Reply List(const Call& call);
  Reply Delete(const Call& call, std::string_view access_key);
  Reply ListSessions(const Call& call);
  Reply RevokeSessions(const Call& call, std::string_view access_key);

  // Read endpoints (read_endpoints.cc, iam_endpoints.cc).
  Reply Info(const Call& call);
  Reply Users(const Call& call, std::string_view name);
  Reply Groups(const Call& call, std::string_view name);
  Reply Policies(const Call& call, std::string_view name);
  Reply Buckets(const Call& call);
  Reply IdentityProviders(const Call& call);
  Reply Reconcile(const Call& call);
  Reply AuditTargets(const Call& call);
  Reply AuditLog(const Call& call);
  Reply KmsStatus(const Call& call);
  Reply Simulate(const Call& call);

  // The IAM store, read under its lock (no snapshot rebuild).
  // kUnimplemented without a store.
  base::Status ReadStore(
      const std::function<base::Status(state::Store&, const state::MasterKey&)>& read) const;
  base::Result<std::vector<state::Record>> StoredRecords() const;
  // Each repo user's secret reference kind ("env", "file", "sealed").
  std::map<std::string, std::string> SecretKinds();
  // What the repo says now, against the store's status.
  struct RepoView {
    nlohmann::json head;
    nlohmann::json errors;
    nlohmann::json drift_reasons;
    nlohmann::json pending;
  };
  RepoView ReadRepo(const state::ReconcileStatus& status);

  Reply FromError(const HttpRequest& request, const base::Error& error) const;
  void Send(const HttpRequest& request, const Reply& reply, ResponseWriter& response) const;
};

}  // namespace coffer::core::admin
