#include "coffer/sim/world.h"

#include <algorithm>
#include <cstring>

#include "coffer/base/assert.h"
#include "coffer/core/admin/admin_api.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/kms/local_key_service.h"
#include "coffer/core/reconcile/bucket_sync.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/core/sts/sts_api.h"
#include "coffer/state/config_files.h"

namespace coffer::sim {
namespace {

class StringBody final : public core::BodyReader {
 public:
  explicit StringBody(std::string data, std::optional<std::uint64_t> length)
      : data_(std::move(data)), length_(length) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    const std::size_t n = std::min(out.size(), data_.size() - offset_);
    std::memcpy(out.data(), data_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  std::optional<std::uint64_t> content_length() const override { return length_; }

 private:
  std::string data_;
  std::optional<std::uint64_t> length_;
  std::size_t offset_ = 0;
};

class CaptureWriter final : public core::ResponseWriter {
 public:
  explicit CaptureWriter(Reply& reply, bool head) : reply_(reply), head_(head) {}
  base::Status Start(unsigned status, const core::HeaderList& headers,
                     std::optional<std::uint64_t>) override {
    COFFER_ASSERT(!started_);
    started_ = true;
    reply_.status = status;
    reply_.headers = headers;
    return base::Ok();
  }
  base::Status Write(std::span<const std::byte> data) override {
    COFFER_ASSERT(started_ && !reply_.finished);
    if (!head_) reply_.body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return base::Ok();
  }
  base::Status Finish() override {
    COFFER_ASSERT(started_ && !reply_.finished);
    reply_.finished = true;
    return base::Ok();
  }
  bool started() const override { return started_; }

 private:
  Reply& reply_;
  bool head_;
  bool started_ = false;
};

std::string Between(const std::string& body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const auto a = body.find(open);
  if (a == std::string::npos) return "";
  const auto b = body.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return body.substr(a + open.size(), b - a - open.size());
}

}  // namespace

std::string Reply::Code() const { return status >= 300 ? Between(body, "Code") : ""; }
std::string Reply::XmlText(std::string_view name) const { return Between(body, name); }

SimConfigRepo::SimConfigRepo(std::map<std::string, std::string> secrets, ossl_lib_ctx_st* libctx)
    : secrets_(std::move(secrets)) {
  state::SecretSources sources;
  sources.env = [this](const std::string& name) -> std::optional<std::string> {
    auto it = secrets_.find(name);
    if (it == secrets_.end()) return std::nullopt;
    return it->second;
  };
  sources.read_file = [this](const std::string& path) -> base::Result<std::string> {
    auto it = files_.find(path);
    if (it == files_.end()) return base::NotFound("no file " + path + " in the repo");
    return it->second;
  };
  sources.libctx = libctx;
  resolver_.emplace(std::move(sources));
}

void SimConfigRepo::Commit(std::string author, std::map<std::string, std::string> files) {
  files_ = std::move(files);
  author_ = std::move(author);
  ++commits_;
}

base::Result<state::ConfigTree> SimConfigRepo::Read() {
  state::ConfigTree tree;
  for (const auto& [path, text] : files_) tree.files[path] = text;
  return tree;
}

state::Revision SimConfigRepo::Describe(const state::ConfigTree&) {
  state::Revision r;
  r.git = true;
  r.id = "sim-commit-" + std::to_string(commits_);
  r.author = author_;
  return r;
}

World::World(SimEnv& env, WorldOptions options) : env_(env), options_(std::move(options)) {
  ossl_lib_ctx_st* libctx = env_.random().LibCtx();
  auto crypto = core::auth::Crypto::Create(libctx);
  COFFER_ASSERT(crypto.has_value());
  crypto_ = std::move(crypto).value();

  core::storage::ErasureSetOptions set_options;
  for (int i = 0; i < options_.drives; ++i) {
    set_options.drive_locations.push_back("drive" + std::to_string(i));
  }
  set_options.parity_shards = options_.parity;
  set_options.block_size_bytes = options_.block_size_bytes;
  set_options.inline_threshold_bytes = options_.inline_threshold_bytes;
  auto set = core::storage::ErasureSet::Open(env_, set_options);
  COFFER_ASSERT(set.has_value());
  objects_ = std::move(set).value();

  // The root credentials are references in the repo, as in production.
  options_.secrets.emplace("COFFER_ROOT_USER", options_.root_user);
  options_.secrets.emplace("COFFER_ROOT_PASSWORD", options_.root_password);
  repo_ = std::make_unique<SimConfigRepo>(options_.secrets, libctx);
  std::map<std::string, std::string> first = {{"appliance.toml", kRootToml}};
  for (const auto& [path, text] : options_.repo_files) first[path] = text;
  repo_->Commit("Ops <ops@sim>", std::move(first));
  auto store = state::Store::Open(":memory:", state::StoreOptions{});
  COFFER_ASSERT(store.has_value());
  reconciler_ = std::make_unique<core::reconcile::Reconciler>(
      *repo_, env_, health_, std::move(store).value(), state::MasterKey::Generate(env_.random()));
  Reconcile();

  core::s3::RootCredential root{options_.root_user, base::Secret(options_.root_password)};
  auto snapshots = [this] { return reconciler_->live().Current(); };
  runtime_ = std::make_unique<core::s3::StoreRuntime>(reconciler_->live(), env_.clock());
  auto codec = core::sts::SessionTokenCodec::Create(reconciler_->live().master_key(), libctx);
  COFFER_ASSERT(codec.has_value());
  std::shared_ptr<const core::sts::SessionTokenCodec> tokens = std::move(codec).value();

  router_ = std::make_unique<core::Router>(health_);
  core::sts::StsApiOptions sts_options;
  sts_options.region = options_.region;
  sts_options.duration_min = options_.sts_duration_min;
  sts_recorder_ = std::make_unique<core::sts::StoreSessionRecorder>(reconciler_->live(),
                                                                    env_.clock(), env_.random());
  auto sts = core::sts::StsApi::Create(env_, snapshots, *sts_recorder_, root, tokens,
                                       std::move(sts_options));
  COFFER_ASSERT(sts.has_value());
  router_->AddRoute("sts", &core::sts::StsApi::Owns, std::move(sts).value());

  core::admin::AdminApiOptions admin_options;
  admin_options.region = options_.region;
  admin_options.session_tokens = tokens;
  auto admin =
      core::admin::AdminApi::Create(env_, snapshots, *runtime_, root, std::move(admin_options));
  COFFER_ASSERT(admin.has_value());
  router_->AddRoute(
      "admin", [](const core::HttpRequest& r) { return core::admin::AdminApi::Owns(r.target); },
      std::move(admin).value());

  core::kms::LocalKeyServiceOptions kms_options;
  kms_options.location = "kms";
  kms_options.root_key = base::Secret(options_.kms_root_key);
  auto keys = core::kms::LocalKeyService::Open(env_, std::move(kms_options));
  COFFER_ASSERT(keys.has_value());
  local_keys_ = keys->get();
  keys_ = std::move(keys).value();
  (void)keys_->CreateKey(options_.sse_master_key);

  if (options_.audit_receiver != nullptr) {
    audit_peers_ = std::make_unique<SimAuditPeers>(env_, options_.audit_receiver);
    core::audit::AuditLogOptions log_options;
    log_options.deployment_id = "sim";
    log_options.retry_min = std::chrono::milliseconds(100);
    log_options.retry_max = std::chrono::seconds(5);
    audit_log_ = std::make_unique<core::audit::AuditLog>(env_, *audit_peers_, log_options);
    core::audit::TargetConfig target;
    target.kind = core::audit::TargetConfig::Kind::kWebhook;
    target.name = "sim";
    target.webhook.name = "sim";
    target.webhook.endpoint = "http://receiver.sim/audit";
    target.queue_dir = "spool/webhook-sim";
    target.queue_size = 500;
    target.batch_size = 16;
    target.min_free_bytes = 0;
    const auto errors = audit_log_->Configure({target});
    COFFER_ASSERT(errors.empty());
    metrics_ = std::make_unique<core::audit::RequestMetrics>();
  }

  core::s3::S3ApiOptions s3_options;
  s3_options.key_service = keys_.get();
  s3_options.sse_master_key = options_.sse_master_key;
  s3_options.region = options_.region;
  s3_options.session_tokens = tokens;
  auto s3 =
      core::s3::S3Api::Create(env_, *objects_, snapshots, *runtime_, root, std::move(s3_options));
  COFFER_ASSERT(s3.has_value());
  router_->SetFallback(std::move(s3).value());
  if (audit_log_ != nullptr) {
    audit_handler_ =
        std::make_unique<core::audit::AuditHandler>(env_, *router_, *audit_log_, *metrics_);
  }
}

World::~World() = default;

core::reconcile::PassResult World::Reconcile() {
  core::reconcile::PassResult pass = reconciler_->Pass();
  if (auto snapshot = reconciler_->live().Current()) {
    core::reconcile::SyncBuckets(*snapshot, *objects_, env_.log());
  }
  return pass;
}

Reply World::Send(Request request, const SendOptions& options, core::HttpRequest* sent) {
  core::HttpRequest http;
  http.method = std::move(request.method);
  http.target = std::move(request.target);
  http.remote_address = std::move(request.remote_address);
  http.secure = request.secure;
  http.client_cert_cn = std::move(request.client_cert_cn);
  http.headers.emplace_back("host", "coffer.sim:9000");
  for (auto& h : request.headers) http.headers.push_back(std::move(h));
  const bool has_body = !request.body.empty() || http.method == "PUT" || http.method == "POST";
  if (has_body) http.headers.emplace_back("content-length", std::to_string(request.body.size()));

  Credentials creds = options.credentials.access_key.empty() ? root() : options.credentials;
  core::auth::SignerOptions signer_options;
  signer_options.region = options_.region;
  signer_options.service = options.service;
  signer_options.set_content_sha256 = options.service == "s3";
  core::auth::Signer signer(*crypto_,
                            {creds.access_key, base::Secret(creds.secret_key), creds.session_token},
                            signer_options);
  const base::WallTime at = options.signed_at.value_or(env_.clock().Now());
  switch (options.auth) {
    case Auth::kAnonymous:
      break;
    case Auth::kSigned: {
      auto signed_request = signer.Sign(http, at, crypto_->Sha256Hex(request.body));
      COFFER_ASSERT(signed_request.has_value());
      break;
    }
    case Auth::kPresigned: {
      auto url = signer.Presign(http.method, http.target, {{"host", "coffer.sim:9000"}}, at,
                                options.presign_expires);
      COFFER_ASSERT(url.has_value());
      http.target = *url;
      break;
    }
  }
  if (sent != nullptr) *sent = http;
  return Replay(http, std::move(request.body));
}

Reply World::Replay(const core::HttpRequest& request, std::string body) {
  core::HttpRequest http = request;
  http.request_id = "sim-req-" + std::to_string(options_.boot) + "-" + std::to_string(++requests_);
  std::optional<std::uint64_t> length;
  for (const auto& [k, v] : http.headers) {
    if (k == "content-length") length = std::stoull(v);
  }
  StringBody reader(std::move(body), length);
  Reply reply;
  CaptureWriter writer(reply, http.method == "HEAD");
  reply.request_id = http.request_id;
  core::Handler& handler = audit_handler_ != nullptr ? static_cast<core::Handler&>(*audit_handler_)
                                                     : static_cast<core::Handler&>(*router_);
  handler.Serve(http, reader, writer);
  return reply;
}

}  // namespace coffer::sim
