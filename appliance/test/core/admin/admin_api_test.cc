// The admin API's service accounts through the S3 harness: created, listed
// and deleted over SigV4-signed JSON requests, then used (or refused) by the
// S3 API on the very next request, with the parent's policies narrowed by the
// account's own and MinIO's rules on who may manage whose accounts.

#include "coffer/core/admin/admin_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../s3/harness.h"

namespace coffer::core::admin {
namespace {

using nlohmann::json;
using s3::testing::Response;
using s3::testing::S3Harness;
using s3::testing::SendOptions;

constexpr const char* kConfig = R"(
[users.alice]
secret = "env:ALICE"
policies = ["photos-rw"]
[users.bob]
secret = "env:BOB"
policies = ["photos-rw"]
[users.ops]
secret = "env:OPS"
policies = ["sa-admin"]
[users.off]
secret = "env:OFF"
enabled = false
policies = ["photos-rw"]
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}]}'''
[policies.sa-admin]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["admin:CreateServiceAccount","admin:ListServiceAccounts",
            "admin:RemoveServiceAccount"]}]}'''
[users.lanops]
secret = "env:LANOPS"
policies = ["sa-admin-lan"]
[policies.sa-admin-lan]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":"admin:ListServiceAccounts",
  "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}'''
[buckets.photos]
[buckets.scratch]
)";

const std::map<std::string, std::string> kSecrets = {{"ALICE", "alice-secret-key"},
                                                     {"BOB", "bob-secret-key"},
                                                     {"OPS", "ops-secret-key"},
                                                     {"OFF", "off-secret-key"},
                                                     {"LANOPS", "lanops-secret-key"}};

constexpr std::string_view kPath = "/coffer/admin/v1/service-accounts";

SendOptions As(const std::string& key, const std::string& secret) {
  SendOptions o;
  o.access_key = key;
  o.secret_key = secret;
  return o;
}

SendOptions AsUser(const std::string& user) { return As(user, user + "-secret-key"); }

std::string JsonCode(const Response& r) {
  json doc = json::parse(r.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("Code")) return "";
  return doc["Code"].get<std::string>();
}

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.MakeBucket("photos");
    h_.MakeBucket("scratch");
    ASSERT_EQ(h_.Put("/photos/a", "data").status, 200u);
    auto s = h_.InstallConfig(kConfig, kSecrets);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    runtime_ = std::make_unique<s3::StoreRuntime>(h_.live(), h_.env().clock());
    state::LiveStore* live = &h_.live();
    auto api =
        AdminApi::Create(h_.env(), [live] { return live->Current(); }, *runtime_,
                         s3::RootCredential{std::string(s3::testing::kRootAccessKey),
                                            base::Secret(std::string(s3::testing::kRootSecretKey))},
                         {});
    ASSERT_TRUE(api.has_value()) << api.error().ToString();
    admin_ = std::move(api).value();
  }

  // An admin request signed as `options` (root when its keys are empty).
  Response Admin(std::string_view method, std::string_view target, std::string body = "",
                 SendOptions options = {}) {
    options.handler = admin_.get();
    HeaderList headers;
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return h_.Send(method, target, std::move(headers), std::move(body), options);
  }

  // Creates a service account as `options`; asserts success and returns the
  // answer.
  json CreateSa(const json& request, SendOptions options = {}) {
    Response r = Admin("POST", kPath, request.dump(), options);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(r.Header("cache-control"), "no-store");
    json doc = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded());
    return doc;
  }

  static SendOptions AsSa(const json& sa) {
    return As(sa["accessKey"].get<std::string>(), sa["secretKey"].get<std::string>());
  }

  S3Harness h_;
  std::unique_ptr<s3::StoreRuntime> runtime_;
  std::unique_ptr<AdminApi> admin_;
};

TEST_F(AdminApiTest, UserCreatesItsOwnAndItsSecretWorksForS3Immediately) {
  json sa = CreateSa(json::object(), AsUser("alice"));
  EXPECT_EQ(sa["parent"], "alice");
  EXPECT_TRUE(sa["expiration"].is_null());
  const std::string key = sa["accessKey"];
  const std::string secret = sa["secretKey"];
  EXPECT_EQ(key.size(), 20u);
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_EQ(h_.Send("PUT", "/photos/by-sa", {}, "x", AsSa(sa)).status, 200u);
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(sa)).body, "data");
  // The parent's limits hold: alice has nothing on scratch.
  EXPECT_EQ(h_.Send("PUT", "/scratch/x", {}, "x", AsSa(sa)).status, 403u);
  // A second generated account gets different keys.
  json other = CreateSa(json::object(), AsUser("alice"));
  EXPECT_NE(other["accessKey"], sa["accessKey"]);
  EXPECT_NE(other["secretKey"], sa["secretKey"]);
}

TEST_F(AdminApiTest, OwnPolicyNarrowsTheParentsPolicies) {
  json request = {{"accessKey", "alice-reader"},
                  {"secretKey", "alice-reader-secret"},
                  {"description", "read-only photos"},
                  {"policy",
                   {{"Version", "2012-10-17"},
                    {"Statement",
                     {{{"Effect", "Allow"},
                       {"Action", {"s3:GetObject", "s3:PutObject"}},
                       {"Resource", {"arn:aws:s3:::photos/read/*", "arn:aws:s3:::scratch/*"}}},
                      {{"Effect", "Allow"},
                       {"Action", {"s3:GetObject"}},
                       {"Resource", {"arn:aws:s3:::photos/*"}}}}}}}};
  json sa = CreateSa(request, AsUser("alice"));
  EXPECT_EQ(sa["accessKey"], "alice-reader");
  EXPECT_EQ(sa["secretKey"], "alice-reader-secret");
  const SendOptions as_sa = AsSa(sa);
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", as_sa).status, 200u);
  // Allowed to alice, outside the account's policy: denied.
  Response put = h_.Send("PUT", "/photos/other", {}, "x", as_sa);
  EXPECT_EQ(put.status, 403u);
  EXPECT_EQ(put.Code(), "AccessDenied");
  EXPECT_EQ(h_.Send("PUT", "/photos/other", {}, "x", AsUser("alice")).status, 200u);
  // Inside both: allowed.
  EXPECT_EQ(h_.Send("PUT", "/photos/read/x", {}, "x", as_sa).status, 200u);
  // In the account's policy but not alice's: the intersection denies.
  EXPECT_EQ(h_.Send("PUT", "/scratch/x", {}, "x", as_sa).status, 403u);
}

TEST_F(AdminApiTest, ListShowsNoSecretsAndOnlyWhatTheCallerMaySee) {
  CreateSa({{"accessKey", "alice-one"}, {"secretKey", "alice-one-secret"}}, AsUser("alice"));
  CreateSa({{"accessKey", "alice-two"},
            {"secretKey", "alice-two-secret"},
            {"expiration", "2030-01-02T03:04:05Z"},
            {"policy",
             {{"Version", "2012-10-17"},
              {"Statement",
               {{{"Effect", "Allow"},
                 {"Action", "s3:GetObject"},
                 {"Resource", "arn:aws:s3:::photos/*"}}}}}}},
           AsUser("alice"));
  CreateSa({{"accessKey", "bob-one"}, {"secretKey", "bob-one-secret"}}, AsUser("bob"));

  Response mine = Admin("GET", kPath, "", AsUser("alice"));
  ASSERT_EQ(mine.status, 200u) << mine.body;
  EXPECT_EQ(mine.body.find("secret"), std::string::npos) << mine.body;
  json doc = json::parse(mine.body);
  ASSERT_EQ(doc["accounts"].size(), 2u);
  EXPECT_EQ(doc["accounts"][0]["accessKey"], "alice-one");
  EXPECT_EQ(doc["accounts"][0]["parent"], "alice");
  EXPECT_TRUE(doc["accounts"][0]["expiration"].is_null());
  EXPECT_TRUE(doc["accounts"][0]["policy"].is_null());
  EXPECT_EQ(doc["accounts"][1]["accessKey"], "alice-two");
  EXPECT_EQ(doc["accounts"][1]["expiration"], "2030-01-02T03:04:05.000Z");
  EXPECT_EQ(doc["accounts"][1]["policy"]["Statement"][0]["Action"], "s3:GetObject");
  EXPECT_EQ(doc["accounts"][1]["enabled"], true);

  // Another user's: only with admin:ListServiceAccounts.
  Response theirs = Admin("GET", std::string(kPath) + "?user=bob", "", AsUser("alice"));
  EXPECT_EQ(theirs.status, 403u);
  EXPECT_EQ(JsonCode(theirs), "AccessDenied");
  Response ops = Admin("GET", std::string(kPath) + "?user=bob", "", AsUser("ops"));
  ASSERT_EQ(ops.status, 200u);
  EXPECT_EQ(json::parse(ops.body)["accounts"].size(), 1u);
  // Root sees every account.
  Response all = Admin("GET", kPath);
  ASSERT_EQ(all.status, 200u);
  EXPECT_EQ(json::parse(all.body)["accounts"].size(), 3u);
  EXPECT_EQ(all.body.find("secret"), std::string::npos);
}

TEST_F(AdminApiTest, DeletedKeyStopsWorkingOnTheNextRequest) {
  json sa = CreateSa(json::object(), AsUser("alice"));
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(sa)).status, 200u);
  const std::string target = std::string(kPath) + "/" + sa["accessKey"].get<std::string>();
  Response del = Admin("DELETE", target, "", AsUser("alice"));
  EXPECT_EQ(del.status, 204u) << del.body;
  EXPECT_TRUE(del.body.empty());
  Response after = h_.Send("GET", "/photos/a", {}, "", AsSa(sa));
  EXPECT_EQ(after.status, 403u);
  EXPECT_EQ(after.Code(), "InvalidAccessKeyId");
  Response again = Admin("DELETE", target, "", AsUser("alice"));
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(JsonCode(again), "NoSuchServiceAccount");
}

TEST_F(AdminApiTest, DisablingTheParentInTheConfigKillsTheAccount) {
  json sa = CreateSa(json::object(), AsUser("alice"));
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(sa)).status, 200u);
  std::string disabled = kConfig;
  const std::string needle = "[users.alice]\n";
  disabled.insert(disabled.find(needle) + needle.size(), "enabled = false\n");
  ASSERT_TRUE(h_.InstallConfig(disabled, kSecrets).has_value());
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(sa)).status, 403u);
  // Enabled again, the account comes back: it was never deleted.
  ASSERT_TRUE(h_.InstallConfig(kConfig, kSecrets).has_value());
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(sa)).status, 200u);
}

TEST_F(AdminApiTest, AnotherUsersAccountsNeedAdminActions) {
  Response r = Admin("POST", kPath, json{{"parent", "bob"}}.dump(), AsUser("alice"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(JsonCode(r), "AccessDenied");
  json bobs = CreateSa({{"parent", "bob"}}, AsUser("ops"));
  EXPECT_EQ(bobs["parent"], "bob");
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(bobs)).status, 200u);
  const std::string target = std::string(kPath) + "/" + bobs["accessKey"].get<std::string>();
  EXPECT_EQ(Admin("DELETE", target, "", AsUser("alice")).status, 403u);
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(bobs)).status, 200u);
  EXPECT_EQ(Admin("DELETE", target, "", AsUser("ops")).status, 204u);
  // Root may do all, but names the parent (root owns no service accounts).
  EXPECT_EQ(CreateSa({{"parent", "alice"}})["parent"], "alice");
  EXPECT_EQ(Admin("POST", kPath, "{}").status, 400u);
  // The parent must exist and be enabled.
  EXPECT_EQ(Admin("POST", kPath, json{{"parent", "nobody"}}.dump()).status, 400u);
  EXPECT_EQ(Admin("POST", kPath, json{{"parent", "off"}}.dump()).status, 400u);
  // A disabled user cannot act at all.
  EXPECT_EQ(Admin("POST", kPath, "{}", AsUser("off")).status, 403u);
}

TEST_F(AdminApiTest, AdminActionsSeeTheRequestsConditionContext) {
  const std::string target = std::string(kPath) + "?user=bob";
  SendOptions from_lan = AsUser("lanops");
  from_lan.remote_address = "10.1.2.3:40000";
  EXPECT_EQ(Admin("GET", target, "", from_lan).status, 200u);
  EXPECT_EQ(Admin("GET", target, "", AsUser("lanops")).status, 403u);  // From 127.0.0.1.
  // The condition allows listing only.
  EXPECT_EQ(Admin("POST", kPath, json{{"parent", "bob"}}.dump(), from_lan).status, 403u);
}

TEST_F(AdminApiTest, ServiceAccountsCannotManageServiceAccounts) {
  json sa = CreateSa(json::object(), AsUser("alice"));
  Response create = Admin("POST", kPath, "{}", AsSa(sa));
  EXPECT_EQ(create.status, 403u);
  EXPECT_EQ(JsonCode(create), "AccessDenied");
  EXPECT_EQ(Admin("GET", kPath, "", AsSa(sa)).status, 403u);
  const std::string target = std::string(kPath) + "/" + sa["accessKey"].get<std::string>();
  EXPECT_EQ(Admin("DELETE", target, "", AsSa(sa)).status, 403u);
  // Even an account of an admin parent.
  json ops_sa = CreateSa(json::object(), AsUser("ops"));
  EXPECT_EQ(Admin("POST", kPath, json{{"parent", "bob"}}.dump(), AsSa(ops_sa)).status, 403u);
}

TEST_F(AdminApiTest, BadRequestsAreJsonErrors) {
  Response bad = Admin("POST", kPath, "{not json", AsUser("alice"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(JsonCode(bad), "MalformedJSON");
  EXPECT_EQ(json::parse(bad.body)["RequestId"], bad.Header("x-amz-request-id"));
  EXPECT_EQ(Admin("POST", kPath, "[1,2]", AsUser("alice")).status, 400u);
  EXPECT_EQ(Admin("POST", kPath, R"({"accessKey": 7})", AsUser("alice")).status, 400u);
  Response policy = Admin(
      "POST", kPath, R"({"policy": {"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}})",
      AsUser("alice"));
  EXPECT_EQ(policy.status, 400u);
  EXPECT_EQ(JsonCode(policy), "MalformedPolicy");
  EXPECT_EQ(Admin("POST", kPath, R"({"expiration": "tomorrow"})", AsUser("alice")).status, 400u);
  EXPECT_EQ(
      Admin("POST", kPath, R"({"expiration": "2000-01-01T00:00:00Z"})", AsUser("alice")).status,
      400u);
  EXPECT_EQ(Admin("POST", kPath, R"({"accessKey": "a/b"})", AsUser("alice")).status, 400u);
  EXPECT_EQ(Admin("POST", kPath, R"({"secretKey": "short"})", AsUser("alice")).status, 400u);
  // Taken keys: a user's, another account's, root's.
  EXPECT_EQ(Admin("POST", kPath, R"({"accessKey": "bob"})", AsUser("alice")).status, 409u);
  EXPECT_EQ(
      Admin("POST", kPath, json{{"accessKey", std::string(s3::testing::kRootAccessKey)}}.dump(),
            AsUser("alice"))
          .status,
      409u);
  Response unknown = Admin("GET", "/coffer/admin/v1/nothing-here", "", AsUser("alice"));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(JsonCode(unknown), "NotFound");
  EXPECT_EQ(Admin("PUT", kPath, "{}", AsUser("alice")).status, 405u);
  // Nothing was created by any of these.
  EXPECT_EQ(json::parse(Admin("GET", kPath).body)["accounts"].size(), 0u);
}

TEST_F(AdminApiTest, RequestsAreAuthenticatedAsS3Requests) {
  SendOptions anonymous;
  anonymous.auth = s3::testing::AuthMode::kAnonymous;
  Response anon = Admin("GET", kPath, "", anonymous);
  EXPECT_EQ(anon.status, 403u);
  EXPECT_EQ(JsonCode(anon), "AccessDenied");
  Response forged = Admin("GET", kPath, "", As("alice", "wrong-secret-key"));
  EXPECT_EQ(forged.status, 403u);
  EXPECT_EQ(JsonCode(forged), "SignatureDoesNotMatch");
  Response unknown = Admin("GET", kPath, "", As("nobody", "nobody-secret"));
  EXPECT_EQ(JsonCode(unknown), "InvalidAccessKeyId");
  // A body that does not match its signed hash is refused before parsing.
  SendOptions forged_body = AsUser("alice");
  forged_body.payload_hash = std::string(64, '0');
  Response tampered = Admin("POST", kPath, "{}", forged_body);
  EXPECT_EQ(tampered.status, 400u);
  EXPECT_EQ(json::parse(Admin("GET", kPath).body)["accounts"].size(), 0u);
}

TEST_F(AdminApiTest, ExpiredAccountsAreRefused) {
  const std::string expiry = env::FormatRfc3339(h_.env().Now() + std::chrono::hours(1));
  json sa = CreateSa({{"expiration", expiry}}, AsUser("alice"));
  EXPECT_EQ(sa["expiration"], expiry);
  EXPECT_EQ(h_.Send("GET", "/photos/a", {}, "", AsSa(sa)).status, 200u);
  h_.env().Advance(std::chrono::hours(2));
  Response late = h_.Send("GET", "/photos/a", {}, "", AsSa(sa));
  EXPECT_EQ(late.status, 400u);  // S3 answers ExpiredToken with 400.
  EXPECT_EQ(late.Code(), "ExpiredToken");
}

}  // namespace
}  // namespace coffer::core::admin
