// Who may read /metrics: the bearer token, SigV4-signed requests (header and
// presigned) by keys allowed admin:Prometheus, and anonymous callers only
// when the repo makes the metrics public. Signed through the S3 harness the
// way a real client signs.

#include "coffer/core/audit/metrics_access.h"

#include <gtest/gtest.h>

#include "coffer/core/audit/metrics.h"

#include "../s3/harness.h"
#include "fakes.h"

namespace coffer::core::audit {
namespace {

using s3::testing::Response;
using s3::testing::S3Harness;
using s3::testing::SendOptions;

constexpr const char* kConfig = R"(
[users.prom]
secret = "env:PROM"
policies = ["scrape"]
[users.alice]
secret = "env:ALICE"
policies = ["photos-rw"]
[policies.scrape]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:Prometheus"]}]}'''
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}]}'''
[buckets.photos]
)";

const std::map<std::string, std::string> kSecrets = {{"PROM", "prom-secret-key"},
                                                     {"ALICE", "alice-secret-key"}};

class MetricsAccessTest : public ::testing::Test {
 protected:
  void Install(const std::string& extra) {
    auto s = h_.InstallConfig(std::string(kConfig) + extra, kSecrets);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    state::LiveStore* live = &h_.live();
    auto access = SignedMetricsAccess::Create(
        h_.env(), [live] { return live->Current(); },
        s3::RootCredential{std::string(s3::testing::kRootAccessKey),
                           base::Secret(std::string(s3::testing::kRootSecretKey))},
        "us-east-1", {});
    ASSERT_TRUE(access.has_value()) << access.error().ToString();
    access_ = std::move(access).value();
    handler_ = std::make_unique<MetricsHandler>(
        metrics_, log_, [live] { return live->Current(); }, access_.get());
    metrics_.Record("PutObject", 200, std::chrono::milliseconds(3));
  }

  Response Get(SendOptions options, HeaderList headers = {}) {
    options.handler = handler_.get();
    return h_.Send("GET", "/metrics", std::move(headers), "", options);
  }

  static SendOptions As(const std::string& key, const std::string& secret,
                        s3::testing::AuthMode mode = s3::testing::AuthMode::kSigned) {
    SendOptions o;
    o.auth = mode;
    o.access_key = key;
    o.secret_key = secret;
    return o;
  }

  S3Harness h_;
  testing::FakePeers peers_;
  AuditLog log_{h_.env(), peers_, {"dep"}};
  RequestMetrics metrics_;
  std::unique_ptr<SignedMetricsAccess> access_;
  std::unique_ptr<MetricsHandler> handler_;
};

bool HasMetrics(const Response& r) {
  return r.body.find("coffer_requests_total{api=\"PutObject\",status=\"200\"} 1") !=
         std::string::npos;
}

TEST_F(MetricsAccessTest, KeysAllowedAdminPrometheusReadTheMetrics) {
  Install("");
  const Response root = Get({});
  EXPECT_EQ(root.status, 200u) << root.body;
  EXPECT_TRUE(HasMetrics(root));
  const Response prom = Get(As("prom", "prom-secret-key"));
  EXPECT_EQ(prom.status, 200u) << prom.body;
  EXPECT_TRUE(HasMetrics(prom));
  const Response presigned = Get(As("prom", "prom-secret-key", s3::testing::AuthMode::kPresigned));
  EXPECT_EQ(presigned.status, 200u) << presigned.body;
  EXPECT_TRUE(HasMetrics(presigned));
}

TEST_F(MetricsAccessTest, OthersAreRefusedWithoutAnyMetric) {
  Install("");
  const Response alice = Get(As("alice", "alice-secret-key"));
  EXPECT_EQ(alice.status, 403u);
  EXPECT_NE(alice.body.find("<Code>AccessDenied</Code>"), std::string::npos) << alice.body;
  EXPECT_FALSE(HasMetrics(alice));
  const Response forged = Get(As("prom", "not-the-secret"));
  EXPECT_EQ(forged.status, 403u);
  EXPECT_NE(forged.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  EXPECT_FALSE(HasMetrics(forged));
  const Response unknown = Get(As("nobody", "whatever-secret"));
  EXPECT_EQ(unknown.status, 403u);
  EXPECT_FALSE(HasMetrics(unknown));
  SendOptions anonymous;
  anonymous.auth = s3::testing::AuthMode::kAnonymous;
  const Response anon = Get(anonymous);
  EXPECT_EQ(anon.status, 403u);
  EXPECT_NE(anon.body.find("<Code>AccessDenied</Code>"), std::string::npos);
  EXPECT_FALSE(HasMetrics(anon));
  // A bearer token when none is configured is refused too.
  const Response bearer = Get(anonymous, {{"authorization", "Bearer guess"}});
  EXPECT_EQ(bearer.status, 403u);
  EXPECT_FALSE(HasMetrics(bearer));
}

TEST_F(MetricsAccessTest, AnonymousReadsOnlyWhenTheRepoMakesMetricsPublic) {
  Install("[appliance.metrics]\npublic = true\n");
  SendOptions anonymous;
  anonymous.auth = s3::testing::AuthMode::kAnonymous;
  const Response anon = Get(anonymous);
  EXPECT_EQ(anon.status, 200u) << anon.body;
  EXPECT_TRUE(HasMetrics(anon));
  // A signature that does not verify is still refused: public does not
  // turn a forged request into an anonymous one.
  EXPECT_EQ(Get(As("prom", "not-the-secret")).status, 403u);
}

}  // namespace
}  // namespace coffer::core::audit
