#pragma once
// The simulated appliance: the real request core (SigV4, IAM and bucket
// policies, STS, the S3 API over the erasure set, the reconcile loop) wired
// as `coffer serve` wires it, but over SimEnv's virtual clock, seeded random
// and simulated drives, with the config repo in memory. Clients call Send()
// with a request value; nothing touches a socket, a file or a thread.
//
//   SimEnv env(seed);
//   World world(env, options);             // applies the first commit
//   world.repo().Commit("ops", files);     // a GitOps change...
//   world.Reconcile();                     // ...that the daemon picks up
//   Reply r = world.Send(request);

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coffer/core/audit/audit_handler.h"
#include "coffer/core/audit/audit_log.h"
#include "coffer/core/audit/metrics.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/health.h"
#include "coffer/core/http.h"
#include "coffer/core/kms/local_key_service.h"
#include "coffer/core/reconcile/config_repo.h"
#include "coffer/core/reconcile/reconciler.h"
#include "coffer/core/router.h"
#include "coffer/core/s3/store_runtime.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/core/sts/store_sessions.h"
#include "coffer/env/key_service.h"
#include "coffer/sim/sim_audit.h"
#include "coffer/sim/sim_env.h"

namespace coffer::sim {

// The config repo as a list of commits; the daemon sees the newest.
class SimConfigRepo final : public core::reconcile::ConfigRepo {
 public:
  SimConfigRepo(std::map<std::string, std::string> secrets, ossl_lib_ctx_st* libctx);

  // A new commit with these files (the whole tree) by `author`.
  void Commit(std::string author, std::map<std::string, std::string> files);
  const std::map<std::string, std::string>& files() const { return files_; }
  std::uint64_t commits() const { return commits_; }

  base::Result<state::ConfigTree> Read() override;
  state::Revision Describe(const state::ConfigTree& tree) override;
  state::SecretResolver& Secrets() override { return *resolver_; }

 private:
  std::map<std::string, std::string> secrets_;
  std::map<std::string, std::string> files_;
  std::string author_;
  std::uint64_t commits_ = 0;
  std::optional<state::StandardSecretResolver> resolver_;
};

// The repo's [appliance.root], by reference; World resolves the names.
inline constexpr const char* kRootToml = R"([appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"
)";

struct WorldOptions {
  int drives = 4;  // As `coffer serve`'s default 2+2 set.
  int parity = 2;
  std::uint32_t block_size_bytes = 64 * 1024;  // Small, so tests cover several blocks.
  std::uint64_t inline_threshold_bytes = 4096;
  std::map<std::string, std::string> repo_files;  // The first commit.
  std::map<std::string, std::string> secrets;     // Values of env: references.
  std::string root_user = "simroot";
  std::string root_password = "simroot-password-0123456789";
  std::string region = "us-east-1";
  std::chrono::seconds sts_duration_min{900};
  // The in-process key service's root key (on its own simulated drive,
  // "kms"); SSE-S3 seals under sse_master_key there.
  std::string kms_root_key = std::string(32, 'K');
  std::string sse_master_key = "coffer-sse-s3";
  // When set, every request goes through the audit decorator to one strict
  // webhook target delivering to this receiver, spooled on the "audit" disk.
  std::shared_ptr<SimReceiver> audit_receiver;
  // Which start of the appliance this is (request IDs stay unique across a
  // simulated crash and restart).
  std::uint64_t boot = 1;
};

// One request as a client builds it, before signing.
struct Request {
  std::string method = "GET";
  std::string target = "/";  // Path and query, already encoded.
  core::HeaderList headers;  // Lower-case names; host is added.
  std::string body;
  bool secure = true;  // Sent over TLS.
  std::string remote_address = "10.0.0.2:40000";
  std::string client_cert_cn;
};

enum class Auth { kSigned, kPresigned, kAnonymous };

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;
};

struct SendOptions {
  Auth auth = Auth::kSigned;
  Credentials credentials;                  // Root when empty.
  std::string service = "s3";               // "sts" for STS.
  std::optional<base::WallTime> signed_at;  // The client's clock (skew); now when unset.
  std::chrono::seconds presign_expires{3600};
};

struct Reply {
  unsigned status = 0;
  core::HeaderList headers;
  std::string body;
  bool finished = false;
  std::string request_id;  // The ID the appliance gave the request.
  // The <Code> of an error body, "" otherwise.
  std::string Code() const;
  // The text of the first <name> element, "" when absent.
  std::string XmlText(std::string_view name) const;
  // A 2xx answer the core finished. One it started but did not finish is a
  // dropped connection: the client sees a short body, never a success.
  bool ok() const { return status >= 200 && status < 300 && finished; }
};

class World {
 public:
  // Builds the appliance and runs the first reconcile pass. Aborts the run
  // (COFFER_ASSERT) when the world cannot be built: that is a simulator bug.
  World(SimEnv& env, WorldOptions options);
  ~World();

  // Signs (as a client at `signed_at`) and serves `request`. Returns the
  // signed request too, so replay attacks can send it again.
  Reply Send(Request request, const SendOptions& options = {}, core::HttpRequest* sent = nullptr);
  // Serves an already signed request as is (a replay).
  Reply Replay(const core::HttpRequest& request, std::string body);

  // One reconcile pass and the bucket sync after it.
  core::reconcile::PassResult Reconcile();

  SimEnv& env() { return env_; }
  SimConfigRepo& repo() { return *repo_; }
  core::reconcile::Reconciler& reconciler() { return *reconciler_; }
  core::storage::ErasureSet& objects() { return *objects_; }
  env::KeyService& keys() { return *keys_; }
  // The same service, for what only the in-process store offers (prune).
  core::kms::LocalKeyService& local_keys() { return *local_keys_; }
  const core::Health& health() const { return health_; }
  const WorldOptions& options() const { return options_; }
  Credentials root() const { return {options_.root_user, options_.root_password, ""}; }

 private:
  SimEnv& env_;
  WorldOptions options_;
  core::Health health_;
  std::unique_ptr<core::auth::Crypto> crypto_;
  std::unique_ptr<SimConfigRepo> repo_;
  std::unique_ptr<core::reconcile::Reconciler> reconciler_;
  std::unique_ptr<core::storage::ErasureSet> objects_;
  std::unique_ptr<env::KeyService> keys_;
  core::kms::LocalKeyService* local_keys_ = nullptr;
  std::unique_ptr<core::s3::StoreRuntime> runtime_;
  std::unique_ptr<core::sts::StoreSessionRecorder> sts_recorder_;
  std::unique_ptr<core::Router> router_;
  std::unique_ptr<SimAuditPeers> audit_peers_;
  std::unique_ptr<core::audit::AuditLog> audit_log_;
  std::unique_ptr<core::audit::RequestMetrics> metrics_;
  std::unique_ptr<core::audit::AuditHandler> audit_handler_;
  std::uint64_t requests_ = 0;
};

}  // namespace coffer::sim
