// `coffer kms serve|create|delete|list|rotate|status|identity`: the key service.
//
//   coffer kms serve --address 127.0.0.1:7373 --certs-dir DIR --keys DIR --policy FILE
//     runs a KES-compatible server: mTLS only (CERTS_DIR/public.crt, private.key,
//     CAs/ for client certificates), keys in DIR sealed under DIR/root.key,
//     identities and their allowed paths from the TOML policy file, one audit
//     JSON line per call (stdout or --audit-log).
//   coffer kms create|delete|rotate NAME, list [PATTERN], status
//     against a server (--server HOST:PORT --client-cert --client-key --ca) or
//     a local keys dir (--keys DIR: a `kms serve` keys dir, or the appliance's
//     in-process store DATA/kms whose root key is DATA/kms.key). A server
//     running on that dir (`coffer serve`, `coffer kms serve`) sees the change
//     at once when a call needs the key, and within a few seconds otherwise.
//   coffer kms prune NAME --keys DIR
//     destroys every version of NAME but the newest (after `coffer kms rewrap`);
//     what they sealed never opens again.
//   coffer kms identity CERT
//     prints the KES identity of a certificate (hex SHA-256 of its public key).

#include "kms_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "coffer/core/http.h"
#include "coffer/core/kms/kes_api.h"
#include "coffer/core/kms/local_key_service.h"
#include "coffer/posix/kes_client.h"
#include "coffer/posix/posix_env.h"
#include "coffer/server/http_server.h"
#include "coffer/server/tls.h"
#include "coffer/state/crypto.h"
#include "coffer/state/seal.h"

#include "kms_rewrap_command.h"
#include "options.h"
#include "repo_access.h"
#include "version.h"

namespace coffer::cli {
namespace {

constexpr std::string_view kRootPrefix = "coffer-kms-root-v1:";
// How soon a server sees keys changed by `coffer kms ... --keys` beside it
// (a key or version a call needs is read at once; this covers rotations,
// deletions and prunes).
constexpr std::chrono::seconds kStoreRefreshInterval{2};

int Fail(std::string_view verb, const base::Error& error) {
  std::fprintf(stderr, "coffer kms %.*s: %s\n", static_cast<int>(verb.size()), verb.data(),
               error.ToString().c_str());
  return 1;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool SplitHostPort(const std::string& in, std::string& host, std::uint16_t& port) {
  const auto colon = in.rfind(':');
  if (colon == std::string::npos || colon + 1 >= in.size()) return false;
  host = in.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  char* end = nullptr;
  const unsigned long p = std::strtoul(in.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p > 65535) return false;
  port = static_cast<std::uint16_t>(p);
  return true;
}

// The flags every client verb shares: where the key service is.
void AddServiceFlags(po::options_description& desc, KeyServiceConfig& c) {
  desc.add_options()("server", po::value(&c.address), "KES server HOST:PORT (remote mode)")(
      "client-cert", po::value(&c.client_cert_file), "client certificate (PEM) for --server")(
      "client-key", po::value(&c.client_key_file), "its private key (PEM)")(
      "ca", po::value(&c.ca_file), "CA (PEM) the server's certificate chains to")(
      "keys", po::value(&c.keys_dir), "local keys dir (local mode)")(
      "root-key", po::value(&c.root_key_file),
      "root key of --keys (default DIR/root.key, else DIR.key as `coffer serve` keeps it)")(
      "seal-key", po::value(&c.seal_key_file), "seal.key that opens a sealed root.key");
}

base::Result<std::string> SpkiIdentity(const std::string& cert_file) {
  std::optional<std::string> pem = ReadFile(cert_file);
  if (!pem) return base::NotFound("cannot read " + cert_file);
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return base::InvalidArgument(cert_file + " is not a PEM certificate");
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  X509_free(cert);
  if (len <= 0) return base::InvalidArgument(cert_file + ": no public key");
  std::string hex = state::Sha256Hex(
      nullptr, std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return hex;
}

// Calls store.Refresh() every `interval` on its own thread (a store on disk
// may be changed by `coffer kms ... --keys` while a server runs on it);
// failures go to `warn`. The destructor stops and joins the thread.
class StoreRefresher {
 public:
  StoreRefresher(core::kms::LocalKeyService& store, std::chrono::milliseconds interval,
                 std::function<void(const std::string&)> warn)
      : store_(store), interval_(interval), warn_(std::move(warn)) {
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
        lock.unlock();
        if (auto done = store_.Refresh(); !done.has_value()) warn_(done.error().message());
        lock.lock();
      }
    });
  }
  ~StoreRefresher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  StoreRefresher(const StoreRefresher&) = delete;
  StoreRefresher& operator=(const StoreRefresher&) = delete;

 private:
  core::kms::LocalKeyService& store_;
  std::chrono::milliseconds interval_;
  std::function<void(const std::string&)> warn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The in-process store of a long-running process (`coffer serve`), kept in
// step with its drive by a StoreRefresher; every call goes to the store.
class RefreshingKeyService final : public env::KeyService {
 public:
  RefreshingKeyService(std::unique_ptr<core::kms::LocalKeyService> store, env::Env& env)
      : store_(std::move(store)),
        refresher_(*store_, kStoreRefreshInterval, [&env](const std::string& error) {
          env.log().Warn("kms", "cannot re-read the key store", {{"error", error}});
        }) {}
  base::Status CreateKey(std::string_view name) override { return store_->CreateKey(name); }
  base::Status DeleteKey(std::string_view name) override { return store_->DeleteKey(name); }
  base::Result<std::vector<env::KeyInfo>> ListKeys(std::string_view pattern) override {
    return store_->ListKeys(pattern);
  }
  base::Result<env::DataKey> GenerateKey(std::string_view name, std::string_view context) override {
    return store_->GenerateKey(name, context);
  }
  base::Result<base::Secret> Decrypt(std::string_view name, std::string_view ciphertext,
                                     std::string_view context) override {
    return store_->Decrypt(name, ciphertext, context);
  }
  base::Result<std::string> Encrypt(std::string_view name, std::string_view plaintext,
                                    std::string_view context) override {
    return store_->Encrypt(name, plaintext, context);
  }
  base::Result<env::KeyInfo> RotateKey(std::string_view name) override {
    return store_->RotateKey(name);
  }
  base::Result<std::string> Rewrap(std::string_view name, std::string_view ciphertext,
                                   std::string_view context) override {
    return store_->Rewrap(name, ciphertext, context);
  }
  base::Result<env::KeyServiceStatus> Status() override { return store_->Status(); }

 private:
  std::unique_ptr<core::kms::LocalKeyService> store_;
  StoreRefresher refresher_;  // INVARIANT: after store_ (stops first).
};

struct ServeFlags {
  std::string address = "127.0.0.1:7373";
  std::string certs_dir;
  std::string keys_dir;
  std::string policy_file;
  std::string audit_log;
  std::string seal_key_file;
  std::string log_level = "info";
};

// Everything `kms serve` runs; torn down in reverse order.
int Serve(const ServeFlags& flags, env::LogLevel level) {
  boost::asio::io_context io;
  posix::PosixEnv env(io, level);
  auto& log = env.log();
  auto root = LoadKmsRootKey(flags.keys_dir + "/root.key", flags.seal_key_file, env.random(),
                             /*create=*/true);
  if (!root) return Fail("serve", root.error());
  auto store = core::kms::LocalKeyService::Open(
      env, {flags.keys_dir, *std::move(root), VersionLine(), "https://" + flags.address});
  if (!store) return Fail("serve", store.error());
  std::optional<std::string> policy_text = ReadFile(flags.policy_file);
  if (!policy_text) return Fail("serve", base::NotFound("cannot read " + flags.policy_file));
  auto policies = core::kms::KesPolicySet::Parse(*policy_text, flags.policy_file);
  if (!policies) return Fail("serve", policies.error());
  int audit_fd = 1;
  if (!flags.audit_log.empty()) {
    audit_fd = ::open(flags.audit_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (audit_fd < 0) return Fail("serve", base::Unavailable("cannot open " + flags.audit_log));
  }
  posix::FdLogSink audit(audit_fd);
  core::kms::KesApi api(
      env, **store, *policies, [&audit](std::string_view line) { audit.Write(line); },
      VersionLine());
  core::BufferedHandler handler(api, core::kms::KesApi::kBodyLimitBytes);
  if (!server::TlsContexts::Present(flags.certs_dir)) {
    return Fail("serve", base::FailedPrecondition("no public.crt/private.key in " +
                                                  flags.certs_dir + " (mTLS only)"));
  }
  server::TlsOptions tls_options;
  tls_options.certs_dir = flags.certs_dir;
  tls_options.client_auth = server::ClientAuth::kRequired;  // SECURITY: no certificate, no call.
  if (const char* pass = std::getenv("COFFER_CERT_PASSWD")) tls_options.key_passphrase = pass;
  auto tls = server::TlsContexts::Load(tls_options);
  if (!tls) return Fail("serve", tls.error());
  server::ServerOptions options;
  if (!SplitHostPort(flags.address, options.address, options.port)) {
    std::fprintf(stderr, "coffer kms serve: bad --address '%s'\n", flags.address.c_str());
    return 2;
  }
  options.tls = *tls;
  options.body_limit_bytes = core::kms::KesApi::kBodyLimitBytes;
  options.worker_threads = 4;
  auto server = server::HttpServer::Start(io, env, handler, options);
  if (!server) return Fail("serve", server.error());
  log.Info("kms", "listening",
           {{"address", options.address + ":" + std::to_string((*server)->port())},
            {"keys", flags.keys_dir},
            {"identities", std::to_string(policies->identity_count())}});
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    (*server)->Shutdown([&io] { io.stop(); });
  });
  // Re-reads the keys dir every few seconds (keys made with `coffer kms
  // create --keys` while this server runs); the report only logs trouble.
  StoreRefresher refresher(**store, kStoreRefreshInterval, [&log](const std::string& error) {
    log.Warn("kms", "cannot re-read the key store", {{"error", error}});
  });
  std::thread second([&io] { io.run(); });
  io.run();
  second.join();
  server->reset();
  if (audit_fd != 1) ::close(audit_fd);
  return 0;
}

int RunKmsServe(const Args& args) {
  ServeFlags flags;
  po::options_description desc("coffer kms serve");
  desc.add_options()("address", po::value(&flags.address)->default_value(flags.address),
                     "listen HOST:PORT")(
      "certs-dir", po::value(&flags.certs_dir)->required(),
      "public.crt, private.key and CAs/ (client certificates must chain to these)")(
      "keys", po::value(&flags.keys_dir)->required(), "keys dir (root.key, keys/, root.check)")(
      "policy", po::value(&flags.policy_file)->required(), "TOML policy file")(
      "audit-log", po::value(&flags.audit_log), "append audit lines here (default: stdout)")(
      "seal-key", po::value(&flags.seal_key_file), "seal.key that opens a sealed root.key")(
      "log-level", po::value(&flags.log_level)->default_value(flags.log_level),
      "debug|info|warn|error");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer kms serve", desc, args, vm)) return *exit;
  env::LogLevel level = env::LogLevel::kInfo;
  if (!env::ParseLogLevel(flags.log_level, level)) {
    std::fprintf(stderr, "coffer kms serve: bad --log-level '%s'\n", flags.log_level.c_str());
    return 2;
  }
  ::mkdir(flags.keys_dir.c_str(), 0700);
  return Serve(flags, level);
}

// One client verb: parse, open the key service, run `body`.
int RunClientVerb(const std::string& verb, const Args& args, bool needs_name,
                  const std::function<int(env::KeyService&, const std::string&)>& body) {
  KeyServiceConfig config;
  std::string name;
  po::options_description desc("coffer kms " + verb);
  AddServiceFlags(desc, config);
  desc.add_options()("name", po::value(&name), needs_name ? "key name" : "pattern (default *)");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer kms " + verb, desc, args, vm, "name")) return *exit;
  if (needs_name && name.empty()) {
    std::fprintf(stderr, "coffer kms %s: a key name is required\n", verb.c_str());
    return 2;
  }
  if (config.address.empty() && config.keys_dir.empty()) {
    std::fprintf(stderr,
                 "coffer kms %s: pass --server (with --client-cert, --client-key, --ca) "
                 "or --keys DIR\n",
                 verb.c_str());
    return 2;
  }
  if (config.root_key_file.empty()) {
    // `kms serve` keeps DIR/root.key; `coffer serve` keeps DATA/kms.key beside
    // DATA/kms. Only a store that has neither gets a new root key.
    struct stat st {};
    const std::string beside = config.keys_dir + ".key";
    const bool serve_layout = ::stat((config.keys_dir + "/root.key").c_str(), &st) != 0 &&
                              ::stat(beside.c_str(), &st) == 0;
    config.root_key_file = serve_layout ? beside : config.keys_dir + "/root.key";
  }
  config.create_root_key = verb == "create";
  config.refresh_store = false;  // One call and gone; prune needs the store itself.
  boost::asio::io_context io;
  posix::PosixEnv env(io, env::LogLevel::kWarn);
  auto service = OpenKeyService(config, env);
  if (!service) return Fail(verb, service.error());
  return body(**service, name);
}

int Identity(const Args& args) {
  if (args.size() != 1 || args[0] == "--help") {
    std::fprintf(stderr, "usage: coffer kms identity CERT.pem\n");
    return 2;
  }
  auto id = SpkiIdentity(args[0]);
  if (!id) return Fail("identity", id.error());
  std::printf("%s\n", id->c_str());
  return 0;
}

}  // namespace

base::Result<base::Secret> LoadKmsRootKey(const std::string& path, const std::string& seal_key_file,
                                          base::Random& random, bool create) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (!create) return base::NotFound("no root key at " + path);
    std::string key = random.Bytes(32);
    base::Secret secret(key);
    const bool written =
        WritePrivateFile(path, std::string(kRootPrefix) + state::Base64Encode(key) + "\n");
    std::fill(key.begin(), key.end(), '\0');
    if (!written) return base::Unavailable("cannot write " + path);
    return secret;
  }
  // SECURITY: a root key others may read is refused, as ssh refuses such keys.
  if ((st.st_mode & 077) != 0) {
    return base::FailedPrecondition(path + " must be readable by its owner only (chmod 600)");
  }
  std::optional<std::string> text = ReadFile(path);
  if (!text) return base::Unavailable("cannot read " + path);
  const std::string line = Trim(*std::move(text));
  if (line.starts_with("sealed:")) {
    if (seal_key_file.empty()) {
      return base::InvalidArgument(path + " is sealed: pass --seal-key (the appliance's seal.key)");
    }
    std::optional<std::string> seal_text = ReadFile(seal_key_file);
    if (!seal_text) return base::NotFound("cannot read " + seal_key_file);
    COFFER_ASSIGN_OR_RETURN(base::Secret seal_key, state::DecodeSealPrivateKey(*seal_text));
    COFFER_ASSIGN_OR_RETURN(base::Secret opened, state::Unseal(line, seal_key, random.LibCtx()));
    // A sealed root key is the same "coffer-kms-root-v1:" line, sealed.
    std::string inner = Trim(std::string(opened.Reveal()));
    if (!inner.starts_with(kRootPrefix)) return base::InvalidArgument(path + ": not a root key");
    std::optional<std::string> raw = state::Base64Decode(inner.substr(kRootPrefix.size()));
    std::fill(inner.begin(), inner.end(), '\0');
    if (!raw || raw->size() != 32) return base::InvalidArgument(path + ": not a root key");
    return base::Secret(*std::move(raw));
  }
  if (!line.starts_with(kRootPrefix)) return base::InvalidArgument(path + ": not a root key");
  std::optional<std::string> raw = state::Base64Decode(line.substr(kRootPrefix.size()));
  if (!raw || raw->size() != 32) return base::InvalidArgument(path + ": not a 32-byte root key");
  return base::Secret(*std::move(raw));
}

base::Result<std::unique_ptr<env::KeyService>> OpenKeyService(const KeyServiceConfig& config,
                                                              env::Env& env) {
  if (!config.address.empty()) {
    posix::KesClientOptions options;
    options.address = config.address;
    options.client_cert_file = config.client_cert_file;
    options.client_key_file = config.client_key_file;
    options.ca_file = config.ca_file;
    COFFER_ASSIGN_OR_RETURN(auto client, posix::KesClient::Create(options));
    return std::unique_ptr<env::KeyService>(std::move(client));
  }
  ::mkdir(config.keys_dir.c_str(), 0700);
  COFFER_ASSIGN_OR_RETURN(base::Secret root,
                          LoadKmsRootKey(config.root_key_file, config.seal_key_file, env.random(),
                                         config.create_root_key));
  COFFER_ASSIGN_OR_RETURN(
      auto store, core::kms::LocalKeyService::Open(
                      env, {config.keys_dir, std::move(root), VersionLine(), "in-process"}));
  if (config.refresh_store) {
    return std::unique_ptr<env::KeyService>(
        std::make_unique<RefreshingKeyService>(std::move(store), env));
  }
  return std::unique_ptr<env::KeyService>(std::move(store));
}

KeyServiceProbe::KeyServiceProbe(env::KeyService& service, Report report,
                                 std::chrono::milliseconds interval)
    : service_(service), report_(std::move(report)), interval_(interval) {
  ProbeOnce();  // The status is known before the appliance starts serving.
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      ProbeOnce();
      lock.lock();
    }
  });
}

KeyServiceProbe::~KeyServiceProbe() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void KeyServiceProbe::ProbeOnce() {
  auto status = service_.Status();
  if (!status.has_value()) {
    report_(false, status.error().message());
  } else if (!status->ready) {
    report_(false, "key service at " + status->endpoint + " reports its store down");
  } else {
    report_(true, "");
  }
}

int RunKms(const Args& args) {
  static constexpr char kUsage[] =
      "usage: coffer kms serve|create|delete|list|rotate|rewrap|prune|status|identity "
      "[options]\n";
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& verb = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (verb == "serve") return RunKmsServe(rest);
  if (verb == "identity") return Identity(rest);
  if (verb == "rewrap") return RunKmsRewrap(rest);  // kms_rewrap_command.cc (owner: sse)
  if (verb == "create" || verb == "delete" || verb == "rotate") {
    return RunClientVerb(verb, rest, true, [&verb](env::KeyService& ks, const std::string& name) {
      if (verb == "rotate") {
        auto info = ks.RotateKey(name);
        if (!info) return Fail(verb, info.error());
        std::printf("%s: version %u\n", info->name.c_str(), info->latest_version);
        return 0;
      }
      auto done = verb == "create" ? ks.CreateKey(name) : ks.DeleteKey(name);
      if (!done) return Fail(verb, done.error());
      std::printf("%s: %s\n", name.c_str(), verb == "create" ? "created" : "deleted");
      return 0;
    });
  }
  if (verb == "prune") {
    return RunClientVerb(verb, rest, true, [](env::KeyService& ks, const std::string& name) {
      auto* local = dynamic_cast<core::kms::LocalKeyService*>(&ks);
      if (local == nullptr) {
        std::fprintf(stderr,
                     "coffer kms prune: works on a keys dir (--keys DIR), on the key service's "
                     "host; KES's API has no such call\n");
        return 2;
      }
      auto info = local->PruneOldVersions(name);
      if (!info) return Fail("prune", info.error());
      std::printf("%s: versions before %u destroyed\n", info->name.c_str(), info->latest_version);
      return 0;
    });
  }
  if (verb == "list") {
    return RunClientVerb(verb, rest, false, [](env::KeyService& ks, const std::string& pattern) {
      auto keys = ks.ListKeys(pattern.empty() ? "*" : pattern);
      if (!keys) return Fail("list", keys.error());
      for (const auto& k : *keys) std::printf("%s\t%u\n", k.name.c_str(), k.latest_version);
      return 0;
    });
  }
  if (verb == "status") {
    return RunClientVerb(verb, rest, false, [](env::KeyService& ks, const std::string&) {
      auto status = ks.Status();
      if (!status) return Fail("status", status.error());
      std::printf("endpoint: %s\nversion:  %s\nstate:    %s\n", status->endpoint.c_str(),
                  status->version.c_str(), status->ready ? "ready" : "down");
      return status->ready ? 0 : 1;
    });
  }
  if (verb == "--help" || verb == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "coffer kms: unknown verb '%s'\n%s", verb.c_str(), kUsage);
  return 2;
}

}  // namespace coffer::cli
