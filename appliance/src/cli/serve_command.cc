// `coffer serve`: binds the production seams, opens the drives, loads the
// desired state and runs the HTTP shell until SIGINT or SIGTERM, then drains.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "coffer/base/secret.h"
#include "coffer/core/health.h"
#include "coffer/posix/posix_env.h"
#include "coffer/server/http_server.h"

#include "options.h"
#include "version.h"

namespace coffer::cli {
namespace {

constexpr int kDefaultDrives = 4;

struct ServeFlags {
  std::string config;
  std::string data = "./coffer-data";
  std::string address = "127.0.0.1:9000";
  std::string log_level = "info";
  unsigned threads = 0;
};

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

struct RootCredentials {
  std::string user;
  base::Secret password;
  bool generated = false;
};

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
    const std::string path = data_dir + "/root.credentials";
    std::ifstream in(path);
    if (in) {
      std::string pass;
      std::getline(in, creds.user);
      std::getline(in, pass);
      creds.password = base::Secret(std::move(pass));
    } else {
      static constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
      static constexpr char kSecretChars[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      creds.user.resize(20);
      for (char& c : creds.user) c = kAlnum[random.Uniform(0, sizeof(kAlnum) - 2)];
      std::string pass(40, '\0');
      for (char& c : pass) c = kSecretChars[random.Uniform(0, sizeof(kSecretChars) - 2)];
      const mode_t old = ::umask(077);
      std::ofstream out(path, std::ios::trunc);
      out << creds.user << '\n' << pass << '\n';
      out.close();
      ::umask(old);
      if (!out) return base::Unavailable("cannot write " + path);
      creds.password = base::Secret(std::move(pass));
      creds.generated = true;
    }
  }
  if (creds.user.size() < 3) return base::InvalidArgument("root user must be >= 3 characters");
  if (creds.password.size() < 8) {
    return base::InvalidArgument("root password must be >= 8 characters");
  }
  return creds;
}

// Routes requests: health today; the S3 API and the admin API are added by
// their issues behind this same entry point.
class ApplianceHandler final : public core::RequestHandler {
 public:
  explicit ApplianceHandler(core::Health& health) : health_(health) {}

  core::HttpResponse Handle(const core::HttpRequest& request) override {
    if (auto r = health_.Handle(request)) return std::move(*r);
    core::HttpResponse response;
    response.status = 501;
    response.headers.emplace_back("content-type", "application/xml");
    response.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code>"
        "<Message>A header you provided implies functionality that is not implemented."
        "</Message><RequestId>" +
        request.request_id + "</RequestId></Error>";
    return response;
  }

 private:
  core::Health& health_;
};

int Serve(const ServeFlags& flags) {
  env::LogLevel level = env::LogLevel::kInfo;
  if (!env::ParseLogLevel(flags.log_level, level)) {
    std::fprintf(stderr, "coffer serve: bad --log-level '%s'\n", flags.log_level.c_str());
    return 2;
  }
  std::string host;
  std::uint16_t port = 0;
  if (!SplitHostPort(flags.address, host, port)) {
    std::fprintf(stderr, "coffer serve: bad --address '%s' (want HOST:PORT)\n",
                 flags.address.c_str());
    return 2;
  }
  boost::asio::io_context io;
  posix::PosixEnv env(io, level);
  auto& log = env.log();
  log.Info("serve", "starting",
           {{"version", VersionLine()}, {"data", flags.data}, {"config", flags.config}});

  if (::mkdir(flags.data.c_str(), 0750) != 0 && errno != EEXIST) {
    log.Error("serve", "cannot create data folder", {{"path", flags.data}});
    return 1;
  }
  auto root = LoadRootCredentials(flags.data, env.random());
  if (!root) {
    log.Error("serve", "root credentials", {{"error", root.error().message()}});
    return 1;
  }
  if (root->generated) {
    // Shown once, as MinIO does for generated credentials; the file keeps them.
    std::printf("Root user:     %s\nRoot password: %.*s\n(stored in %s/root.credentials)\n",
                root->user.c_str(), static_cast<int>(root->password.size()),
                root->password.Reveal().data(), flags.data.c_str());
    std::fflush(stdout);
  }

  core::Health health;
  std::vector<std::unique_ptr<env::Drive>> drives;
  for (int i = 1; i <= kDefaultDrives; ++i) {
    auto drive = env.OpenDrive(flags.data + "/drive" + std::to_string(i));
    if (!drive) {
      log.Error("serve", "drive unavailable", {{"error", drive.error().message()}});
      continue;
    }
    drives.push_back(std::move(drive).value());
  }
  health.Set("drives", drives.size() == kDefaultDrives,
             std::to_string(drives.size()) + " of 4 drives online");

  ApplianceHandler routes(health);
  core::BufferedHandler handler(routes, /*body_limit_bytes=*/1 << 20);
  server::ServerOptions options;
  options.address = host;
  options.port = port;
  auto server = server::HttpServer::Start(io, env, handler, options);
  if (!server) {
    log.Error("serve", "listen failed", {{"error", server.error().message()}});
    return 1;
  }
  log.Info("serve", "listening", {{"address", host + ":" + std::to_string((*server)->port())}});

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log.Info("serve", "shutting down", {{"signal", std::to_string(signo)}});
    (*server)->Shutdown([&io] { io.stop(); });
  });

  const unsigned threads =
      flags.threads != 0 ? flags.threads : std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  log.Info("serve", "stopped");
  return 0;
}

}  // namespace

int RunServe(const Args& args) {
  ServeFlags flags;
  po::options_description desc("coffer serve");
  desc.add_options()("config", po::value(&flags.config),
                     "config repo folder (default: fixtures/quickstart)")(
      "data", po::value(&flags.data)->default_value(flags.data), "data folder (store, drives)")(
      "address", po::value(&flags.address)->default_value(flags.address), "listen HOST:PORT")(
      "log-level", po::value(&flags.log_level)->default_value(flags.log_level),
      "debug|info|warn|error")("threads", po::value(&flags.threads),
                               "I/O threads (default: cores, at least 2)");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer serve", desc, args, vm)) return *exit;
  if (flags.config.empty()) flags.config = DefaultConfigDir();
  return Serve(flags);
}

}  // namespace coffer::cli
