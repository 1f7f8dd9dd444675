// `coffer serve`: binds the production seams, opens the drives, loads the
// desired state and runs the HTTP shell until SIGINT or SIGTERM, then drains.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>  // memcpy: the console OIDC login's in-process STS body.
#include <fstream>
#include <functional>
#include <optional>
#include <span>  // The console OIDC login's in-process STS body.
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "coffer/base/planted.h"
#include "coffer/base/secret.h"
#include "coffer/core/admin/admin_api.h"
#include "coffer/core/audit/audit_handler.h"
#include "coffer/core/audit/audited_key_service.h"
#include "coffer/core/audit/entry.h"
#include "coffer/core/audit/metrics.h"
#include "coffer/core/audit/metrics_access.h"
#include "coffer/core/auth/canonical.h"  // UriEncode: the console OIDC login's STS form.
#include "coffer/core/console/admin_backend.h"
#include "coffer/core/console/console.h"
#include "coffer/core/console/oidc_client.h"
#include "coffer/core/health.h"
#include "coffer/core/reconcile/bucket_sync.h"
#include "coffer/core/router.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/s3/store_runtime.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/core/sts/ldap_authenticator.h"
#include "coffer/core/sts/oidc.h"
#include "coffer/core/sts/store_sessions.h"
#include "coffer/core/sts/sts_api.h"
#include "coffer/posix/audit_peers.h"
#include "coffer/posix/https_fetch.h"
#include "coffer/posix/ldap_directory.h"
#include "coffer/posix/posix_env.h"
#include "coffer/server/http_server.h"
#include "coffer/server/tls.h"
#include "coffer/state/snapshot.h"

#include "config_watch.h"
#include "data_layout.h"
#include "dir_config_repo.h"
#include "kms_command.h"
#include "options.h"
#include "repo_access.h"
#include "version.h"

namespace coffer::cli {
namespace {

// The console's OIDC login mints its STS session through the STS API itself
// (AssumeRoleWithWebIdentity, in process): same verifier, claim mapping,
// limits, recorder and sealed token as a client's call, so revocation and
// expiry apply. These carry that one request and its answer in memory.
class ConsoleOidcStsBody final : public core::BodyReader {
 public:
  explicit ConsoleOidcStsBody(const std::string& body) : body_(body) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    const std::size_t n = std::min(out.size(), body_.size() - offset_);
    std::memcpy(out.data(), body_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  std::optional<std::uint64_t> content_length() const override { return body_.size(); }

 private:
  const std::string& body_;
  std::size_t offset_ = 0;
};

class ConsoleOidcStsAnswer final : public core::ResponseWriter {
 public:
  base::Status Start(unsigned status, const core::HeaderList&,
                     std::optional<std::uint64_t>) override {
    status_ = status;
    started_ = true;
    return base::Ok();
  }
  base::Status Write(std::span<const std::byte> data) override {
    body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return base::Ok();
  }
  base::Status Finish() override { return base::Ok(); }
  bool started() const override { return started_; }
  unsigned status() const { return status_; }
  // The text of the first <tag> element, XML entities decoded; "" when absent.
  std::string Element(std::string_view tag) const {
    const std::string open = "<" + std::string(tag) + ">";
    const std::string close = "</" + std::string(tag) + ">";
    const auto from = body_.find(open);
    if (from == std::string::npos) return "";
    const auto to = body_.find(close, from + open.size());
    if (to == std::string::npos) return "";
    std::string text = body_.substr(from + open.size(), to - from - open.size());
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '&') {
        out += text[i];
        continue;
      }
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool matched = false;
      for (const auto& [entity, c] : kEntities) {
        if (std::string_view(text).substr(i).starts_with(entity)) {
          out += c;
          i += entity.size() - 1;
          matched = true;
          break;
        }
      }
      if (!matched) out += '&';
    }
    base::Secret wipe(std::move(text));
    return out;
  }
  ~ConsoleOidcStsAnswer() override { base::Secret wipe(std::move(body_)); }

 private:
  unsigned status_ = 0;
  bool started_ = false;
  std::string body_;
};

struct ServeFlags {
  std::string config;
  std::string data = "./coffer-data";
  std::string address = "127.0.0.1:9000";
  std::string plain_address;  // A plain-HTTP listener beside TLS, only when asked for.
  std::string certs_dir;
  std::string client_cert = "none";
  bool require_tls = false;
  unsigned certs_reload_s = 2;
  unsigned reconcile_s = 10;
  std::string log_level = "info";
  unsigned threads = 0;
  // STS: the longest session, plain-HTTP STS for dev/test, and (COFFER_TESTING
  // builds only) a shorter minimum for expiry tests.
  unsigned sts_max_duration_s = 12 * 3600;
  bool sts_allow_plain_http = false;
  unsigned sts_min_duration_s = 900;
  // The web console: off switch, idle and absolute session limits, sessions held.
  bool console_off = false;
  unsigned console_idle_timeout_s = 15 * 60;
  unsigned console_session_lifetime_s = 12 * 3600;
  unsigned console_max_sessions = 1000;
};

// --plant BUG[,BUG] (COFFER_TESTING builds only): the simulator's planted bugs, switched on in
// a real serve so that `coffer conform` can show it catches them. Returns false on an unknown
// name.
bool ParsePlantedBugs(std::string_view list, unsigned& mask) {
  using base::PlantedBug;
  const std::pair<const char*, PlantedBug> names[] = {
      {"skip-presign-expiry", PlantedBug::kSkipPresignExpiry},
      {"skip-session-expiry", PlantedBug::kSkipSessionExpiry},
      {"allow-overrides-deny", PlantedBug::kAllowOverridesDeny},
      {"skip-bitrot-check", PlantedBug::kSkipBitrotCheck},
      {"ack-before-audit-durable", PlantedBug::kAckBeforeAuditDurable}};
  mask = 0;
  while (!list.empty()) {
    const std::string_view name = list.substr(0, list.find(','));
    bool known = false;
    for (const auto& [text, bug] : names) {
      if (name == text) {
        mask |= static_cast<unsigned>(bug);
        known = true;
      }
    }
    if (!known) return false;
    list.remove_prefix(std::min(list.size(), name.size() + 1));
  }
  return true;
}

std::string DefaultCertsDir() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.coffer/certs";
}

// Splits "host:port" or "[v6]:port". Returns false on a malformed address.
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

// The embedded default: ./fixtures/quickstart when run from a checkout, else
// the quickstart of the source tree the binary was built from.
std::string DefaultConfigDir() {
  struct stat st {};
  if (::stat("fixtures/quickstart", &st) == 0 && S_ISDIR(st.st_mode)) {
    return "fixtures/quickstart";
  }
  return SourceDir() + "/fixtures/quickstart";
}

// A settings list value (a JSON array of strings); empty when malformed.
std::vector<std::string> ParseJsonStringList(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!json.is_array()) return out;
  for (const auto& v : json) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

struct RootCredentials {
  std::string user;
  base::Secret password;
  bool generated = false;
};

constexpr char kUpperAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr char kSecretChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// `n` characters drawn uniformly from `alphabet` (a NUL-terminated array).
template <std::size_t N>
std::string RandomString(base::Random& random, std::size_t n, const char (&alphabet)[N]) {
  std::string out(n, '\0');
  for (char& c : out) c = alphabet[random.Uniform(0, N - 2)];
  return out;
}

// The lines of a 0600 file under the data folder; when the file is missing,
// `make` produces them and they are written with WritePrivateFile (O_EXCL,
// 0600, fsync). Returns the lines and whether they were just made.
base::Result<std::pair<std::vector<std::string>, bool>> LoadOrCreateSecretFile(
    const std::string& path, const std::function<std::vector<std::string>()>& make) {
  if (std::optional<std::string> text = ReadFile(path)) {
    std::vector<std::string> lines;
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return std::make_pair(std::move(lines), false);
  }
  std::vector<std::string> lines = make();
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  if (!WritePrivateFile(path, text)) return base::Unavailable("cannot write " + path);
  return std::make_pair(std::move(lines), true);
}

// Root credentials come from COFFER_ROOT_USER / COFFER_ROOT_PASSWORD (as
// MinIO's MINIO_ROOT_USER / MINIO_ROOT_PASSWORD), else from the file made the
// first time, else they are generated, stored with mode 0600, and printed once.
base::Result<RootCredentials> LoadRootCredentials(const std::string& data_dir,
                                                  base::Random& random) {
  const char* env_user = std::getenv("COFFER_ROOT_USER");
  const char* env_pass = std::getenv("COFFER_ROOT_PASSWORD");
  if ((env_user != nullptr) != (env_pass != nullptr)) {
    return base::InvalidArgument("set both COFFER_ROOT_USER and COFFER_ROOT_PASSWORD, or neither");
  }
  RootCredentials creds;
  if (env_user != nullptr) {
    creds.user = env_user;
    creds.password = base::Secret(env_pass);
  } else {
    COFFER_ASSIGN_OR_RETURN(
        auto file, LoadOrCreateSecretFile(data_dir + "/root.credentials", [&random] {
          return std::vector<std::string>{RandomString(random, 20, kUpperAlnum),
                                          RandomString(random, 40, kSecretChars)};
        }));
    if (file.first.size() < 2) return base::InvalidArgument("root.credentials: want 2 lines");
    creds.user = file.first[0];
    creds.password = base::Secret(file.first[1]);
    creds.generated = file.second;
  }
  if (creds.user.size() < 3) return base::InvalidArgument("root user must be >= 3 characters");
  if (creds.password.size() < 8) {
    return base::InvalidArgument("root password must be >= 8 characters");
  }
  return creds;
}

// Makes the root credentials visible to the config repo's env: references
// (the quickstart's [appliance.root] points at them).
void ExportRootCredentials(const RootCredentials& root) {
  ::setenv("COFFER_ROOT_USER", root.user.c_str(), 1);
  ::setenv("COFFER_ROOT_PASSWORD", std::string(root.password.Reveal()).c_str(), 1);
}

// The embedded quickstart's example viewer needs COFFER_VIEWER_SECRET. When it
// is unset, serve makes one once (0600 file in the data folder) and prints it
// once, as it does for the root credentials.
base::Status EnsureViewerSecret(const std::string& data_dir, base::Random& random) {
  if (std::getenv("COFFER_VIEWER_SECRET") != nullptr) return base::Ok();
  const std::string path = data_dir + "/viewer.secret";
  COFFER_ASSIGN_OR_RETURN(auto file, LoadOrCreateSecretFile(path, [&random] {
                            return std::vector<std::string>{RandomString(random, 32, kSecretChars)};
                          }));
  if (file.first.empty()) return base::InvalidArgument(path + ": empty");
  if (file.second) {
    std::printf("Quickstart user 'viewer' (readonly) secret: %s\n(stored in %s)\n",
                file.first[0].c_str(), path.c_str());
    std::fflush(stdout);
  }
  ::setenv("COFFER_VIEWER_SECRET", file.first[0].c_str(), 1);
  return base::Ok();
}

// Everything `serve` runs, in the order it is built and the reverse order it
// is torn down.
class Appliance {
 public:
  Appliance(const ServeFlags& flags, env::LogLevel level) : flags_(flags), env_(io_, level) {}

  int Run() {
    if (int rc = OpenData(); rc != 0) return rc;
    if (int rc = SetUpTls(); rc != 0) return rc;
    if (int rc = Listen(); rc != 0) return rc;
    WatchSignals();
    WatchCertificates();
    ScheduleReconcile();
    WatchConfig();
    WatchStoreWrites();
    const unsigned threads =
        flags_.threads != 0 ? flags_.threads : std::max(2u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : pool) t.join();
    servers_.clear();  // Joins the workers before anything they use goes away.
    env_.log().Info("serve", "stopped");
    return 0;
  }

 private:
  int OpenData() {
    auto& log = env_.log();
    log.Info("serve", "starting",
             {{"version", VersionLine()}, {"data", flags_.data}, {"config", flags_.config}});
    if (::mkdir(flags_.data.c_str(), 0750) != 0 && errno != EEXIST) {
      log.Error("serve", "cannot create data folder", {{"path", flags_.data}});
      return 1;
    }
    auto root = LoadRootCredentials(flags_.data, env_.random());
    if (!root) {
      log.Error("serve", "root credentials", {{"error", root.error().message()}});
      return 1;
    }
    if (root->generated) {
      // Shown once, as MinIO does for generated credentials; the file keeps them.
      std::printf("Root user:     %s\nRoot password: %.*s\n(stored in %s/root.credentials)\n",
                  root->user.c_str(), static_cast<int>(root->password.size()),
                  root->password.Reveal().data(), flags_.data.c_str());
      std::fflush(stdout);
    }
    ExportRootCredentials(*root);
    if (flags_.config == DefaultConfigDir()) {
      if (auto viewer = EnsureViewerSecret(flags_.data, env_.random()); !viewer.has_value()) {
        log.Error("serve", "quickstart viewer secret", {{"error", viewer.error().message()}});
        return 1;
      }
    }
    if (int rc = OpenErasureSet(); rc != 0) return rc;
    if (int rc = OpenIamStore(); rc != 0) return rc;
    if (int rc = OpenS3(*root); rc != 0) return rc;
    return OpenAudit(*root);
  }

  // The S3 API over the erasure set, reading the IAM snapshot the reconciler
  // swaps in. Region and virtual-host domains come from the config repo's
  // [appliance] table as it is at start (a change needs a restart).
  int OpenS3(const RootCredentials& root) {
    core::s3::S3ApiOptions options;
    if (auto snapshot = reconciler_->live().Current()) {
      if (const auto* appliance = snapshot->FindSettings("appliance", "appliance")) {
        if (auto it = appliance->fields.find("region"); it != appliance->fields.end()) {
          options.region = it->second;
        }
        if (auto it = appliance->fields.find("domains"); it != appliance->fields.end()) {
          options.domains = ParseJsonStringList(it->second);
        }
        if (auto it = appliance->fields.find("trusted_proxies"); it != appliance->fields.end()) {
          options.trusted_proxies = ParseJsonStringList(it->second);
        }
        if (auto it = appliance->fields.find("allow_sigv2"); it != appliance->fields.end()) {
          options.allow_sigv2 = it->second == "true";  // Legacy clients only; off by default.
        }
      }
    }
    // Server-side encryption (issue 9) through the key service opened above.
    options.key_service = key_service_.get();
    if (!sse_master_key_.empty()) options.sse_master_key = sse_master_key_;
    s3_region_ = options.region;  // For SigV4 on /metrics (OpenAudit).
    trusted_proxies_ = options.trusted_proxies;
    runtime_ = std::make_unique<core::s3::StoreRuntime>(reconciler_->live(), env_.clock());
    if (int rc = OpenSts(root, options); rc != 0) return rc;
    // The admin API verifies signatures exactly as S3 (same keys, region).
    core::admin::AdminApiOptions admin_options;
    admin_options.region = options.region;
    admin_options.trusted_proxies = options.trusted_proxies;
    admin_options.session_tokens = options.session_tokens;  // STS sessions on the admin API.
    // What the read endpoints read (WireAdminSources).
    WireAdminSources(admin_options);
    auto admin = core::admin::AdminApi::Create(
        env_, [this] { return reconciler_->live().Current(); }, *runtime_,
        core::s3::RootCredential{root.user, root.password}, std::move(admin_options));
    if (!admin) {
      env_.log().Error("serve", "cannot start the admin API", {{"error", admin.error().message()}});
      return 1;
    }
    core::admin::AdminApi& admin_api = *admin.value();
    routes_.AddRoute(
        "admin", [](const core::HttpRequest& r) { return core::admin::AdminApi::Owns(r.target); },
        std::move(admin).value());
    OpenConsole(admin_api, options.domains);
    auto s3 = core::s3::S3Api::Create(
        env_, *objects_, [this] { return reconciler_->live().Current(); }, *runtime_,
        core::s3::RootCredential{root.user, root.password}, std::move(options));
    if (!s3) {
      env_.log().Error("serve", "cannot start the S3 API", {{"error", s3.error().message()}});
      return 1;
    }
    routes_.SetFallback(std::move(s3).value());
    return 0;
  }

  // The web console (issue #16) under /console on the same listeners (TLS
  // when TLS is on): its assets are compiled in; everything it shows comes
  // from the admin API served as the logged-in caller.
  void OpenConsole(core::admin::AdminApi& admin_api, std::vector<std::string> domains) {
    if (flags_.console_off) return;
    console_backend_ = core::console::NewAdminBackend(admin_api);
    core::console::ConsoleOptions options;
    options.idle_timeout = std::chrono::seconds(flags_.console_idle_timeout_s);
    options.absolute_timeout = std::chrono::seconds(flags_.console_session_lifetime_s);
    options.max_sessions = flags_.console_max_sessions;
    options.assets = core::console::EmbeddedAssets();
    OpenConsoleOidc(options);
    routes_.AddRoute(
        "console",
        [domains = std::move(domains)](const core::HttpRequest& r) {
          return core::console::ConsoleHandler::OwnsRequest(r, domains);
        },
        std::make_unique<core::console::ConsoleHandler>(env_, *console_backend_,
                                                        std::move(options)));
  }

  // The console's OIDC login (authorization code + PKCE): providers from the
  // snapshot's [identity.oidc.NAME] tables with a redirect_uri, the code
  // redeemed through the STS fetcher (same CA trust), the ID token turned into
  // a web-identity STS session by the STS API itself.
  void OpenConsoleOidc(core::console::ConsoleOptions& options) {
    if (oidc_fetcher_ == nullptr || sts_api_ == nullptr) return;
    auto assume =
        [this](const base::Secret& id_token,
               std::string_view role_arn) -> base::Result<core::console::WebIdentityCredentials> {
      const std::string form = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                               core::auth::UriEncode(role_arn, false) + "&WebIdentityToken=" +
                               core::auth::UriEncode(id_token.Reveal(), false);
      base::Secret wipe_form(form);
      core::HttpRequest request;
      request.method = "POST";
      request.target = "/";
      request.headers = {{"content-type", "application/x-www-form-urlencoded"},
                         {"content-length", std::to_string(form.size())},
                         {"host", "127.0.0.1"}};
      request.remote_address = "127.0.0.1:0";
      request.secure = true;  // In process: the credentials never travel.
      request.request_id = "console-oidc";
      ConsoleOidcStsBody body(form);
      ConsoleOidcStsAnswer answer;
      sts_api_->Serve(request, body, answer);
      if (answer.status() != 200) {
        const std::string code = answer.Element("Code");
        const std::string why = "AssumeRoleWithWebIdentity: " + code;
        if (answer.status() >= 500) return base::Unavailable(why);
        if (code == "AccessDenied") return base::PermissionDenied(why);
        return base::Unauthenticated(why);
      }
      core::console::WebIdentityCredentials credentials;
      credentials.access_key = answer.Element("AccessKeyId");
      credentials.secret_key = base::Secret(answer.Element("SecretAccessKey"));
      credentials.session_token = base::Secret(answer.Element("SessionToken"));
      if (credentials.access_key.empty() || credentials.secret_key.empty()) {
        return base::Internal("AssumeRoleWithWebIdentity answered without credentials");
      }
      return credentials;
    };
    console_oidc_ = std::make_unique<core::console::OidcClient>(
        [this] { return reconciler_->live().Current(); }, [this] { return env_.clock().Now(); },
        *oidc_fetcher_, std::move(assume), *console_backend_);
    options.oidc_providers = [client = console_oidc_.get()] { return client->Providers(); };
    options.oidc_exchange = [client = console_oidc_.get()](const core::console::OidcCode& code) {
      return client->Exchange(code);
    };
  }

  // What the admin API's read endpoints read (issue #14): the IAM store,
  // a config repo instance of their own (reconcile keeps its own), the key
  // service, the drives, and the recent audit entries (fed by OpenAudit).
  void WireAdminSources(core::admin::AdminApiOptions& options) {
    admin_repo_ = std::make_unique<DirConfigRepo>(flags_.config, flags_.data, env_.random());
    core::admin::AdminSources& sources = options.sources;
    sources.live = &reconciler_->live();
    sources.repo = admin_repo_.get();
    sources.key_service = key_service_.get();
    if (!sse_master_key_.empty()) sources.default_key = sse_master_key_;
    sources.server_info = [this, started = env_.clock().Now()] {
      core::admin::ServerInfo info;
      info.version = VersionLine();
      info.tls = tls_ != nullptr;
      info.started_at = started;
      for (const auto& d : objects_->Drives()) {
        info.drives.push_back({d.location, d.state == core::storage::DriveState::kOk});
      }
      info.data_shards = objects_->data_shards();
      info.parity_shards = objects_->parity_shards();
      info.sets = 1;
      // As OpenKeyService chose: a KES address, else the in-process store.
      info.key_service = "in-process";
      if (auto snapshot = reconciler_->live().Current()) {
        if (const auto* ks = snapshot->FindSettings("key_service", "key_service")) {
          auto it = ks->fields.find("address");
          if (it != ks->fields.end() && !it->second.empty() && it->second != "in-process") {
            info.key_service = "kes";
          }
        }
      }
      return info;
    };
    sources.audit_stats = [this] {
      return audit_ != nullptr ? audit_->Stats() : std::vector<core::audit::TargetStats>{};
    };
    sources.bucket_names = [this] {
      std::vector<std::string> names;
      if (auto buckets = objects_->ListBuckets(); buckets.has_value()) {
        for (const auto& b : *buckets) names.push_back(b.name);
      }
      return names;
    };
    options.recent_audit = recent_audit_;
  }

  // AssumeRoleWithWebIdentity/ClientGrants: discovery and JWKS fetched over
  // HTTPS trusting the certs dir's CAs/; a jwks_file is read from the config
  // repo (relative paths) at most 256 KiB. Returns null when the fetcher
  // cannot be built (web identity then answers "not configured").
  core::sts::WebIdentityVerifier* OpenOidc() {
    auto fetcher = posix::MakeHttpsFetcher({flags_.certs_dir, "", true});
    if (!fetcher) {
      env_.log().Error("serve", "OIDC disabled", {{"error", fetcher.error().message()}});
      return nullptr;
    }
    oidc_fetcher_ = std::move(fetcher).value();
    core::sts::OidcOptions options;
    options.libctx = env_.random().LibCtx();
    options.fetcher = oidc_fetcher_.get();
    options.read_config_file =
        [dir = flags_.config](std::string_view path) -> base::Result<std::string> {
      const std::string full =
          !path.empty() && path.front() == '/' ? std::string(path) : dir + "/" + std::string(path);
      std::ifstream in(full, std::ios::binary);
      if (!in) return base::NotFound("jwks_file " + std::string(path) + " not readable");
      std::string bytes(256 * 1024 + 1, '\0');
      in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      bytes.resize(static_cast<std::size_t>(in.gcount()));
      if (bytes.size() > 256 * 1024) return base::InvalidArgument("jwks_file too large");
      return bytes;
    };
    oidc_ = std::make_unique<core::sts::OidcVerifier>(std::move(options));
    return oidc_.get();
  }

  // AssumeRoleWithLDAPIdentity against the [identity.ldap.*] directories of
  // the current snapshot: one libldap connection per login, trusting the
  // certs dir's CAs/ unless a directory names its own ca_file.
  core::sts::LdapAuthenticator* OpenLdap() {
    ldap_directory_ = posix::NewLdapDirectory({flags_.certs_dir + "/CAs"});
    ldap_authenticator_ =
        std::make_unique<core::sts::DirectoryLdapAuthenticator>(*ldap_directory_, &env_.log());
    return ldap_authenticator_.get();
  }

  // STS on POST / (and ?Action= queries): session tokens sealed under a key
  // derived from the store's master key, which the S3 API opens on every
  // request with session credentials.
  int OpenSts(const RootCredentials& root, core::s3::S3ApiOptions& s3_options) {
    auto codec = core::sts::SessionTokenCodec::Create(reconciler_->live().master_key(),
                                                      env_.random().LibCtx());
    if (!codec) {
      env_.log().Error("serve", "cannot start STS", {{"error", codec.error().message()}});
      return 1;
    }
    std::shared_ptr<const core::sts::SessionTokenCodec> tokens = std::move(codec).value();
    s3_options.session_tokens = tokens;
    core::sts::StsApiOptions sts_options;
    sts_options.region = s3_options.region;
    sts_options.trusted_proxies = s3_options.trusted_proxies;
    sts_options.duration_max = std::chrono::seconds(flags_.sts_max_duration_s);
    sts_options.allow_plain_http = flags_.sts_allow_plain_http;
    // LDAP binds and OIDC fetches block a worker: leave at least one worker
    // free for S3 whatever the identity providers do.
    const unsigned sts_workers =
        flags_.threads != 0 ? flags_.threads : std::max(2u, std::thread::hardware_concurrency());
    sts_options.max_concurrent_identity_calls = std::max(1u, sts_workers - 1);
#if defined(COFFER_TESTING)
    sts_options.duration_min = std::chrono::seconds(flags_.sts_min_duration_s);
#endif
    if (sts_options.duration_min <= sts_options.duration_max) {
      sts_options.duration_default = std::clamp(sts_options.duration_default,
                                                sts_options.duration_min, sts_options.duration_max);
    }
    sts_recorder_ = std::make_unique<core::sts::StoreSessionRecorder>(reconciler_->live(),
                                                                      env_.clock(), env_.random());
    auto sts = core::sts::StsApi::Create(
        env_, [this] { return reconciler_->live().Current(); }, *sts_recorder_,
        core::s3::RootCredential{root.user, root.password}, std::move(tokens),
        std::move(sts_options), OpenOidc(), OpenLdap());
    if (!sts) {
      env_.log().Error("serve", "cannot start STS", {{"error", sts.error().message()}});
      return 1;
    }
    sts_api_ = sts.value().get();  // The console's OIDC login mints through it.
    routes_.AddRoute("sts", &core::sts::StsApi::Owns, std::move(sts).value());
    return 0;
  }

  // Makes every bucket the config repo declares exist on the drives, with the
  // versioning it asks for (versioning cannot be turned off once on: a repo
  // that says false suspends it).
  void SyncRepoBuckets() {
    if (auto snapshot = reconciler_->live().Current()) {
      core::reconcile::SyncBuckets(*snapshot, *objects_, env_.log());
    }
  }

  // A new data folder (no IAM store yet, no drive folder) gets its drive
  // folders. After that the storage engine treats a missing drive folder as an
  // offline drive (an unmounted disk) and never makes it.
  void MakeFirstDriveFolders(const std::vector<std::string>& drives) {
    struct stat st {};
    if (::stat(StorePath(flags_.data).c_str(), &st) == 0) return;
    for (const std::string& d : drives) {
      if (::stat(d.c_str(), &st) == 0) return;
    }
    for (const std::string& d : drives) (void)::mkdir(d.c_str(), 0750);
  }

  // The data plane: four drive folders as one 2+2 erasure set. Fewer drives
  // than the data count stop the daemon; any missing drive marks it degraded.
  int OpenErasureSet() {
    core::storage::ErasureSetOptions options;
    options.drive_locations = DriveFolders(flags_.data, kDefaultDriveCount);
    MakeFirstDriveFolders(options.drive_locations);
    auto set = core::storage::ErasureSet::Open(env_, options);
    if (!set) {
      env_.log().Error("serve", "cannot open the drives", {{"error", set.error().message()}});
      return 1;
    }
    objects_ = std::move(set).value();
    int ok = 0;
    for (const auto& d : objects_->Drives()) {
      if (d.state == core::storage::DriveState::kOk) {
        ++ok;
      } else {
        env_.log().Warn("serve", "drive not in service", {{"drive", d.location}});
      }
    }
    health_.Set(
        "drives", ok == kDefaultDriveCount,
        std::to_string(ok) + " of " + std::to_string(kDefaultDriveCount) + " drives online");
    return 0;
  }

  // The IAM store under the data folder, reconciled from the config repo now
  // and then on a jittered interval.
  int OpenIamStore() {
    config_repo_ = std::make_unique<DirConfigRepo>(flags_.config, flags_.data, env_.random());
    auto reconciler =
        OpenReconciler(*config_repo_, StorePath(flags_.data), flags_.data, env_, health_);
    if (!reconciler) {
      env_.log().Error("serve", "cannot open the IAM store",
                       {{"error", reconciler.error().message()}});
      return 1;
    }
    reconciler_ = std::move(reconciler).value();
    reconciler_->Pass();
    SyncRepoBuckets();
    return OpenKeyService();
  }

  // The key service (issue 9): a KES-compatible server when the repo's
  // [key_service] names an address, else the in-process store in DATA/kms
  // sealed under DATA/kms.key (address "in-process" says so explicitly).
  // Its state is reported by /health/ready without gating readiness: plain
  // requests work while it is down, SSE requests fail with 503.
  int OpenKeyService() {
    KeyServiceConfig config;
    config.keys_dir = flags_.data + "/kms";
    config.root_key_file = flags_.data + "/kms.key";
    std::vector<std::string> create_keys;
    if (auto snapshot = reconciler_->live().Current()) {
      if (const auto* ks = snapshot->FindSettings("key_service", "key_service")) {
        auto field = [ks](const char* k) {
          auto it = ks->fields.find(k);
          return it == ks->fields.end() ? std::string() : it->second;
        };
        auto file = [&](const char* k) {  // Relative paths are relative to the repo.
          std::string f = field(k);
          return f.empty() || f[0] == '/' ? f : flags_.config + "/" + f;
        };
        if (field("address") != "in-process") config.address = field("address");
        config.client_cert_file = file("client_cert_file");
        config.client_key_file = file("client_key_file");
        config.ca_file = file("ca_file");
        create_keys = ParseJsonStringList(field("create_keys"));
        if (!field("default_key").empty()) create_keys.push_back(field("default_key"));
        sse_master_key_ = field("default_key");  // The SSE-S3 master key (README).
      }
    }
    auto service = cli::OpenKeyService(config, env_);
    if (!service) {
      env_.log().Error("serve", "cannot open the key service",
                       {{"error", service.error().message()}});
      return 1;
    }
    // Key operations are an audit source (issue #11); those made before the
    // audit targets open (create_keys below) are recorded when they do.
    auto audited = std::make_unique<core::audit::AuditedKeyService>(
        std::move(service).value(), env_, "coffer-serve",
        config.address.empty() ? "in-process" : config.address);
    audited_keys_ = audited.get();
    key_service_ = std::move(audited);
    for (const std::string& name : create_keys) {
      auto made = key_service_->CreateKey(name);
      if (!made && made.error().code() != base::ErrorCode::kAlreadyExists) {
        env_.log().Warn("serve", "cannot create key-service key",
                        {{"key", name}, {"error", made.error().message()}});
      }
    }
    key_probe_ = std::make_unique<KeyServiceProbe>(
        *key_service_,
        [this](bool ready, const std::string& reason) {
          health_.Set("key_service", ready, reason, /*gate_readiness=*/false);
        },
        std::chrono::seconds(2));
    return 0;
  }

  // Reconcile passes run on reconcile_strand_: the timer and the config
  // watcher both schedule them there, so two passes never overlap.
  void ScheduleReconcile(std::optional<std::chrono::milliseconds> soon = std::nullopt) {
    if (stopping_) return;
    // Jitter +-20% so a fleet reconciling one repo does not pull in lockstep.
    const auto base_ms = std::int64_t{flags_.reconcile_s} * 1000;
    const auto jitter = static_cast<std::int64_t>(
        env_.random().Uniform(0, static_cast<std::uint64_t>(base_ms * 2 / 5)));
    // Re-arming cancels the pending wait, whose handler then does nothing.
    reconcile_timer_.expires_after(soon ? *soon
                                        : std::chrono::milliseconds(base_ms * 4 / 5 + jitter));
    reconcile_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      reconciler_->Pass();
      SyncRepoBuckets();
      ReconcileAudit();
      ScheduleReconcile();
    });
  }

  // inotify on the repo: a commit is reconciled ~half a second after it lands
  // (debounced: a checkout touches many files). Without inotify the timer alone
  // converges.
  void WatchConfig() {
    auto watch =
        ConfigWatch::Start(reconcile_strand_, flags_.config, std::chrono::milliseconds(500),
                           [this] { ScheduleReconcile(std::chrono::milliseconds(0)); });
    if (!watch) {
      env_.log().Warn("serve", "not watching the config repo; reconciling on the timer only",
                      {{"error", watch.error().message()}});
      return;
    }
    config_watch_ = std::move(watch).value();
  }

  // The audit trail (issue #11): targets from the config repo, each with a
  // durable spool under DATA/audit/, every request through the auditing
  // handler, changes applied from the repo drained from the store's outbox,
  // and /metrics. The deployment ID is made once and kept in DATA.
  int OpenAudit(const RootCredentials& root) {
    auto id = LoadOrCreateSecretFile(flags_.data + "/deployment.id", [this] {
      return std::vector<std::string>{RandomString(env_.random(), 32, kSecretChars)};
    });
    if (!id || id->first.empty()) {
      env_.log().Error("serve", "cannot make the deployment ID");
      return 1;
    }
    audit_peers_ = std::make_unique<posix::PosixAuditPeers>(io_);
    core::audit::AuditLogOptions audit_options;
    audit_options.deployment_id = id->first[0];
    audit_options.state_dir = flags_.data + "/audit";  // Remembers each target's queue_dir.
    // Every committed entry also goes to the admin API's audit log (recent_audit_).
    audit_options.recent = recent_audit_;
    audit_ = std::make_unique<core::audit::AuditLog>(env_, *audit_peers_, audit_options);
    ReconcileAudit();
    // /metrics also answers SigV4 requests by keys allowed admin:Prometheus,
    // verified exactly as S3 verifies them (same keys, region, proxies).
    auto metrics_access = core::audit::SignedMetricsAccess::Create(
        env_, [this] { return reconciler_->live().Current(); },
        core::s3::RootCredential{root.user, root.password}, s3_region_, trusted_proxies_);
    if (!metrics_access) {
      env_.log().Error("serve", "cannot start /metrics",
                       {{"error", metrics_access.error().message()}});
      return 1;
    }
    metrics_access_ = std::move(metrics_access).value();
    if (audited_keys_ != nullptr) audited_keys_->Attach(*audit_);
    routes_.AddRoute("metrics", core::audit::MetricsHandler::Owns,
                     std::make_unique<core::audit::MetricsHandler>(
                         request_metrics_, *audit_,
                         [this] { return reconciler_->live().Current(); }, metrics_access_.get()));
    audit_handler_ =
        std::make_unique<core::audit::AuditHandler>(env_, routes_, *audit_, request_metrics_);
    return 0;
  }

  // Applies the snapshot's audit targets, then moves the config changes the
  // last pass applied from the store's outbox into the spools.
  void ReconcileAudit() {
    if (audit_ == nullptr) return;
    if (auto snapshot = reconciler_->live().Current()) {
      std::vector<std::string> errors;
      auto targets = core::audit::TargetsFromSnapshot(*snapshot, flags_.data + "/audit", errors);
      for (const auto& e : audit_->Configure(targets)) errors.push_back(e);
      for (const auto& e : errors) env_.log().Error("audit", "audit target", {{"error", e}});
    }
    auto drained = reconciler_->DrainAuditOutbox([this](const state::OutboxRecord& record) {
      return audit_->Record(core::audit::BuildConfigEntry(audit_->deployment_id(), record));
    });
    if (!drained) {
      env_.log().Warn("audit", "config changes not yet audited; will retry",
                      {{"error", drained.error().message()}});
    }
  }

  int SetUpTls() {
    auto& log = env_.log();
    if (!server::TlsContexts::Present(flags_.certs_dir)) {
      if (flags_.require_tls) {
        log.Error("serve", "TLS required but no certificate", {{"certs_dir", flags_.certs_dir}});
        return 1;
      }
      log.Warn("serve", "no TLS certificate: serving plain HTTP",
               {{"certs_dir", flags_.certs_dir}});
      return 0;
    }
    server::TlsOptions options;
    options.certs_dir = flags_.certs_dir;
    options.client_auth = flags_.client_cert == "required"   ? server::ClientAuth::kRequired
                          : flags_.client_cert == "optional" ? server::ClientAuth::kOptional
                                                             : server::ClientAuth::kNone;
    if (const char* pass = std::getenv("COFFER_CERT_PASSWD")) options.key_passphrase = pass;
    auto tls = server::TlsContexts::Load(options);
    if (!tls) {
      log.Error("serve", "cannot load TLS certificates", {{"error", tls.error().message()}});
      return 1;
    }
    tls_ = std::move(tls).value();
    return 0;
  }

  int Listen() {
    if (int rc = ListenOn(flags_.address, tls_); rc != 0) return rc;
    if (!flags_.plain_address.empty()) {
      if (flags_.require_tls) {
        env_.log().Error("serve", "--plain-address conflicts with --require-tls");
        return 2;
      }
      return ListenOn(flags_.plain_address, nullptr);
    }
    return 0;
  }

  int ListenOn(const std::string& address, std::shared_ptr<server::TlsContexts> tls) {
    std::string host;
    std::uint16_t port = 0;
    if (!SplitHostPort(address, host, port)) {
      std::fprintf(stderr, "coffer serve: bad address '%s' (want HOST:PORT)\n", address.c_str());
      return 2;
    }
    server::ServerOptions options;
    options.address = host;
    options.port = port;
    options.tls = std::move(tls);
    auto server =
        server::HttpServer::Start(io_, env_, audit_handler_ ? *audit_handler_ : handler_, options);
    if (!server) {
      env_.log().Error("serve", "listen failed", {{"error", server.error().message()}});
      return 1;
    }
    env_.log().Info("serve", "listening",
                    {{"address", host + ":" + std::to_string((*server)->port())},
                     {"scheme", options.tls ? "https" : "http"}});
    servers_.push_back(std::move(server).value());
    return 0;
  }

  void WatchSignals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (stopping_.exchange(true)) {
        // A second signal: stop now. Acknowledged requests' audit entries are
        // already durable in their spools, so exiting loses none of them.
        env_.log().Warn("serve", "second signal: exiting now", {{"signal", std::to_string(signo)}});
        std::_Exit(1);
      }
      env_.log().Info("serve", "shutting down", {{"signal", std::to_string(signo)}});
      WatchSignals();  // Re-armed for a second signal.
      StartShutdownWatchdog();
      reload_timer_.cancel();
      boost::asio::post(reconcile_strand_, [this] {
        reconcile_timer_.cancel();
        store_watch_timer_.cancel();
        if (config_watch_) config_watch_->Stop();
      });
      // INVARIANT: atomic. The listeners' drains finish on different I/O
      // threads; a lost decrement here left io_ running forever (the audit
      // retry timers alone keep it busy) and serve ignoring SIGTERM.
      auto pending = std::make_shared<std::atomic<std::size_t>>(servers_.size());
      for (auto& s : servers_) {
        s->Shutdown([this, pending] {
          if (pending->fetch_sub(1) == 1) io_.stop();
        });
      }
    });
  }

  // The backstop of a bounded shutdown: should anything still block the exit
  // (a handler stuck in a peer call) well past the drain timeout, say so and
  // exit. Nothing acknowledged is lost: audit entries are durable before
  // their responses complete, and objects before they are acknowledged.
  static void StartShutdownWatchdog() {
    std::thread([] {
      std::this_thread::sleep_for(kShutdownDeadline);
      std::fprintf(stderr,
                   "{\"level\":\"error\",\"component\":\"serve\",\"msg\":\"shutdown "
                   "stalled; exiting\"}\n");
      std::_Exit(1);
    }).detach();
  }
  // The drain timeout (10 s) plus time for the workers to notice the stop.
  static constexpr std::chrono::seconds kShutdownDeadline{20};

  // STS revocation through `coffer admin sts revoke --store` while serving:
  // the store's data_version is polled every 250 ms and the snapshot rebuilt
  // when another process committed, so the revoked token is refused from the
  // next request after that (the reconcile pass is the backstop).
  void WatchStoreWrites() {
    if (stopping_) return;
    if (!store_watcher_) {
      store_watcher_ =
          std::make_unique<core::sts::ExternalWriteWatcher>(reconciler_->live(), env_.clock());
    }
    store_watch_timer_.expires_after(std::chrono::milliseconds(250));
    store_watch_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      auto polled = store_watcher_->Poll();
      if (!polled) {
        env_.log().Warn("sts", "IAM store poll failed", {{"error", polled.error().message()}});
      } else if (*polled) {
        env_.log().Debug("sts", "IAM store changed by another process; snapshot rebuilt");
      }
      WatchStoreWrites();
    });
  }

  // Hot reload: new files in the certs dir serve new connections; invalid
  // files keep the old certificates and log the error naming the file.
  void WatchCertificates() {
    if (!tls_ || stopping_) return;
    reload_timer_.expires_after(std::chrono::seconds(flags_.certs_reload_s));
    reload_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      auto changed = tls_->ReloadIfChanged();
      if (!changed) {
        env_.log().Error("tls", "certificate reload failed; keeping the old certificates",
                         {{"error", changed.error().message()}});
      } else if (*changed) {
        env_.log().Info("tls", "certificates reloaded", {{"certs_dir", flags_.certs_dir}});
      }
      WatchCertificates();
    });
  }

  const ServeFlags& flags_;
  boost::asio::io_context io_;
  posix::PosixEnv env_;
  core::Health health_;
  core::Router routes_{health_};
  core::Handler& handler_ = routes_;
  std::unique_ptr<posix::PosixAuditPeers> audit_peers_;
  std::unique_ptr<core::audit::AuditLog> audit_;
  // The last committed audit entries, for GET /coffer/admin/v1/audit/log (admin_repo_ below).
  std::shared_ptr<core::audit::RecentAuditLog> recent_audit_ =
      std::make_shared<core::audit::RecentAuditLog>();
  core::audit::RequestMetrics request_metrics_;
  std::unique_ptr<core::audit::AuditHandler> audit_handler_;
  std::unique_ptr<core::audit::SignedMetricsAccess> metrics_access_;
  core::audit::AuditedKeyService* audited_keys_ = nullptr;  // Owned by key_service_.
  std::string s3_region_;
  std::vector<std::string> trusted_proxies_;
  std::unique_ptr<core::storage::ErasureSet> objects_;
  std::shared_ptr<server::TlsContexts> tls_;
  std::vector<std::unique_ptr<server::HttpServer>> servers_;
  boost::asio::signal_set signals_{io_, SIGINT, SIGTERM};
  boost::asio::steady_timer reload_timer_{io_};
  boost::asio::strand<boost::asio::io_context::executor_type> reconcile_strand_ =
      boost::asio::make_strand(io_);
  boost::asio::steady_timer reconcile_timer_{reconcile_strand_};
  std::unique_ptr<ConfigWatch> config_watch_;
  std::unique_ptr<DirConfigRepo> config_repo_;  // INVARIANT: outlives reconciler_.
  std::unique_ptr<core::reconcile::Reconciler> reconciler_;
  std::unique_ptr<DirConfigRepo> admin_repo_;  // The admin API's own reader (WireAdminSources).
  std::unique_ptr<core::s3::StoreRuntime> runtime_;
  std::unique_ptr<env::KeyService> key_service_;
  std::string sse_master_key_;                  // [key_service] default_key; empty: coffer-sse-s3.
  std::unique_ptr<KeyServiceProbe> key_probe_;  // INVARIANT: after key_service_ (stops first).
  std::unique_ptr<core::sts::StoreSessionRecorder> sts_recorder_;
  std::unique_ptr<core::sts::ExternalWriteWatcher> store_watcher_;
  boost::asio::steady_timer store_watch_timer_{reconcile_strand_};
  std::unique_ptr<env::DocumentFetcher> oidc_fetcher_;
  std::unique_ptr<core::sts::OidcVerifier> oidc_;
  std::unique_ptr<env::Directory> ldap_directory_;
  std::unique_ptr<core::sts::DirectoryLdapAuthenticator> ldap_authenticator_;
  std::unique_ptr<core::console::Backend> console_backend_;  // The console route's admin API.
  core::sts::StsApi* sts_api_ = nullptr;                     // Owned by routes_.
  std::unique_ptr<core::console::OidcClient> console_oidc_;  // The console's OIDC login.
  std::atomic<bool> stopping_{false};
};

}  // namespace

int RunServe(const Args& args) {
  ServeFlags flags;
  po::options_description desc("coffer serve");
  desc.add_options()("config", po::value(&flags.config),
                     "config repo folder (default: fixtures/quickstart)")(
      "data", po::value(&flags.data)->default_value(flags.data), "data folder (store, drives)")(
      "address", po::value(&flags.address)->default_value(flags.address),
      "listen HOST:PORT (TLS when the certs dir holds a certificate)")(
      "plain-address", po::value(&flags.plain_address),
      "also listen for plain HTTP on HOST:PORT (off by default when TLS is on)")(
      "certs-dir", po::value(&flags.certs_dir), "certs dir (default: ~/.coffer/certs)")(
      "client-cert", po::value(&flags.client_cert)->default_value(flags.client_cert),
      "client certificates: none|optional|required (verified against CERTS_DIR/CAs)")(
      "require-tls", po::bool_switch(&flags.require_tls), "refuse to serve plain HTTP at all")(
      "certs-reload-interval", po::value(&flags.certs_reload_s)->default_value(2),
      "seconds between checks of the certs dir for new files")(
      "reconcile-interval", po::value(&flags.reconcile_s)->default_value(10),
      "seconds between reconcile passes over the config repo (jittered)")(
      "sts-max-duration", po::value(&flags.sts_max_duration_s)->default_value(12 * 3600),
      "longest STS session in seconds (DurationSeconds above it is refused)")(
      "sts-allow-plain-http", po::bool_switch(&flags.sts_allow_plain_http),
      "dev/test only: answer STS over plain HTTP (refused by default)")(
      "sts-min-duration-for-test", po::value(&flags.sts_min_duration_s)->default_value(900),
      "shortest STS session in seconds; honoured only by COFFER_TESTING builds")(
      "no-console", po::bool_switch(&flags.console_off),
      "do not serve the web console at /console")(
      "console-idle-timeout",
      po::value(&flags.console_idle_timeout_s)->default_value(flags.console_idle_timeout_s),
      "seconds without a request after which a console session ends")(
      "console-session-lifetime",
      po::value(&flags.console_session_lifetime_s)->default_value(flags.console_session_lifetime_s),
      "seconds after login at which a console session ends however busy")(
      "console-max-sessions",
      po::value(&flags.console_max_sessions)->default_value(flags.console_max_sessions),
      "console sessions held in memory (the longest idle goes first)")(
      "log-level", po::value(&flags.log_level)->default_value(flags.log_level),
      "debug|info|warn|error")("threads", po::value(&flags.threads),
                               "I/O threads (default: cores, at least 2)");
  std::string planted_bugs;
#if defined(COFFER_TESTING)
  desc.add_options()("plant", po::value(&planted_bugs),
                     "test builds only: switch on planted bugs (skip-presign-expiry, "
                     "skip-session-expiry, allow-overrides-deny, ...), comma-separated");
#endif
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer serve", desc, args, vm)) return *exit;
  if (flags.config.empty()) flags.config = DefaultConfigDir();
  if (flags.certs_dir.empty()) flags.certs_dir = DefaultCertsDir();
  env::LogLevel level = env::LogLevel::kInfo;
  if (!env::ParseLogLevel(flags.log_level, level)) {
    std::fprintf(stderr, "coffer serve: bad --log-level '%s'\n", flags.log_level.c_str());
    return 2;
  }
  if (flags.client_cert != "none" && flags.client_cert != "optional" &&
      flags.client_cert != "required") {
    std::fprintf(stderr, "coffer serve: bad --client-cert '%s'\n", flags.client_cert.c_str());
    return 2;
  }
  std::string host;
  std::uint16_t port = 0;
  if (!SplitHostPort(flags.address, host, port)) {
    std::fprintf(stderr, "coffer serve: bad --address '%s' (want HOST:PORT)\n",
                 flags.address.c_str());
    return 2;
  }
  if (flags.reconcile_s == 0 || flags.certs_reload_s == 0) {
    std::fprintf(stderr, "coffer serve: intervals must be at least 1 second\n");
    return 2;
  }
  if (!planted_bugs.empty()) {
    unsigned mask = 0;
    if (!ParsePlantedBugs(planted_bugs, mask)) {
      std::fprintf(stderr, "coffer serve: bad --plant '%s'\n", planted_bugs.c_str());
      return 2;
    }
#if defined(COFFER_TESTING)
    base::PlantBugsForTest(mask);
    std::fprintf(stderr, "coffer serve: PLANTED BUGS ON: %s (test build)\n", planted_bugs.c_str());
#endif
  }
  Appliance appliance(flags, level);
  return appliance.Run();
}

}  // namespace coffer::cli
