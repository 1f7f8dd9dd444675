// The OIDC web-identity verifier against a snapshot built from a config repo,
// with keys generated here, a JWKS "file" and a scripted discovery fetcher.

#include "coffer/core/sts/oidc.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "coffer/state/apply.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "jwt_test_signer.h"
#include "test_util.h"

namespace coffer::core::sts {
namespace {

using nlohmann::json;
using state::testing::TempDir;
using testing::SignJwt;
using testing::TestKey;

constexpr std::int64_t kNow = 1'800'000'000;
const base::WallTime kNowTime{std::chrono::seconds(kNow)};

constexpr std::string_view kConfig = R"(
[users.admin]
secret = "env:ADMIN_SECRET"
policies = ["consoleAdmin"]

[policies.photos-read]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}'

[policies.home]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::home/${jwt:sub}/*"]}]}'

[identity.oidc.corp]
issuer = "https://idp.example"
client_id = "coffer"
audiences = ["https://coffer.example/"]
jwks_file = "idp/jwks.json"

[identity.oidc.partner]
issuer = "https://partner.example"
client_id = "coffer-p"
claim_name = "roles"
claim_prefix = "https://coffer/"
discovery_url = "https://partner.example/.well-known/openid-configuration"

[identity.oidc.robots]
issuer = "https://robots.example"
client_id = "robots"
role_policy = "photos-read"
discovery_url = "https://robots.example/.well-known/openid-configuration"
)";

class FakeFetcher final : public env::DocumentFetcher {
 public:
  base::Result<std::string> Get(std::string_view url, const env::FetchLimits&) override {
    ++gets[std::string(url)];
    auto it = docs.find(std::string(url));
    if (it == docs.end()) return base::Unavailable("no route to " + std::string(url));
    return it->second;
  }
  std::map<std::string, std::string> docs;
  std::map<std::string, int> gets;
};

class OidcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TempDir tmp;
    auto store = state::Store::Open(tmp.Path("iam.db"), {});
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    key_ = std::make_unique<state::MasterKey>(state::MasterKey::Generate(random_));
    state::ConfigLoad load =
        state::LoadConfig(state::testing::Tree({{"c.toml", std::string(kConfig)}}));
    ASSERT_TRUE(load.ok()) << state::FormatErrors(load.errors);
    auto resolver = state::testing::MapResolver({{"ADMIN_SECRET", "admin-secret-123"}});
    auto desired = state::BuildDesiredRecords(load.state, resolver, *key_);
    ASSERT_TRUE(desired.has_value()) << desired.error().ToString();
    auto applied = state::Apply(**store, *desired, *key_, random_, state::ApplyOptions{});
    ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
    auto snap = state::BuildSnapshot(**store, *key_, 1, base::WallTime{});
    ASSERT_TRUE(snap.has_value()) << snap.error().ToString();
    snapshot_ = *snap;

    jwks_file_ = json{{"keys", json::array({corp_.Jwk("RS256")})}}.dump();
    fetcher_.docs["https://partner.example/.well-known/openid-configuration"] = json{
        {"issuer", "https://partner.example"},
        {"jwks_uri", "https://partner.example/jwks"}}.dump();
    fetcher_.docs["https://partner.example/jwks"] =
        json{{"keys", json::array({partner_.Jwk()})}}.dump();
    fetcher_.docs["https://robots.example/.well-known/openid-configuration"] =
        json{{"issuer", "https://robots.example"}, {"jwks_uri", "https://robots.example/k"}}.dump();
    fetcher_.docs["https://robots.example/k"] = json{{"keys", json::array({robots_.Jwk()})}}.dump();

    OidcOptions options;
    options.libctx = random_.LibCtx();
    options.fetcher = &fetcher_;
    options.read_config_file = [this](std::string_view path) -> base::Result<std::string> {
      ++file_reads_;
      if (path != "idp/jwks.json") return base::NotFound("no file");
      return jwks_file_;
    };
    verifier_ = std::make_unique<OidcVerifier>(std::move(options));
  }

  static json Corp() {
    return {{"iss", "https://idp.example"},
            {"sub", "alice"},
            {"aud", "coffer"},
            {"exp", kNow + 900},
            {"iat", kNow - 5},
            {"policy", "photos-read,home"},
            {"groups", {"eng", "ops"}},
            {"email", "a@example"}};
  }

  base::Result<ExternalIdentity> Verify(const std::string& token, std::string_view arn = {},
                                        base::WallTime now = kNowTime) {
    return verifier_->Verify(token, arn, *snapshot_, now);
  }

  state::testing::TestRandom random_;
  std::unique_ptr<state::MasterKey> key_;
  std::shared_ptr<const state::Snapshot> snapshot_;
  TestKey corp_{random_.LibCtx(), "RSA", "corp-1"};
  TestKey partner_{random_.LibCtx(), "P-256", "p-1"};
  TestKey robots_{random_.LibCtx(), "Ed25519", "r-1"};
  std::string jwks_file_;
  int file_reads_ = 0;
  FakeFetcher fetcher_;
  std::unique_ptr<OidcVerifier> verifier_;
};

TEST_F(OidcTest, ClaimPoliciesVariablesAndExpiryFromAJwksFile) {
  auto id = Verify(SignJwt(corp_, "RS256", Corp()));
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->subject, "alice");
  EXPECT_EQ(id->parent, "oidc:corp:alice");
  EXPECT_EQ(id->policies, (std::vector<std::string>{"home", "photos-read"}));
  EXPECT_EQ(id->variables.at("jwt:sub"), "alice");
  EXPECT_EQ(id->variables.at("jwt:groups"), "eng,ops");
  EXPECT_EQ(id->variables.at("jwt:exp"), std::to_string(kNow + 900));
  ASSERT_TRUE(id->not_after.has_value());
  EXPECT_EQ(base::UnixSeconds(*id->not_after), kNow + 900);
  // The extra audience is accepted too; keys are read once per snapshot.
  json c = Corp();
  c["aud"] = "https://coffer.example/";
  c["policy"] = json::array({"home", "no-such-policy"});
  auto id2 = Verify(SignJwt(corp_, "RS256", c));
  ASSERT_TRUE(id2.has_value()) << id2.error().ToString();
  EXPECT_EQ(id2->policies, (std::vector<std::string>{"home"}));
  EXPECT_EQ(file_reads_, 1);
}

TEST_F(OidcTest, RoleArnNamesTheProvider) {
  const std::string token = SignJwt(corp_, "RS256", Corp());
  EXPECT_TRUE(Verify(token, "arn:minio:iam:::role/corp").has_value());
  EXPECT_TRUE(Verify(token, "arn:aws:iam::123456789012:role/corp").has_value());
  auto other = Verify(token, "arn:minio:iam:::role/partner");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), base::ErrorCode::kUnauthenticated);
  auto unknown = Verify(token, "arn:minio:iam:::role/nobody");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), base::ErrorCode::kNotFound);
  auto bad = Verify(token, "not-an-arn");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), base::ErrorCode::kInvalidArgument);
}

TEST_F(OidcTest, RolePolicyProviderIgnoresThePolicyClaim) {
  json c = {{"iss", "https://robots.example"},
            {"sub", "bot-7"},
            {"aud", "robots"},
            {"exp", kNow + 300},
            {"policy", "consoleAdmin"}};
  auto id = Verify(SignJwt(robots_, "EdDSA", c), "arn:minio:iam:::role/robots");
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->policies, (std::vector<std::string>{"photos-read"}));
}

TEST_F(OidcTest, DiscoveryClaimPrefixAndRefetchOnUnknownKidIsRateLimited) {
  json c = {{"iss", "https://partner.example"},
            {"sub", "p-user"},
            {"aud", json::array({"coffer-p"})},
            {"exp", kNow + 300},
            {"https://coffer/roles", json::array({"photos-read"})},
            {"policy", "consoleAdmin"}};
  auto id = Verify(SignJwt(partner_, "ES256", c));
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->policies, (std::vector<std::string>{"photos-read"}));
  EXPECT_EQ(fetcher_.gets["https://partner.example/jwks"], 1);
  // The provider rotates its key: the unknown kid makes one refetch.
  TestKey rotated(random_.LibCtx(), "P-256", "p-2");
  fetcher_.docs["https://partner.example/jwks"] =
      json{{"keys", json::array({partner_.Jwk(), rotated.Jwk()})}}.dump();
  const base::WallTime later = kNowTime + std::chrono::seconds(31);
  EXPECT_TRUE(Verify(SignJwt(rotated, "ES256", c), {}, later).has_value());
  EXPECT_EQ(fetcher_.gets["https://partner.example/jwks"], 2);
  // Random kids inside the rate-limit window fetch nothing more.
  for (int i = 0; i < 5; ++i) {
    TestKey stranger(random_.LibCtx(), "P-256", "x-" + std::to_string(i));
    auto r = Verify(SignJwt(stranger, "ES256", c), {}, later + std::chrono::seconds(i));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(fetcher_.gets["https://partner.example/jwks"], 2);
}

TEST_F(OidcTest, ProviderOutageKeepsLastGoodKeysAndFailsUnavailableWithoutThem) {
  json c = {{"iss", "https://partner.example"},
            {"sub", "p"},
            {"aud", "coffer-p"},
            {"exp", kNow + 7200},
            {"https://coffer/roles", "photos-read"}};
  const std::string token = SignJwt(partner_, "ES256", c);
  ASSERT_TRUE(Verify(token).has_value());
  fetcher_.docs.clear();
  // After the TTL the refresh fails; the cached keys keep working.
  EXPECT_TRUE(Verify(token, {}, kNowTime + std::chrono::hours(1) + std::chrono::seconds(1)));
  json r = {
      {"iss", "https://robots.example"}, {"sub", "b"}, {"aud", "robots"}, {"exp", kNow + 300}};
  auto down = Verify(SignJwt(robots_, "EdDSA", r));
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code(), base::ErrorCode::kUnavailable);
}

TEST_F(OidcTest, DiscoveryNamingAnotherIssuerIsRefused) {
  fetcher_.docs["https://robots.example/.well-known/openid-configuration"] =
      json{{"issuer", "https://evil.example"}, {"jwks_uri", "https://robots.example/k"}}.dump();
  json r = {
      {"iss", "https://robots.example"}, {"sub", "b"}, {"aud", "robots"}, {"exp", kNow + 300}};
  auto id = Verify(SignJwt(robots_, "EdDSA", r));
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code(), base::ErrorCode::kUnavailable);
  EXPECT_NE(id.error().message().find("another issuer"), std::string::npos);
}

TEST_F(OidcTest, BadTokensGetTheRightErrors) {
  json c = Corp();
  c["exp"] = kNow - 120;
  EXPECT_EQ(Verify(SignJwt(corp_, "RS256", c)).error().code(), base::ErrorCode::kDeadlineExceeded);
  c = Corp();
  c["aud"] = "someone-else";
  EXPECT_EQ(Verify(SignJwt(corp_, "RS256", c)).error().code(), base::ErrorCode::kUnauthenticated);
  c = Corp();
  c["iss"] = "https://unknown.example";
  auto unknown_iss = Verify(SignJwt(corp_, "RS256", c));
  ASSERT_FALSE(unknown_iss.has_value());
  EXPECT_NE(unknown_iss.error().message().find("no OpenID provider"), std::string::npos);
  c = Corp();
  c["nbf"] = kNow + 3600;
  EXPECT_EQ(Verify(SignJwt(corp_, "RS256", c)).error().code(), base::ErrorCode::kUnauthenticated);
  c = Corp();
  c["policy"] = "nope, neither";
  EXPECT_EQ(Verify(SignJwt(corp_, "RS256", c)).error().code(), base::ErrorCode::kPermissionDenied);
  c = Corp();
  c.erase("policy");
  EXPECT_EQ(Verify(SignJwt(corp_, "RS256", c)).error().code(), base::ErrorCode::kPermissionDenied);
  c = Corp();
  c.erase("sub");
  EXPECT_EQ(Verify(SignJwt(corp_, "RS256", c)).error().code(), base::ErrorCode::kUnauthenticated);
  // A token signed by another key under the provider's kid.
  TestKey impostor(random_.LibCtx(), "RSA", "corp-1");
  auto forged = Verify(SignJwt(impostor, "RS256", Corp()));
  ASSERT_FALSE(forged.has_value());
  EXPECT_EQ(forged.error().code(), base::ErrorCode::kUnauthenticated);
  // Algorithm confusion against the file's key.
  auto hs = Verify(testing::HmacJwt(random_.LibCtx(), corp_.PublicPem(), Corp(), "corp-1"));
  ASSERT_FALSE(hs.has_value());
  EXPECT_EQ(hs.error().code(), base::ErrorCode::kUnauthenticated);
  for (const std::string& junk :
       std::vector<std::string>{"", "a", "a.b", "a.b.c", std::string(20000, 'A')}) {
    auto r = Verify(junk);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated);
  }
  // No message carries the token.
  const std::string token = SignJwt(impostor, "RS256", Corp());
  EXPECT_EQ(Verify(token).error().message().find(token.substr(token.rfind('.') + 1, 20)),
            std::string::npos);
}

TEST(OidcRoleArn, Forms) {
  EXPECT_EQ(ProviderNameFromRoleArn("arn:minio:iam:::role/corp"), "corp");
  EXPECT_EQ(ProviderNameFromRoleArn("arn:coffer:iam:::role/x"), "x");
  EXPECT_EQ(ProviderNameFromRoleArn("arn:aws:iam::000000000000:role/y"), "y");
  EXPECT_FALSE(ProviderNameFromRoleArn("arn:aws:iam::abc:role/y"));
  EXPECT_FALSE(ProviderNameFromRoleArn("arn:minio:iam:::role/"));
  EXPECT_FALSE(ProviderNameFromRoleArn("arn:aws:s3:::bucket"));
}

}  // namespace
}  // namespace coffer::core::sts
