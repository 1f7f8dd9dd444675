// STS sessions and the admin API (issues #10, #14), through the S3 harness:
//   - revocation takes effect on the very next request: through the admin API
//     (the snapshot is swapped before it answers) and through another process
//     writing the store (`coffer admin sts revoke --store`), which the daemon's
//     ExternalWriteWatcher notices on its next poll;
//   - the admin API lists sessions (never secrets or tokens) and revokes one
//     or every session of a user, with MinIO's rules on whose;
//   - STS session credentials are authenticated on the admin API and
//     authorized by their effective policy (parent ∩ session policy): a
//     session policy never widens, and a narrowed session never mints a
//     service account with its parent's rights.

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/admin/admin_api.h"
#include "coffer/core/s3/store_runtime.h"
#include "coffer/core/sts/store_sessions.h"
#include "coffer/core/sts/sts_api.h"
#include "coffer/state/snapshot.h"

#include "../s3/harness.h"

namespace coffer::core::sts {
namespace {

using nlohmann::json;
using s3::testing::kRootAccessKey;
using s3::testing::kRootSecretKey;
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
policies = ["photos-rw", "sts-admin"]
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}]}'''
[policies.sts-admin]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["admin:ListTemporaryAccounts","admin:RemoveServiceAccount",
            "admin:CreateServiceAccount","admin:ListServiceAccounts"]}]}'''
[buckets.photos]
)";

const std::map<std::string, std::string> kSecrets = {
    {"ALICE", "alice-secret-key"}, {"BOB", "bob-secret-key"}, {"OPS", "ops-secret-key"}};

constexpr std::string_view kSessions = "/coffer/admin/v1/sts-sessions";
constexpr std::string_view kServiceAccounts = "/coffer/admin/v1/service-accounts";

// Session policies.
constexpr std::string_view kS3Only =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],)"
    R"("Resource":["*"]}]})";
constexpr std::string_view kAdminEverything =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*","s3:*"],)"
    R"("Resource":["*"]}]})";

std::string FormEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Creds {
  std::string access_key, secret_key, token;
};

std::string JsonCode(const Response& r) {
  json doc = json::parse(r.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("Code")) return "";
  return doc["Code"].get<std::string>();
}

class StsAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.MakeBucket("photos");
    auto installed = h_.InstallConfig(kConfig, kSecrets);
    ASSERT_TRUE(installed.has_value()) << installed.error().ToString();
    state::LiveStore* live = &h_.live();
    auto sts = StsApi::Create(
        h_.env(), [live] { return live->Current(); }, recorder_,
        s3::RootCredential{std::string(kRootAccessKey), base::Secret(std::string(kRootSecretKey))},
        h_.session_tokens(), {}, nullptr, nullptr);
    ASSERT_TRUE(sts.has_value()) << sts.error().ToString();
    sts_ = std::move(sts).value();
    runtime_ = std::make_unique<s3::StoreRuntime>(h_.live(), h_.env().clock());
    admin::AdminApiOptions options;
    options.session_tokens = h_.session_tokens();
    auto admin = admin::AdminApi::Create(
        h_.env(), [live] { return live->Current(); }, *runtime_,
        s3::RootCredential{std::string(kRootAccessKey), base::Secret(std::string(kRootSecretKey))},
        std::move(options));
    ASSERT_TRUE(admin.has_value()) << admin.error().ToString();
    admin_ = std::move(admin).value();
  }

  static SendOptions As(const std::string& key, const std::string& secret) {
    SendOptions o;
    o.access_key = key;
    o.secret_key = secret;
    return o;
  }
  static SendOptions AsUser(const std::string& user) { return As(user, user + "-secret-key"); }
  static SendOptions AsRoot() {
    return As(std::string(kRootAccessKey), std::string(kRootSecretKey));
  }
  static SendOptions AsSession(const Creds& c) {
    SendOptions o = As(c.access_key, c.secret_key);
    o.session_token = c.token;
    return o;
  }

  // AssumeRole signed as `who`, with an optional session policy.
  Creds Assume(SendOptions who, std::string_view policy = "") {
    who.service = "sts";
    who.set_content_sha256 = false;
    who.secure = true;
    who.handler = sts_.get();
    std::string form = "Action=AssumeRole&Version=2011-06-15";
    if (!policy.empty()) form += "&Policy=" + FormEncode(policy);
    Response r =
        h_.Send("POST", "/", {{"content-type", "application/x-www-form-urlencoded"}}, form, who);
    EXPECT_EQ(r.status, 200u) << r.body;
    return {r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"), r.XmlText("SessionToken")};
  }

  Response Admin(std::string_view method, std::string_view target, SendOptions who,
                 std::string body = "") {
    who.handler = admin_.get();
    HeaderList headers;
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return h_.Send(method, target, std::move(headers), std::move(body), who);
  }

  Response PutAs(const Creds& c) { return h_.Send("PUT", "/photos/x", {}, "x", AsSession(c)); }

  S3Harness h_;
  StoreSessionRecorder recorder_{h_.live(), h_.env().clock(), h_.env()};
  std::unique_ptr<StsApi> sts_;
  std::unique_ptr<s3::StoreRuntime> runtime_;
  std::unique_ptr<admin::AdminApi> admin_;
};

TEST_F(StsAdminTest, AdminApiRevocationRefusesTheTokenOnTheVeryNextRequest) {
  const Creds c = Assume(AsUser("alice"));
  const Creds other = Assume(AsUser("alice"));
  ASSERT_EQ(PutAs(c).status, 200u);
  Response r = Admin("DELETE", std::string(kSessions) + "/" + c.access_key, AsRoot());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["revoked"], 1);
  Response refused = PutAs(c);
  EXPECT_EQ(refused.Code(), "InvalidToken");
  EXPECT_NE(refused.XmlText("Message").find("revoked"), std::string::npos);
  EXPECT_EQ(PutAs(other).status, 200u);
  // Unknown sessions answer 404; naming both or neither is a bad request.
  EXPECT_EQ(JsonCode(Admin("DELETE", std::string(kSessions) + "/NOSUCHKEY", AsRoot())),
            "NoSuchSession");
  EXPECT_EQ(Admin("DELETE", kSessions, AsRoot()).status, 400u);
  EXPECT_EQ(
      Admin("DELETE", std::string(kSessions) + "/" + other.access_key + "?user=alice", AsRoot())
          .status,
      400u);
  // Every session of a user at once.
  Response all = Admin("DELETE", std::string(kSessions) + "?user=alice", AsRoot());
  ASSERT_EQ(all.status, 200u) << all.body;
  EXPECT_EQ(PutAs(other).Code(), "InvalidToken");
  EXPECT_EQ(JsonCode(Admin("DELETE", std::string(kSessions) + "?user=nobody", AsRoot())),
            "NoSuchSession");
}

TEST_F(StsAdminTest, ListingShowsSessionsWithoutSecretsToThoseAllowed) {
  const Creds a = Assume(AsUser("alice"), kS3Only);
  const Creds b = Assume(AsUser("bob"));
  Response all = Admin("GET", kSessions, AsRoot());
  ASSERT_EQ(all.status, 200u) << all.body;
  EXPECT_NE(all.body.find(a.access_key), std::string::npos);
  EXPECT_NE(all.body.find(b.access_key), std::string::npos);
  EXPECT_EQ(all.body.find(a.secret_key), std::string::npos);
  EXPECT_EQ(all.body.find(a.token), std::string::npos);
  EXPECT_EQ(all.body.find(b.token), std::string::npos);
  // A user lists and revokes its own without admin rights, not another's.
  Response own = Admin("GET", kSessions, AsUser("alice"));
  ASSERT_EQ(own.status, 200u) << own.body;
  json doc = json::parse(own.body);
  ASSERT_EQ(doc["sessions"].size(), 1u);
  EXPECT_EQ(doc["sessions"][0]["accessKey"], a.access_key);
  EXPECT_EQ(doc["sessions"][0]["parent"], "alice");
  EXPECT_EQ(doc["sessions"][0]["revoked"], false);
  EXPECT_TRUE(doc["sessions"][0]["sessionPolicy"].is_object());
  EXPECT_EQ(Admin("GET", std::string(kSessions) + "?user=bob", AsUser("alice")).status, 403u);
  EXPECT_EQ(Admin("DELETE", std::string(kSessions) + "/" + b.access_key, AsUser("alice")).status,
            403u);
  EXPECT_EQ(Admin("DELETE", std::string(kSessions) + "/" + a.access_key, AsUser("alice")).status,
            200u);
  // admin:ListTemporaryAccounts and admin:RemoveServiceAccount manage anyone's.
  EXPECT_EQ(Admin("GET", std::string(kSessions) + "?user=bob", AsUser("ops")).status, 200u);
  EXPECT_EQ(Admin("DELETE", std::string(kSessions) + "/" + b.access_key, AsUser("ops")).status,
            200u);
  Response listed = Admin("GET", kSessions, AsRoot());
  EXPECT_EQ(json::parse(listed.body)["sessions"][0]["revoked"], true);
}

TEST_F(StsAdminTest, StoreWritesByAnotherProcessAreNoticedOnTheNextPoll) {
  ExternalWriteWatcher watcher(h_.live(), h_.env().clock());
  auto first = watcher.Poll();  // Baseline (rebuilds once).
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  auto idle = watcher.Poll();
  ASSERT_TRUE(idle.has_value());
  EXPECT_FALSE(*idle);
  const Creds c = Assume(AsUser("alice"));
  // The daemon's own writes (the mint above) do not count.
  auto own = watcher.Poll();
  ASSERT_TRUE(own.has_value());
  EXPECT_FALSE(*own);
  ASSERT_EQ(PutAs(c).status, 200u);
  {
    // `coffer admin sts revoke --store`: another connection to the same file.
    state::StoreOptions options;
    options.create_if_missing = false;
    auto cli = state::Store::Open(h_.store_path(), options);
    ASSERT_TRUE(cli.has_value()) << cli.error().ToString();
    auto revoked = (*cli)->RevokeStsSessions(c.access_key, "");
    ASSERT_TRUE(revoked.has_value()) << revoked.error().ToString();
    EXPECT_EQ(*revoked, 1);
  }
  auto noticed = watcher.Poll();
  ASSERT_TRUE(noticed.has_value()) << noticed.error().ToString();
  EXPECT_TRUE(*noticed);
  EXPECT_EQ(PutAs(c).Code(), "InvalidToken");
  auto again = watcher.Poll();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
}

TEST_F(StsAdminTest, SessionCredentialsAreAuthorizedByTheirEffectivePolicy) {
  // ops may list sessions; a session of ops without a session policy too.
  const Creds ops = Assume(AsUser("ops"));
  EXPECT_EQ(Admin("GET", kSessions, AsSession(ops)).status, 200u);
  // A session policy without admin actions takes them away (intersection).
  const Creds ops_s3 = Assume(AsUser("ops"), kS3Only);
  EXPECT_EQ(Admin("GET", kSessions, AsSession(ops_s3)).status, 403u);
  EXPECT_EQ(PutAs(ops_s3).status, 200u);
  // A session policy granting admin:* adds nothing the parent lacks.
  const Creds alice_wide = Assume(AsUser("alice"), kAdminEverything);
  EXPECT_EQ(Admin("GET", std::string(kSessions) + "?user=bob", AsSession(alice_wide)).status, 403u);
  // No own-account shortcut for sessions: alice's session lists nothing.
  const Creds alice = Assume(AsUser("alice"));
  EXPECT_EQ(Admin("GET", kSessions, AsSession(alice)).status, 403u);
  EXPECT_EQ(Admin("GET", kServiceAccounts, AsSession(alice)).status, 403u);
  // Root sessions: the session policy alone bounds them.
  const Creds root_full = Assume(AsRoot());
  EXPECT_EQ(Admin("GET", kSessions, AsSession(root_full)).status, 200u);
  const Creds root_s3 = Assume(AsRoot(), kS3Only);
  EXPECT_EQ(Admin("GET", kSessions, AsSession(root_s3)).status, 403u);
  // Revoking through a session, then that session is dead on the admin API too.
  Response r = Admin("DELETE", std::string(kSessions) + "/" + alice.access_key, AsSession(ops));
  EXPECT_EQ(r.status, 200u) << r.body;
  Response self = Admin("DELETE", std::string(kSessions) + "/" + ops.access_key, AsSession(ops));
  EXPECT_EQ(self.status, 200u) << self.body;
  Response dead = Admin("GET", kSessions, AsSession(ops));
  EXPECT_EQ(dead.status, 400u);  // S3's InvalidToken status.
  EXPECT_EQ(JsonCode(dead), "InvalidToken");
}

TEST_F(StsAdminTest, SessionTokensAreVerifiedOnTheAdminApi) {
  const Creds ops = Assume(AsUser("ops"));
  Creds tampered = ops;
  tampered.token[tampered.token.size() / 2] ^= 1;
  EXPECT_EQ(JsonCode(Admin("GET", kSessions, AsSession(tampered))), "InvalidToken");
  Creds missing = ops;
  missing.token.clear();
  Response r = Admin("GET", kSessions, AsSession(missing));
  EXPECT_GE(r.status, 400u);
  EXPECT_NE(r.status, 200u);
  Creds swapped = ops;
  swapped.token = Assume(AsUser("ops")).token;
  EXPECT_EQ(JsonCode(Admin("GET", kSessions, AsSession(swapped))), "InvalidToken");
}

TEST_F(StsAdminTest, PresignedAdminRequestsCarryTheTokenInTheQuery) {
  const Creds ops = Assume(AsUser("ops"));
  SendOptions o = AsSession(ops);
  o.auth = s3::testing::AuthMode::kPresigned;
  Response r = Admin("GET", kSessions, o);
  EXPECT_EQ(r.status, 200u) << r.body;
  const Creds alice = Assume(AsUser("alice"));
  SendOptions denied = AsSession(alice);
  denied.auth = s3::testing::AuthMode::kPresigned;
  EXPECT_EQ(Admin("GET", kSessions, denied).status, 403u);
}

TEST_F(StsAdminTest, NarrowedSessionsNeverMintServiceAccounts) {
  // Unnarrowed: the session acts as ops, which may create accounts.
  const Creds ops = Assume(AsUser("ops"));
  Response made = Admin("POST", kServiceAccounts, AsSession(ops), "{}");
  ASSERT_EQ(made.status, 200u) << made.body;
  EXPECT_EQ(json::parse(made.body)["parent"], "ops");
  // With a session policy -- even one allowing admin:* -- an account with
  // ops's full rights would widen the session: refused.
  const Creds ops_wide = Assume(AsUser("ops"), kAdminEverything);
  EXPECT_EQ(Admin("GET", kSessions, AsSession(ops_wide)).status, 200u);
  EXPECT_EQ(Admin("POST", kServiceAccounts, AsSession(ops_wide), "{}").status, 403u);
  // A session of a user without admin:CreateServiceAccount cannot either.
  const Creds alice = Assume(AsUser("alice"));
  EXPECT_EQ(Admin("POST", kServiceAccounts, AsSession(alice), "{}").status, 403u);
}

}  // namespace
}  // namespace coffer::core::sts
