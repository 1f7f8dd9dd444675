// The OIDC verifier against a REAL OpenID provider (npm oidc-provider 9, provider.mjs) on
// 127.0.0.1 over HTTPS: tokens from its client_credentials grant, discovery and JWKS
// fetched by the production HTTPS fetcher (posix/https_fetch.cc), verified by
// core::sts::OidcVerifier against a snapshot built from a config repo. The STS API and
// `coffer serve` on top are exercised by oidc_e2e.py.
//
// Fails (never skips) when /usr/bin/node or conformance/e2e/oidc/node_modules is missing:
// run scripts/install-deps.sh test.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/sts/jwt.h"
#include "coffer/core/sts/oidc.h"
#include "coffer/posix/https_fetch.h"
#include "coffer/state/apply.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace coffer::core::sts {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kHere = fs::path(COFFER_SOURCE_DIR) / "conformance/e2e/oidc";

std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int FreePort() {
  // Good enough on a loopback test box: a port from the ephemeral range by PID.
  return 20000 + static_cast<int>(::getpid() % 20000);
}

class Provider {
 public:
  ~Provider() { Stop(); }
  // Returns an error message, or empty on success.
  std::string Start(const fs::path& work) {
    if (!fs::exists("/usr/bin/node")) return "/usr/bin/node is missing";
    if (!fs::exists(kHere / "node_modules" / "oidc-provider")) {
      return "conformance/e2e/oidc/node_modules is missing: run scripts/install-deps.sh test";
    }
    cert_ = (work / "idp.crt").string();
    const std::string key = (work / "idp.key").string();
    Shell(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        key + " -out " + cert_ + " 2>&1");
    if (!fs::exists(cert_)) return "openssl could not make the provider's certificate";
    port_ = FreePort();
    const std::string log = (work / "provider.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      if (std::freopen(log.c_str(), "w", stdout) == nullptr ||
          std::freopen(log.c_str(), "a", stderr) == nullptr || ::chdir(kHere.c_str()) != 0) {
        ::_exit(126);
      }
      ::execl("/usr/bin/node", "node", "provider.mjs", std::to_string(port_).c_str(), cert_.c_str(),
              key.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 600; ++i) {
      if (ReadAll(log).find("READY") != std::string::npos) return {};
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "oidc-provider exited: " + ReadAll(log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "oidc-provider did not start in 60 s: " + ReadAll(log);
  }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  std::string issuer() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& cert() const { return cert_; }
  std::string Token(const std::string& client) const {
    const std::string out = Shell(
        "curl -sS --max-time 20 --cacert " + cert_ +
        " -d grant_type=client_credentials -d client_id=" + client + " -d client_secret=" + client +
        "-secret -d resource=https://coffer-s3.local/ -d scope=s3 " + issuer() + "/token");
    json answer = json::parse(out, nullptr, false);
    return answer.is_object() && answer.contains("access_token")
               ? answer["access_token"].get<std::string>()
               : std::string();
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string cert_;
};

class OidcProviderE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ =
        new fs::path(fs::temp_directory_path() / ("coffer-oidc-e2e-" + std::to_string(::getpid())));
    fs::create_directories(*work_);
    provider_ = new Provider();
    *setup_error_ = provider_->Start(*work_);
  }
  static void TearDownTestSuite() {
    delete provider_;
    fs::remove_all(*work_);
    delete work_;
  }

  void SetUp() override {
    ASSERT_EQ(*setup_error_, "");
    const std::string jwks = Shell("curl -sS --max-time 20 --cacert " + provider_->cert() + " " +
                                   provider_->issuer() + "/jwks");
    const std::string toml = R"(
[users.admin]
secret = "env:ADMIN_SECRET"
policies = ["consoleAdmin"]

[policies.e2e-readwrite]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::oidc-bkt/*"]}]}'

[policies.e2e-readonly]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::oidc-bkt/*"]}]}'

[identity.oidc.idp]
issuer = ")" + provider_->issuer() +
                             R"("
client_id = "coffer"
audiences = ["coffer-s3"]
discovery_url = ")" + provider_->issuer() +
                             R"(/.well-known/openid-configuration"

[identity.oidc.airgap]
issuer = ")" + provider_->issuer() +
                             R"("
client_id = "coffer"
audiences = ["coffer-s3"]
role_policy = "e2e-readonly"
jwks_file = "idp/jwks.json"

[identity.oidc.strict]
issuer = ")" + provider_->issuer() +
                             R"("
client_id = "someone-else"
discovery_url = ")" + provider_->issuer() +
                             R"(/.well-known/openid-configuration"
)";
    state::testing::TempDir tmp;
    auto store = state::Store::Open(tmp.Path("iam.db"), {});
    ASSERT_TRUE(store.has_value());
    key_ = std::make_unique<state::MasterKey>(state::MasterKey::Generate(random_));
    auto load = state::LoadConfig(state::testing::Tree({{"c.toml", toml}}));
    ASSERT_TRUE(load.ok()) << state::FormatErrors(load.errors);
    auto resolver = state::testing::MapResolver({{"ADMIN_SECRET", "admin-secret-123"}});
    auto desired = state::BuildDesiredRecords(load.state, resolver, *key_);
    ASSERT_TRUE(desired.has_value());
    ASSERT_TRUE(state::Apply(**store, *desired, *key_, random_, {}).has_value());
    auto snap = state::BuildSnapshot(**store, *key_, 1, base::WallTime{});
    ASSERT_TRUE(snap.has_value());
    snapshot_ = *snap;
    auto fetcher = posix::MakeHttpsFetcher({"", provider_->cert(), false});
    ASSERT_TRUE(fetcher.has_value());
    fetcher_ = std::move(fetcher).value();
    OidcOptions options;
    options.libctx = random_.LibCtx();
    options.fetcher = fetcher_.get();
    options.read_config_file = [jwks](std::string_view path) -> base::Result<std::string> {
      if (path != "idp/jwks.json") return base::NotFound("no such file");
      return jwks;
    };
    verifier_ = std::make_unique<OidcVerifier>(std::move(options));
  }

  base::Result<ExternalIdentity> Verify(const std::string& token, std::string_view role) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    return verifier_->Verify(token, role, *snapshot_, base::WallTime(now.time_since_epoch()));
  }

  static fs::path* work_;
  static Provider* provider_;
  static std::string* setup_error_;
  state::testing::TestRandom random_;
  std::unique_ptr<state::MasterKey> key_;
  std::shared_ptr<const state::Snapshot> snapshot_;
  std::unique_ptr<env::DocumentFetcher> fetcher_;
  std::unique_ptr<OidcVerifier> verifier_;
};

fs::path* OidcProviderE2e::work_ = nullptr;
Provider* OidcProviderE2e::provider_ = nullptr;
std::string* OidcProviderE2e::setup_error_ = new std::string();

TEST_F(OidcProviderE2e, ProviderTokenBecomesAnIdentityThroughDiscovery) {
  const std::string token = provider_->Token("e2e-rw");
  ASSERT_FALSE(token.empty());
  auto id = Verify(token, "arn:minio:iam:::role/idp");
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->subject, "e2e-rw");
  EXPECT_EQ(id->parent, "oidc:idp:e2e-rw");
  EXPECT_EQ(id->policies, (std::vector<std::string>{"e2e-readwrite"}));
  EXPECT_EQ(id->variables.at("jwt:client_id"), "e2e-rw");
  auto claims = DecodeUnverified(token);
  ASSERT_TRUE(claims.has_value());
  ASSERT_TRUE(id->not_after.has_value());
  EXPECT_EQ(base::UnixSeconds(*id->not_after), claims->claims["exp"].get<std::int64_t>());
  // Without a RoleArn the issuer picks the first provider (by name) that accepts the
  // token: "airgap", whose role policy wins over the token's claim; its keys come from
  // its jwks_file (a second key load; idp's fetched keys stay cached).
  auto by_iss = Verify(provider_->Token("e2e-rw"), "");
  ASSERT_TRUE(by_iss.has_value()) << by_iss.error().ToString();
  EXPECT_EQ(by_iss->parent, "oidc:airgap:e2e-rw");
  EXPECT_EQ(by_iss->policies, (std::vector<std::string>{"e2e-readonly"}));
  EXPECT_EQ(verifier_->key_loads(), 2u);
  EXPECT_TRUE(Verify(provider_->Token("e2e-rw"), "arn:minio:iam:::role/idp").has_value());
  EXPECT_EQ(verifier_->key_loads(), 2u);
}

TEST_F(OidcProviderE2e, AirGappedJwksFileWithRolePolicy) {
  auto id = Verify(provider_->Token("e2e-rw"), "arn:minio:iam:::role/airgap");
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->policies, (std::vector<std::string>{"e2e-readonly"}));
}

TEST_F(OidcProviderE2e, BadTokensAreRefused) {
  const std::string token = provider_->Token("e2e-rw");
  ASSERT_FALSE(token.empty());
  // Another client's audience.
  EXPECT_EQ(Verify(token, "arn:minio:iam:::role/strict").error().code(),
            base::ErrorCode::kUnauthenticated);
  // No policy claim.
  EXPECT_EQ(Verify(provider_->Token("e2e-none"), "arn:minio:iam:::role/idp").error().code(),
            base::ErrorCode::kPermissionDenied);
  // Forged claims under the provider's signature.
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  auto claims = DecodeUnverified(token);
  ASSERT_TRUE(claims.has_value());
  json evil = claims->claims;
  evil["policy"] = "consoleAdmin";
  const std::string forged =
      token.substr(0, dot1 + 1) + EncodeBase64Url(evil.dump()) + token.substr(dot2);
  EXPECT_EQ(Verify(forged, "arn:minio:iam:::role/idp").error().code(),
            base::ErrorCode::kUnauthenticated);
  EXPECT_EQ(Verify(token.substr(0, token.size() / 2), "").error().code(),
            base::ErrorCode::kUnauthenticated);
  EXPECT_EQ(Verify(token, "arn:minio:iam:::role/nobody").error().code(),
            base::ErrorCode::kNotFound);
}

TEST_F(OidcProviderE2e, FetcherRefusesAnUntrustedProvider) {
  // The system roots alone do not trust the provider's self-signed certificate.
  auto fetcher = posix::MakeHttpsFetcher({"", "", true});
  ASSERT_TRUE(fetcher.has_value());
  auto doc = (*fetcher)->Get(provider_->issuer() + "/.well-known/openid-configuration", {});
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().code(), base::ErrorCode::kUnavailable);
  // Plain http to a non-loopback host is refused before any connection.
  auto plain = (*fetcher)->Get("http://example.com/jwks", {});
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().code(), base::ErrorCode::kInvalidArgument);
  // A body over the limit is an error, not a truncation.
  auto trusted = posix::MakeHttpsFetcher({"", provider_->cert(), false});
  ASSERT_TRUE(trusted.has_value());
  env::FetchLimits tiny;
  tiny.max_body_bytes = 16;
  auto big = (*trusted)->Get(provider_->issuer() + "/jwks", tiny);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code(), base::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::core::sts
