#include "coffer/core/kms/kes_api.h"

#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/state/crypto.h"

#include "../storage/mem_env.h"

namespace coffer::core::kms {
namespace {

using storage::testing::MemEnv;
using Json = nlohmann::json;

const std::string kApp(64, 'a');
const std::string kOther(64, 'b');
const std::string kAdmin(64, 'c');
const std::string kStranger(64, 'd');

constexpr char kPolicies[] = R"(
admin = ["cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"]
[policy.app]
allow = ["/v1/key/create/app-*", "/v1/key/generate/app-*", "/v1/key/decrypt/app-*",
         "/v1/key/encrypt/app-*", "/v1/key/list/*", "/v1/status", "/v1/key/rotate/app-*",
         "/v1/key/rewrap/app-*"]
deny = ["/v1/key/decrypt/app-secret"]
identities = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
[policy.other]
allow = ["/v1/key/generate/other-*"]
identities = ["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]
)";

class KesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalKeyService::Open(env_, {"kms", base::Secret(std::string(32, 'r')), "t", "i"});
    ASSERT_TRUE(store.has_value());
    keys_ = std::move(store).value();
    auto policies = KesPolicySet::Parse(kPolicies, "policy.toml");
    ASSERT_TRUE(policies.has_value()) << policies.error().ToString();
    policies_ = std::move(policies).value();
    api_ = std::make_unique<KesApi>(
        env_, *keys_, policies_,
        [this](std::string_view line) {
          std::lock_guard lock(mu_);
          audit_.emplace_back(line);
        },
        "coffer-test");
  }

  HttpResponse Call(const std::string& identity, const std::string& method,
                    const std::string& target, const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.secure = true;
    r.remote_address = "127.0.0.1:5000";
    r.client_cert_spki_sha256 = identity;
    return api_->Handle(r);
  }

  MemEnv env_;
  std::unique_ptr<LocalKeyService> keys_;
  KesPolicySet policies_;
  std::unique_ptr<KesApi> api_;
  std::mutex mu_;
  std::vector<std::string> audit_;
};

std::string B64(std::string_view s) { return state::Base64Encode(s); }

TEST_F(KesApiTest, AllowedIdentityRoundTripsADataKey) {
  ASSERT_EQ(Call(kApp, "POST", "/v1/key/create/app-1").status, 200u);
  auto gen =
      Call(kApp, "POST", "/v1/key/generate/app-1", Json{{"context", B64("bucket/object")}}.dump());
  ASSERT_EQ(gen.status, 200u) << gen.body;
  Json g = Json::parse(gen.body);
  auto dec = Call(kApp, "POST", "/v1/key/decrypt/app-1",
                  Json{{"ciphertext", g["ciphertext"]}, {"context", B64("bucket/object")}}.dump());
  ASSERT_EQ(dec.status, 200u) << dec.body;
  EXPECT_EQ(Json::parse(dec.body)["plaintext"], g["plaintext"]);
  EXPECT_EQ(state::Base64Decode(g["plaintext"].get<std::string>())->size(), 32u);
  // Wrong context: 400, nothing opened.
  auto bad = Call(kApp, "POST", "/v1/key/decrypt/app-1",
                  Json{{"ciphertext", g["ciphertext"]}, {"context", B64("other")}}.dump());
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body.find("plaintext"), std::string::npos);
}

TEST_F(KesApiTest, UnknownIdentityIsForbiddenEverywhere) {
  EXPECT_EQ(Call(kStranger, "POST", "/v1/key/create/app-1").status, 403u);
  EXPECT_EQ(Call(kStranger, "GET", "/version").status, 403u);
  EXPECT_EQ(Call(kStranger, "GET", "/v1/nothing").status, 403u);
  EXPECT_EQ(Call("", "GET", "/v1/status").status, 403u);
}

TEST_F(KesApiTest, PolicyLimitsPathsAndKeys) {
  ASSERT_EQ(Call(kAdmin, "POST", "/v1/key/create/other-1").status, 200u);
  ASSERT_EQ(Call(kAdmin, "POST", "/v1/key/create/app-secret").status, 200u);
  // app may not touch other-* keys, nor create them.
  EXPECT_EQ(Call(kApp, "POST", "/v1/key/generate/other-1", "{}").status, 403u);
  EXPECT_EQ(Call(kApp, "POST", "/v1/key/create/other-2").status, 403u);
  // Deny beats allow.
  auto gen = Call(kApp, "POST", "/v1/key/generate/app-secret", "{}");
  ASSERT_EQ(gen.status, 200u);
  auto ct = Json::parse(gen.body)["ciphertext"];
  EXPECT_EQ(
      Call(kApp, "POST", "/v1/key/decrypt/app-secret", Json{{"ciphertext", ct}}.dump()).status,
      403u);
  // other may generate but not delete or decrypt.
  EXPECT_EQ(Call(kOther, "POST", "/v1/key/generate/other-1", "{}").status, 200u);
  EXPECT_EQ(Call(kOther, "DELETE", "/v1/key/delete/other-1").status, 403u);
  EXPECT_EQ(Call(kOther, "GET", "/v1/status").status, 403u);
  // Admin may do everything.
  EXPECT_EQ(Call(kAdmin, "DELETE", "/v1/key/delete/other-1").status, 200u);
  EXPECT_EQ(Call(kAdmin, "DELETE", "/v1/key/delete/other-1").status, 404u);
}

TEST_F(KesApiTest, StatusesFollowKes) {
  EXPECT_EQ(Call(kAdmin, "GET", "/v1/key/create/x").status, 405u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/generate/missing", "{}").status, 404u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/create/x").status, 200u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/create/x").status, 409u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/create/..").status, 400u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/generate/x", "not json").status, 400u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/generate/x", R"({"context":"***"})").status, 400u);
  EXPECT_EQ(Call(kAdmin, "POST", "/v1/key/decrypt/x", "{}").status, 400u);
  EXPECT_EQ(Call(kAdmin, "GET", "/v1/unknown").status, 404u);
  auto version = Call(kAdmin, "GET", "/version");
  EXPECT_EQ(version.status, 200u);
  EXPECT_EQ(Json::parse(version.body)["version"], "coffer-test");
  auto status = Call(kApp, "GET", "/v1/status");
  EXPECT_EQ(status.status, 200u);
  EXPECT_EQ(Json::parse(status.body)["kms"]["state"], "reachable");
}

TEST_F(KesApiTest, ImportEncryptListRotateRewrap) {
  const std::string key(32, 'K');
  ASSERT_EQ(Call(kAdmin, "POST", "/v1/key/import/app-imp", Json{{"bytes", B64(key)}}.dump()).status,
            200u);
  EXPECT_EQ(
      Call(kAdmin, "POST", "/v1/key/import/app-short", Json{{"bytes", B64("x")}}.dump()).status,
      400u);
  auto enc = Call(kApp, "POST", "/v1/key/encrypt/app-imp", Json{{"plaintext", B64("hi")}}.dump());
  ASSERT_EQ(enc.status, 200u);
  auto ct = Json::parse(enc.body)["ciphertext"];
  auto rot = Call(kApp, "POST", "/v1/key/rotate/app-imp");
  ASSERT_EQ(rot.status, 200u);
  EXPECT_EQ(Json::parse(rot.body)["latest_version"], 2);
  auto dec = Call(kApp, "POST", "/v1/key/decrypt/app-imp", Json{{"ciphertext", ct}}.dump());
  ASSERT_EQ(dec.status, 200u);
  EXPECT_EQ(Json::parse(dec.body)["plaintext"], B64("hi"));
  auto rewrap = Call(kApp, "POST", "/v1/key/rewrap/app-imp", Json{{"ciphertext", ct}}.dump());
  ASSERT_EQ(rewrap.status, 200u);
  auto raw = state::Base64Decode(Json::parse(rewrap.body)["ciphertext"].get<std::string>());
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(LocalKeyService::CiphertextVersion(*raw).value(), 2u);
  auto list = Call(kApp, "GET", "/v1/key/list/app-*");
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.body, "{\"latest_version\":2,\"name\":\"app-imp\"}\n");
}

TEST_F(KesApiTest, AuditLinesNameCallsButNeverKeyMaterial) {
  ASSERT_EQ(Call(kApp, "POST", "/v1/key/create/app-a").status, 200u);
  auto gen = Call(kApp, "POST", "/v1/key/generate/app-a", "{}");
  ASSERT_EQ(gen.status, 200u);
  Call(kStranger, "POST", "/v1/key/generate/app-a", "{}");
  const std::string plaintext = Json::parse(gen.body)["plaintext"];
  std::lock_guard lock(mu_);
  ASSERT_EQ(audit_.size(), 3u);
  for (const auto& line : audit_) {
    EXPECT_EQ(line.find(plaintext), std::string::npos);
    Json j = Json::parse(line);
    EXPECT_EQ(j["request"]["key"], "app-a");
  }
  Json second = Json::parse(audit_[1]);
  EXPECT_EQ(second["request"]["identity"], kApp);
  EXPECT_EQ(second["request"]["api"], "key/generate");
  EXPECT_EQ(second["response"]["code"], 200);
  EXPECT_EQ(Json::parse(audit_[2])["response"]["code"], 403);
}

TEST(KesPolicy, PathPatternsDoNotCrossSlashes) {
  EXPECT_TRUE(KesPathMatches("/v1/key/generate/app-*", "/v1/key/generate/app-1"));
  EXPECT_FALSE(KesPathMatches("/v1/key/generate/app-*", "/v1/key/generate/other"));
  EXPECT_FALSE(KesPathMatches("/v1/key/*", "/v1/key/generate/app-1"));
  EXPECT_TRUE(KesPathMatches("/v1/key/*/app-1", "/v1/key/generate/app-1"));
  EXPECT_FALSE(KesPathMatches("/v1/key/generate/app-?", "/v1/key/generate/app-12"));
  EXPECT_TRUE(KesPathMatches("/v1/status", "/v1/status"));
}

TEST(KesPolicy, BadFilesAreRefusedWithPositions) {
  auto bad_toml = KesPolicySet::Parse("[policy.x\n", "p.toml");
  ASSERT_FALSE(bad_toml.has_value());
  EXPECT_NE(bad_toml.error().message().find("p.toml:"), std::string::npos);
  EXPECT_FALSE(KesPolicySet::Parse("[policy.x]\nidentities=[\"short\"]\n", "p").has_value());
  EXPECT_FALSE(KesPolicySet::Parse("[policy.x]\nallow=[\"no-slash\"]\n", "p").has_value());
  EXPECT_FALSE(KesPolicySet::Parse("[policy.x]\nallwo=[]\n", "p").has_value());
  const std::string id(64, 'e');
  EXPECT_FALSE(KesPolicySet::Parse("[policy.x]\nidentities=[\"" + id + "\"]\n[policy.y]\n" +
                                       "identities=[\"" + id + "\"]\n",
                                   "p")
                   .has_value());
  auto ok = KesPolicySet::Parse("[policy.x]\nidentities=[\"" + id + "\"]\n", "p");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->PolicyOf(id), "x");
  EXPECT_EQ(ok->Decide(id, "/v1/status"), KesDecision::kDenied);
}

}  // namespace
}  // namespace coffer::core::kms
