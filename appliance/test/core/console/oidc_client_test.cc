// The console's OIDC relying party (OidcClient) against a snapshot built from
// a config repo, a scripted provider (discovery + token endpoint) and a
// recording STS seam: which providers are offered, what the token request
// carries (PKCE verifier, redirect_uri, client authentication per the
// discovery document), the nonce check, and that the ID token goes unchanged
// to AssumeRoleWithWebIdentity for the provider named in the RoleArn.

#include "coffer/core/console/oidc_client.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/sts/jwt.h"
#include "coffer/state/apply.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace coffer::core::console {
namespace {

using nlohmann::json;
using state::testing::TempDir;

constexpr std::string_view kConfig = R"(
[users.admin]
secret = "env:CORP_SECRET"
policies = ["consoleAdmin"]

[policies.photos-read]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}'

[identity.oidc.corp]
issuer = "https://idp.example"
client_id = "coffer console"
client_secret = "env:CORP_SECRET"
redirect_uri = "https://coffer.example/console/oidc/callback"
scopes = ["profile"]
discovery_url = "https://idp.example/.well-known/openid-configuration"

[identity.oidc.postonly]
issuer = "https://post.example"
client_id = "pc"
client_secret = "env:CORP_SECRET"
redirect_uri = "https://coffer.example/console/oidc/callback"
discovery_url = "https://post.example/.well-known/openid-configuration"

[identity.oidc.public]
issuer = "https://pub.example"
client_id = "spa"
redirect_uri = "https://coffer.example/console/oidc/callback"
discovery_url = "https://pub.example/.well-known/openid-configuration"

[identity.oidc.noredirect]
issuer = "https://nr.example"
client_id = "x"
discovery_url = "https://nr.example/.well-known/openid-configuration"

[identity.oidc.down]
issuer = "https://down.example"
client_id = "x"
redirect_uri = "https://coffer.example/console/oidc/callback"
discovery_url = "https://down.example/.well-known/openid-configuration"

[identity.oidc.nocode]
issuer = "https://nocode.example"
client_id = "x"
redirect_uri = "https://coffer.example/console/oidc/callback"
discovery_url = "https://nocode.example/.well-known/openid-configuration"
)";

std::string IdToken(const json& claims) {
  return sts::EncodeBase64Url(R"({"alg":"RS256","kid":"k"})") + "." +
         sts::EncodeBase64Url(claims.dump()) + ".c2lnbmF0dXJl";
}

struct Post {
  std::string url, form, authorization;
};

class FakeProvider final : public env::DocumentFetcher {
 public:
  base::Result<std::string> Get(std::string_view url, const env::FetchLimits&) override {
    ++gets[std::string(url)];
    auto it = docs.find(std::string(url));
    if (it == docs.end()) return base::Unavailable("no route");
    return it->second;
  }
  base::Result<std::string> PostForm(std::string_view url, const base::Secret& form,
                                     const base::Secret& authorization,
                                     const env::FetchLimits&) override {
    posts.push_back(
        {std::string(url), std::string(form.Reveal()), std::string(authorization.Reveal())});
    if (!token_answer) return token_answer.error();
    return *token_answer;
  }
  std::map<std::string, std::string> docs;
  std::map<std::string, int> gets;
  std::vector<Post> posts;
  base::Result<std::string> token_answer = std::string();
};

class FakePrincipal final : public Principal {
 public:
  explicit FakePrincipal(std::string key) : key_(std::move(key)) {}
  std::string DisplayName() const override { return "oidc session"; }
  std::string AccessKey() const override { return key_; }

 private:
  std::string key_;
};

class FakeBackend final : public Backend {
 public:
  base::Result<std::shared_ptr<const Principal>> Login(std::string_view access_key,
                                                       const base::Secret& secret,
                                                       std::string_view session_token) override {
    logins.push_back(std::string(access_key) + "|" + std::string(secret.Reveal()) + "|" +
                     std::string(session_token));
    return std::shared_ptr<const Principal>(
        std::make_shared<FakePrincipal>(std::string(access_key)));
  }
  void ServeAs(const Principal&, const HttpRequest&, BodyReader&, ResponseWriter&) override {}
  std::vector<std::string> logins;
};

json Discovery(const std::string& base, const json& methods = nullptr) {
  json d = {{"issuer", base},
            {"authorization_endpoint", base + "/auth"},
            {"token_endpoint", base + "/token"},
            {"jwks_uri", base + "/jwks"}};
  if (!methods.is_null()) d["token_endpoint_auth_methods_supported"] = methods;
  return d;
}

class OidcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TempDir tmp;
    auto store = state::Store::Open(tmp.Path("iam.db"), {});
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    key_ = std::make_unique<state::MasterKey>(state::MasterKey::Generate(random_));
    state::ConfigLoad load =
        state::LoadConfig(state::testing::Tree({{"c.toml", std::string(kConfig)}}));
    ASSERT_TRUE(load.ok()) << state::FormatErrors(load.errors);
    auto resolver = state::testing::MapResolver({{"CORP_SECRET", "s3cr3t:&=+"}});
    auto desired = state::BuildDesiredRecords(load.state, resolver, *key_);
    ASSERT_TRUE(desired.has_value()) << desired.error().ToString();
    auto applied = state::Apply(**store, *desired, *key_, random_, state::ApplyOptions{});
    ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
    auto snap = state::BuildSnapshot(**store, *key_, 1, base::WallTime{});
    ASSERT_TRUE(snap.has_value()) << snap.error().ToString();
    snapshot_ = *snap;

    provider_.docs["https://idp.example/.well-known/openid-configuration"] =
        Discovery("https://idp.example").dump();
    provider_.docs["https://post.example/.well-known/openid-configuration"] =
        Discovery("https://post.example", {"client_secret_post", "private_key_jwt"}).dump();
    provider_.docs["https://pub.example/.well-known/openid-configuration"] =
        Discovery("https://pub.example", {"none"}).dump();
    provider_.docs["https://nr.example/.well-known/openid-configuration"] =
        Discovery("https://nr.example").dump();
    json nocode = Discovery("https://nocode.example");
    nocode.erase("token_endpoint");
    provider_.docs["https://nocode.example/.well-known/openid-configuration"] = nocode.dump();

    client_ = std::make_unique<OidcClient>(
        [this] { return snapshot_; }, [this] { return now_; }, provider_,
        [this](const base::Secret& token,
               std::string_view arn) -> base::Result<WebIdentityCredentials> {
          assumed_.push_back({std::string(token.Reveal()), std::string(arn)});
          if (!sts_answer_.has_value()) return sts_answer_.error();
          WebIdentityCredentials c;
          c.access_key = "ASIATEMP";
          c.secret_key = base::Secret("temp-secret");
          c.session_token = base::Secret("sealed-token");
          return c;
        },
        backend_);
  }

  OidcCode Code(std::string provider = "corp") {
    OidcCode c;
    c.provider = std::move(provider);
    c.code = "the code/+";
    c.code_verifier = "verifier-abc_DEF";
    c.redirect_uri = "https://coffer.example/console/oidc/callback";
    c.nonce = "nonce-123";
    return c;
  }

  void AnswerWithToken(const json& claims) {
    provider_.token_answer =
        json{{"access_token", "at"}, {"token_type", "Bearer"}, {"id_token", IdToken(claims)}}
            .dump();
  }

  state::testing::TestRandom random_;
  std::unique_ptr<state::MasterKey> key_;
  std::shared_ptr<const state::Snapshot> snapshot_;
  base::WallTime now_{std::chrono::seconds(1'800'000'000)};
  FakeProvider provider_;
  FakeBackend backend_;
  std::vector<std::pair<std::string, std::string>> assumed_;
  base::Status sts_answer_ = base::Ok();
  std::unique_ptr<OidcClient> client_;
};

TEST_F(OidcClientTest, OffersProvidersWithRedirectUriAndBothEndpoints) {
  auto providers = client_->Providers();
  std::vector<std::string> names;
  for (const auto& p : providers) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"corp", "postonly", "public"}));
  const OidcProvider& corp = providers[0];
  EXPECT_EQ(corp.authorization_endpoint, "https://idp.example/auth");
  EXPECT_EQ(corp.client_id, "coffer console");
  EXPECT_EQ(corp.scopes, "openid profile");
  EXPECT_EQ(corp.redirect_uri, "https://coffer.example/console/oidc/callback");
}

TEST_F(OidcClientTest, DiscoveryIsCachedAndAFailureIsNotRetriedAtOnce) {
  client_->Providers();
  client_->Providers();
  EXPECT_EQ(provider_.gets["https://idp.example/.well-known/openid-configuration"], 1);
  EXPECT_EQ(provider_.gets["https://down.example/.well-known/openid-configuration"], 1);
  now_ += std::chrono::seconds(31);
  client_->Providers();
  EXPECT_EQ(provider_.gets["https://idp.example/.well-known/openid-configuration"], 1);
  EXPECT_EQ(provider_.gets["https://down.example/.well-known/openid-configuration"], 2);
  // The provider comes up: offered after the retry interval.
  provider_.docs["https://down.example/.well-known/openid-configuration"] =
      Discovery("https://down.example").dump();
  now_ += std::chrono::seconds(31);
  EXPECT_EQ(client_->Providers().size(), 4u);
  // Past the TTL the document is fetched again; a failed refresh keeps it.
  provider_.docs.erase("https://idp.example/.well-known/openid-configuration");
  now_ += std::chrono::seconds(3601);
  EXPECT_EQ(client_->Providers().size(), 4u);
  EXPECT_EQ(provider_.gets["https://idp.example/.well-known/openid-configuration"], 2);
}

TEST_F(OidcClientTest, RedeemsTheCodeWithPkceAndBasicAuthThenAssumesWebIdentity) {
  AnswerWithToken({{"iss", "https://idp.example"}, {"sub", "alice"}, {"nonce", "nonce-123"}});
  auto principal = client_->Exchange(Code());
  ASSERT_TRUE(principal.has_value()) << principal.error().ToString();
  EXPECT_EQ((*principal)->AccessKey(), "ASIATEMP");
  ASSERT_EQ(provider_.posts.size(), 1u);
  const Post& post = provider_.posts[0];
  EXPECT_EQ(post.url, "https://idp.example/token");
  EXPECT_EQ(post.form,
            "grant_type=authorization_code&code=the%20code%2F%2B"
            "&redirect_uri=https%3A%2F%2Fcoffer.example%2Fconsole%2Foidc%2Fcallback"
            "&code_verifier=verifier-abc_DEF");
  // base64("coffer%20console:s3cr3t%3A%26%3D%2B")
  EXPECT_EQ(post.authorization, "Basic Y29mZmVyJTIwY29uc29sZTpzM2NyM3QlM0ElMjYlM0QlMkI=");
  ASSERT_EQ(assumed_.size(), 1u);
  EXPECT_EQ(assumed_[0].second, "arn:coffer:iam:::role/corp");
  EXPECT_EQ(assumed_[0].first,
            IdToken({{"iss", "https://idp.example"}, {"sub", "alice"}, {"nonce", "nonce-123"}}));
  EXPECT_EQ(backend_.logins, (std::vector<std::string>{"ASIATEMP|temp-secret|sealed-token"}));
}

TEST_F(OidcClientTest, ClientSecretPostAndPublicClients) {
  AnswerWithToken({{"sub", "alice"}, {"nonce", "nonce-123"}});
  OidcCode earlier = Code("postonly");
  earlier.redirect_uri = "https://old.example/console/oidc/callback";
  ASSERT_TRUE(client_->Exchange(earlier).has_value());
  ASSERT_TRUE(client_->Exchange(Code("public")).has_value());
  ASSERT_EQ(provider_.posts.size(), 2u);
  EXPECT_EQ(provider_.posts[0].authorization, "");
  EXPECT_NE(provider_.posts[0].form.find("&client_id=pc&client_secret=s3cr3t%3A%26%3D%2B"),
            std::string::npos);
  // The token request repeats the authorization request's redirect_uri.
  EXPECT_NE(provider_.posts[0].form.find(
                "&redirect_uri=https%3A%2F%2Fold.example%2Fconsole%2Foidc%2Fcallback&"),
            std::string::npos);
  EXPECT_EQ(provider_.posts[1].authorization, "");
  EXPECT_NE(provider_.posts[1].form.find("&client_id=spa"), std::string::npos);
  EXPECT_EQ(provider_.posts[1].form.find("client_secret"), std::string::npos);
}

TEST_F(OidcClientTest, AWrongOrMissingNonceIsRefusedBeforeAnySessionIsMinted) {
  AnswerWithToken({{"sub", "alice"}, {"nonce", "someone-elses"}});
  auto wrong = client_->Exchange(Code());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), base::ErrorCode::kUnauthenticated);
  AnswerWithToken({{"sub", "alice"}});
  auto missing = client_->Exchange(Code());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kUnauthenticated);
  EXPECT_TRUE(assumed_.empty());
  EXPECT_TRUE(backend_.logins.empty());
}

TEST_F(OidcClientTest, RefusalsOfTheProviderAndOfStsEndTheLogin) {
  provider_.token_answer = base::Unavailable("HTTP status 400 (invalid_grant)");
  auto refused = client_->Exchange(Code());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), base::ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message().find("the code"), std::string::npos);

  provider_.token_answer = json{{"access_token", "at"}}.dump();
  auto no_id_token = client_->Exchange(Code());
  ASSERT_FALSE(no_id_token.has_value());
  EXPECT_EQ(no_id_token.error().code(), base::ErrorCode::kUnauthenticated);

  AnswerWithToken({{"sub", "alice"}, {"nonce", "nonce-123"}});
  sts_answer_ = base::PermissionDenied("no policy applies");
  auto denied = client_->Exchange(Code());
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code(), base::ErrorCode::kPermissionDenied);
  EXPECT_TRUE(backend_.logins.empty());

  for (const char* name : {"nope", "noredirect", "nocode"}) {
    auto unusable = client_->Exchange(Code(name));
    EXPECT_FALSE(unusable.has_value()) << name;
  }
  EXPECT_EQ(provider_.posts.size(), 3u);  // Nothing was posted for unusable providers.
}

}  // namespace
}  // namespace coffer::core::console
