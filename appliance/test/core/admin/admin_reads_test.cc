// The admin API's read endpoints and policy simulator (issues #14, #16):
// each answers what the store and repo hold, to root, to a user with the
// endpoint's action, and refuses a user without it; no answer ever carries a
// secret or a secret reference (AdminFixture::Get checks every answer).

#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/admin/admin_api.h"
#include "coffer/core/admin/policy_simulation.h"
#include "coffer/core/audit/entry.h"
#include "coffer/policy/compile.h"

#include "admin_fixture.h"

namespace coffer::core::admin {
namespace {

using nlohmann::json;

constexpr std::string_view kV1 = "/coffer/admin/v1/";

std::string Path(std::string_view rest) { return std::string(kV1) + std::string(rest); }

class AdminReadsTest : public testing::AdminFixture {
 protected:
  // Every read endpoint: root gets 200, alice (no admin actions) 403.
  void ExpectRootOnly(std::string_view rest) {
    Get(Path(rest), AsRoot(), 200);
    Get(Path(rest), AsUser("alice"), 403);
    // A consoleAdmin user (admin:*) gets it too.
    Get(Path(rest), AsUser("boss"), 200);
  }

  json Simulate(const json& request, s3::testing::SendOptions who = AsRoot(),
                unsigned status = 200) {
    s3::testing::Response r =
        Admin("POST", Path("policy/simulate"), std::move(who), request.dump());
    EXPECT_EQ(r.status, status) << r.body;
    ExpectNoSecrets(r.body);
    return json::parse(r.body, nullptr, false);
  }
};

TEST_F(AdminReadsTest, EveryReadNeedsItsActionAndRootMayDoAll) {
  for (const char* rest :
       {"info", "users", "users/lister", "groups", "groups/staff", "policies", "policies/photos-rw",
        "identity-providers", "reconcile", "audit/targets", "audit/log", "kms/status"}) {
    SCOPED_TRACE(rest);
    ExpectRootOnly(rest);
  }
  // lister holds admin:ListUsers only.
  Get(Path("users"), AsUser("lister"), 200);
  Get(Path("users/alice"), AsUser("lister"), 403);  // admin:GetUser.
  Get(Path("groups"), AsUser("lister"), 403);
  Get(Path("info"), AsUser("lister"), 403);
  // Service accounts and sessions of boss act as boss.
  const std::vector<std::string> session = Assume(AsUser("boss"));
  s3::testing::SendOptions as_session = As(session[0], session[1]);
  as_session.session_token = session[2];
  Get(Path("info"), as_session, 200);
  // Unsigned requests are refused.
  s3::testing::SendOptions anonymous;
  anonymous.auth = s3::testing::AuthMode::kAnonymous;
  Get(Path("info"), anonymous, 403);
}

TEST_F(AdminReadsTest, InfoReportsTheRunningAppliance) {
  h_.env().Advance(std::chrono::seconds(90));
  const json info = Get(Path("info"), AsRoot());
  EXPECT_EQ(info["version"], "coffer test");
  EXPECT_EQ(info["region"], "us-east-1");
  EXPECT_EQ(info["tls"], true);
  EXPECT_EQ(info["uptimeSeconds"], 90);
  ASSERT_EQ(info["drives"].size(), 2u);
  EXPECT_EQ(info["drives"][1]["path"], "/data/drive2");
  EXPECT_EQ(info["drives"][1]["state"], "offline");
  EXPECT_EQ(info["drivesOnline"], 1);
  EXPECT_EQ(info["erasure"]["layout"], "EC:2+2");
  EXPECT_EQ(info["keyService"], "in-process");
}

TEST_F(AdminReadsTest, UsersAreAsStoredWithTheirSecretsKindOnly) {
  const json list = Get(Path("users"), AsUser("lister"));
  ASSERT_EQ(list["users"].size(), 4u);
  std::map<std::string, json> by_name;
  for (const json& u : list["users"]) by_name[u["name"]] = u;
  EXPECT_EQ(by_name["alice"]["secretKind"], "env");
  EXPECT_EQ(by_name["lister"]["secretKind"], "file");
  EXPECT_EQ(by_name["boss"]["secretKind"], "sealed");
  EXPECT_EQ(by_name["off"]["enabled"], false);
  EXPECT_EQ(by_name["alice"]["groups"], json::array({"staff"}));
  EXPECT_EQ(by_name["alice"]["policies"], json::array({"photos-rw"}));
  EXPECT_EQ(by_name["alice"]["effectivePolicies"], json::array({"photos-rw", "readonly"}));
  EXPECT_FALSE(by_name["alice"].contains("secret"));
  // One user; a user reads its own entry without admin:GetUser (as MinIO).
  const json alice = Get(Path("users/alice"), AsUser("alice"));
  EXPECT_EQ(alice["name"], "alice");
  Get(Path("users/lister"), AsUser("alice"), 403);
  const json missing = Get(Path("users/nobody"), AsRoot(), 404);
  EXPECT_EQ(missing["Code"], "NoSuchUser");
}

TEST_F(AdminReadsTest, GroupsAndPoliciesWithTheirDocuments) {
  const json groups = Get(Path("groups"), AsRoot());
  ASSERT_EQ(groups["groups"].size(), 1u);
  EXPECT_EQ(groups["groups"][0]["members"], json::array({"alice", "lister"}));
  EXPECT_EQ(groups["groups"][0]["policies"], json::array({"readonly"}));
  EXPECT_EQ(Get(Path("groups/staff"), AsRoot())["name"], "staff");
  EXPECT_EQ(Get(Path("groups/none"), AsRoot(), 404)["Code"], "NoSuchGroup");

  const json policies = Get(Path("policies"), AsRoot());
  std::map<std::string, json> by_name;
  for (const json& p : policies["policies"]) by_name[p["name"]] = p;
  ASSERT_TRUE(by_name.count("photos-rw"));
  ASSERT_TRUE(by_name.count("consoleAdmin"));
  EXPECT_EQ(by_name["photos-rw"]["builtin"], false);
  EXPECT_EQ(by_name["consoleAdmin"]["builtin"], true);
  EXPECT_EQ(by_name["photos-rw"]["users"], json::array({"alice", "off"}));
  EXPECT_EQ(by_name["readonly"]["groups"], json::array({"staff"}));
  const json doc = Get(Path("policies/photos-rw"), AsRoot())["document"];
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["Statement"][0]["Sid"], "PhotosRW");
  EXPECT_EQ(Get(Path("policies/none"), AsRoot(), 404)["Code"], "NoSuchPolicy");
}

TEST_F(AdminReadsTest, BucketsShowEncryptionPolicyAndAnonymousAccess) {
  json buckets = Get(Path("buckets"), AsRoot())["buckets"];
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0]["name"], "photos");
  EXPECT_EQ(buckets[0]["versioning"], true);
  EXPECT_EQ(buckets[0]["encryption"]["mode"], "sse-kms");
  EXPECT_EQ(buckets[0]["encryption"]["kmsKey"], "photos-key");
  EXPECT_EQ(buckets[0]["anonymous"], "download");
  EXPECT_EQ(buckets[0]["anonymousAccess"], "download");
  EXPECT_EQ(buckets[1]["name"], "scratch");
  EXPECT_EQ(buckets[1]["anonymous"], "none");
  // The bucket policy lets anyone upload: the summary says so.
  EXPECT_EQ(buckets[1]["anonymousAccess"], "upload");
  EXPECT_EQ(buckets[1]["policy"]["Statement"][0]["Principal"], "*");
  EXPECT_EQ(buckets[2]["name"], "unlisted");
  EXPECT_EQ(buckets[2]["encryption"]["mode"], "none");
  EXPECT_TRUE(buckets[2]["policy"].is_null());
  // alice may read photos' policy (photos-rw allows s3:*), nothing else.
  buckets = Get(Path("buckets"), AsUser("alice"))["buckets"];
  ASSERT_EQ(buckets.size(), 1u);
  EXPECT_EQ(buckets[0]["name"], "photos");
  // lister may read no bucket's policy.
  Get(Path("buckets"), AsUser("lister"), 403);
}

TEST_F(AdminReadsTest, IdentityProvidersWithoutClientSecretsOrBindPasswords) {
  const json idps = Get(Path("identity-providers"), AsRoot());
  ASSERT_EQ(idps["openid"].size(), 1u);
  EXPECT_EQ(idps["openid"][0]["name"], "corp");
  EXPECT_EQ(idps["openid"][0]["issuer"], "https://idp.example.com");
  EXPECT_EQ(idps["openid"][0]["client_id"], "coffer-console");
  EXPECT_FALSE(idps["openid"][0].contains("client_secret"));
  EXPECT_EQ(idps["openid"][0]["secretsSet"], json::array({"client_secret"}));
  ASSERT_EQ(idps["ldap"].size(), 1u);
  EXPECT_EQ(idps["ldap"][0]["server"], "ldap.example.com:636");
  EXPECT_EQ(idps["ldap"][0]["lookup_bind_dn"], "cn=admin,dc=example,dc=org");
  EXPECT_FALSE(idps["ldap"][0].contains("lookup_bind_password"));
}

TEST_F(AdminReadsTest, ReconcileShowsAppliedRevisionDriftAndThePendingPlan) {
  json status = Get(Path("reconcile"), AsRoot());
  EXPECT_EQ(status["condition"], "Ready");
  EXPECT_EQ(status["applied"]["revision"]["id"], "rev1");
  EXPECT_EQ(status["applied"]["revision"]["author"], "Alice Admin <alice@example.com>");
  EXPECT_TRUE(status["applied"]["at"].is_string());
  EXPECT_EQ(status["head"]["id"], "rev1");
  EXPECT_EQ(status["drift"], false) << status.dump();
  EXPECT_TRUE(status["pending"].is_null());

  // A new commit, not yet applied: drift, and its plan.
  repo_.tree.files["coffer.toml"] +=
      "[users.newbie]\nsecret = \"env:NEW_USER_VAR\"\npolicies = [\"readonly\"]\n";
  repo_.revision.id = "rev2";
  status = Get(Path("reconcile"), AsRoot());
  EXPECT_EQ(status["head"]["id"], "rev2");
  EXPECT_EQ(status["drift"], true);
  ASSERT_TRUE(status["pending"].is_object()) << status.dump();
  EXPECT_EQ(status["pending"]["revision"], "rev2");
  EXPECT_EQ(status["pending"]["summary"]["create"], 1);
  const std::string plan = status["pending"]["plan"].dump();
  EXPECT_NE(plan.find("+ user newbie"), std::string::npos) << plan;
  EXPECT_NE(plan.find("(sensitive)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("new-user-secret-key"), std::string::npos);
  EXPECT_EQ(plan.find("NEW_USER_VAR"), std::string::npos);

  // A broken commit: its errors with FILE:LINE:COL, and the failed attempt.
  repo_.tree.files["coffer.toml"] += "[users.broken]\nsecret = \"plaintext-is-refused\"\n";
  repo_.revision.id = "rev3";
  ASSERT_TRUE(h_.live()
                  .Change(
                      [&](state::Store& store, const state::MasterKey&) -> base::Status {
                        (void)store.RecordFailedAttempt(repo_.revision, h_.env().clock().Now(),
                                                        "InvalidConfig",
                                                        "1 error(s) in revision rev3, first: "
                                                        "coffer.toml:52:10: bad secret");
                        return base::Ok();
                      },
                      h_.env().clock().Now())
                  .has_value());
  status = Get(Path("reconcile"), AsRoot());
  EXPECT_EQ(status["condition"], "Degraded");
  EXPECT_EQ(status["applied"]["revision"]["id"], "rev1");
  EXPECT_EQ(status["lastAttempt"]["revision"], "rev3");
  EXPECT_NE(status["lastAttempt"]["error"].get<std::string>().find("coffer.toml:52:10"),
            std::string::npos);
  ASSERT_FALSE(status["validationErrors"].empty()) << status.dump();
  const std::string first = status["validationErrors"][0];
  EXPECT_TRUE(first.starts_with("coffer.toml:")) << first;
  EXPECT_EQ(first.find("plaintext-is-refused"), std::string::npos) << first;
  EXPECT_TRUE(status["pending"].is_null());
}

TEST_F(AdminReadsTest, UnresolvableSecretsAreReportedWithoutTheirReference) {
  repo_.tree.files["coffer.toml"] += "[users.ghost]\nsecret = \"env:GHOST_VAR_NAME\"\n";
  repo_.revision.id = "rev2";
  const json status = Get(Path("reconcile"), AsRoot());
  ASSERT_EQ(status["validationErrors"].size(), 1u) << status.dump();
  const std::string error = status["validationErrors"][0];
  EXPECT_NE(error.find("coffer.toml:"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot be resolved"), std::string::npos) << error;
  EXPECT_EQ(status.dump().find("GHOST_VAR_NAME"), std::string::npos) << status.dump();
}

TEST_F(AdminReadsTest, AuditTargetsReportHealthWithoutTokens) {
  const json targets = Get(Path("audit/targets"), AsRoot())["targets"];
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0]["name"], "hook1");
  EXPECT_EQ(targets[0]["kind"], "webhook");
  EXPECT_EQ(targets[0]["endpoint"], "https://audit.example.com/ingest");
  EXPECT_EQ(targets[0]["enabled"], true);
  EXPECT_EQ(targets[0]["queueDepth"], 3);
  EXPECT_EQ(targets[0]["delivered"], 7);
  EXPECT_EQ(targets[0]["failed"], 2);
  EXPECT_EQ(targets[0]["healthy"], false);
  EXPECT_NE(targets[0]["lastError"].get<std::string>().find("(sensitive)"), std::string::npos);
}

TEST_F(AdminReadsTest, AuditLogSearchesRecentEntriesAndTailsWithACursor) {
  // Real entries, as the audit handler builds them, fed as the audit log does.
  auto add = [&](const std::string& user, const std::string& bucket, const std::string& api,
                 unsigned status) {
    HttpRequest request;
    request.method = "GET";
    request.target = "/" + bucket;
    request.request_id = api + "-" + user;
    RequestFacts facts;
    facts.api = api;
    facts.bucket = bucket;
    facts.access_key = user;
    audit::RequestOutcome outcome;
    outcome.status = status;
    recent_->Add(audit::BuildRequestEntry("dep", h_.env().clock().Now(), request, facts, outcome));
    h_.env().Advance(std::chrono::seconds(10));
  };
  add("alice", "photos", "PutObject", 200);
  add("alice", "photos", "GetObject", 403);
  add("bob", "scratch", "ListObjectsV2", 200);
  json page = Get(Path("audit/log"), AsRoot());
  ASSERT_EQ(page["entries"].size(), 3u);
  EXPECT_EQ(page["entries"][0]["entry"]["api"]["name"], "ListObjectsV2");  // Newest first.
  EXPECT_EQ(page["latestSeq"], 3);
  EXPECT_EQ(Get(Path("audit/log?user=alice"), AsRoot())["entries"].size(), 2u);
  EXPECT_EQ(Get(Path("audit/log?bucket=scratch"), AsRoot())["entries"].size(), 1u);
  EXPECT_EQ(Get(Path("audit/log?api=GetObject"), AsRoot())["entries"].size(), 1u);
  EXPECT_EQ(Get(Path("audit/log?status=4xx"), AsRoot())["entries"].size(), 1u);
  EXPECT_EQ(Get(Path("audit/log?status=200"), AsRoot())["entries"].size(), 2u);
  EXPECT_EQ(Get(Path("audit/log?limit=1"), AsRoot())["entries"].size(), 1u);
  // Time range: entries 10 s apart.
  const std::string second = page["entries"][1]["entry"]["time"];
  page = Get(Path("audit/log?since=" + second), AsRoot());
  EXPECT_EQ(page["entries"].size(), 2u);
  page = Get(Path("audit/log?until=" + second), AsRoot());
  EXPECT_EQ(page["entries"].size(), 1u);
  // Live tail: only what came after the cursor.
  EXPECT_EQ(Get(Path("audit/log?after=3"), AsRoot())["entries"].size(), 0u);
  add("carol", "photos", "DeleteObject", 204);
  page = Get(Path("audit/log?after=3"), AsRoot());
  ASSERT_EQ(page["entries"].size(), 1u);
  EXPECT_EQ(page["entries"][0]["seq"], 4);
  // Bad parameters.
  Get(Path("audit/log?since=yesterday"), AsRoot(), 400);
  Get(Path("audit/log?limit=0"), AsRoot(), 400);
  Get(Path("audit/log?after=x"), AsRoot(), 400);
}

TEST_F(AdminReadsTest, KmsStatusWithoutKeyMaterial) {
  json status = Get(Path("kms/status"), AsRoot());
  EXPECT_EQ(status["configured"], true);
  EXPECT_EQ(status["reachable"], true);
  EXPECT_EQ(status["defaultKey"], "coffer-sse-s3");
  EXPECT_EQ(status["defaultKeyExists"], true);
  EXPECT_TRUE(status["latencyMs"].is_number());
  keys_.down = true;
  status = Get(Path("kms/status"), AsRoot());
  EXPECT_EQ(status["reachable"], false);
  EXPECT_TRUE(status["error"].is_string());
}

TEST_F(AdminReadsTest, SimulatorGivesTheDecidingStatement) {
  json r = Simulate({{"principal", "alice"},
                     {"action", "s3:GetObject"},
                     {"resource", "arn:aws:s3:::photos/cat.jpg"}});
  EXPECT_EQ(r["decision"], "allow");
  EXPECT_EQ(r["statement"]["policy"], "photos-rw");
  EXPECT_EQ(r["statement"]["sid"], "PhotosRW");
  EXPECT_TRUE(r["explanation"].get<std::string>().starts_with("allow\n"));
  r = Simulate({{"principal", "alice"},
                {"action", "s3:GetObject"},
                {"resource", "arn:aws:s3:::photos/secret/plans.txt"}});
  EXPECT_EQ(r["decision"], "deny");
  EXPECT_EQ(r["reason"], "explicit-deny");
  EXPECT_EQ(r["statement"]["sid"], "NoSecretPrefix");
  r = Simulate(
      {{"principal", "alice"}, {"action", "s3:PutObject"}, {"resource", "arn:aws:s3:::scratch/x"}});
  EXPECT_EQ(r["decision"], "allow");  // The bucket policy allows anyone.
  r = Simulate({{"anonymous", true},
                {"action", "s3:GetObject"},
                {"resource", "arn:aws:s3:::photos/cat.jpg"}});
  EXPECT_EQ(r["decision"], "allow");  // anonymous = "download".
  r = Simulate({{"anonymous", true},
                {"action", "s3:PutObject"},
                {"resource", "arn:aws:s3:::photos/cat.jpg"}});
  EXPECT_EQ(r["decision"], "deny");
  EXPECT_EQ(r["reason"], "implicit-deny");
  EXPECT_TRUE(r["statement"].is_null());
  r = Simulate(
      {{"principal", "off"}, {"action", "s3:GetObject"}, {"resource", "arn:aws:s3:::photos/a"}});
  EXPECT_EQ(r["decision"], "deny");
  Simulate({{"principal", "nobody"}, {"action", "s3:GetObject"}}, AsRoot(), 404);
  Simulate({{"principal", "alice"}}, AsRoot(), 400);  // No action.
  // Authorization: admin:GetPolicy, or oneself.
  Simulate({{"principal", "lister"}, {"action", "s3:GetObject"}}, AsUser("alice"), 403);
  EXPECT_EQ(Simulate({{"principal", "alice"},
                      {"action", "s3:GetObject"},
                      {"resource", "arn:aws:s3:::photos/a"}},
                     AsUser("alice"))["decision"],
            "allow");
}

TEST_F(AdminReadsTest, SimulatorUsesTheConditionContext) {
  std::string& config = repo_.tree.files["coffer.toml"];
  config += R"(
[users.lan]
secret = "env:NEW_USER_VAR"
policies = ["lan-only"]
[policies.lan-only]
json = '''{"Version":"2012-10-17","Statement":[{"Sid":"Lan","Effect":"Allow","Action":"s3:*",
  "Resource":"arn:aws:s3:::*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}'''
)";
  repo_.revision.id = "rev2";
  ASSERT_TRUE(ApplyRepo().has_value());
  // scratch: photos' anonymous download would allow anyone.
  const json base = {
      {"principal", "lan"}, {"action", "s3:GetObject"}, {"resource", "arn:aws:s3:::scratch/a"}};
  json with_ip = base;
  with_ip["context"] = {{"aws:SourceIp", "10.1.2.3"}};
  EXPECT_EQ(Simulate(with_ip)["decision"], "allow");
  with_ip["context"] = {{"aws:SourceIp", "192.168.1.1"}};
  EXPECT_EQ(Simulate(with_ip)["decision"], "deny");
  EXPECT_EQ(Simulate(base)["decision"], "deny") << Simulate(base).dump();
}

// The simulator endpoint and `coffer policy eval` share Simulate(); this
// checks that the shared function decides as the S3 authorizer does for a
// signed request (same policies, same request).
TEST_F(AdminReadsTest, SimulatorAgreesWithTheS3Authorizer) {
  // An allowed GET answers 200 (or 404 for a missing object to a caller who
  // may list), a denied one 403.
  ASSERT_EQ(h_.Put("/scratch/x", "x").status, 200u);
  for (const auto& [user, target, action, resource] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {"alice", "/photos/cat.jpg", "s3:GetObject", "arn:aws:s3:::photos/cat.jpg"},
           {"alice", "/photos/secret/p", "s3:GetObject", "arn:aws:s3:::photos/secret/p"},
           {"alice", "/scratch/x", "s3:GetObject", "arn:aws:s3:::scratch/x"},
           {"lister", "/scratch/x", "s3:GetObject", "arn:aws:s3:::scratch/x"},
           {"lister", "/photos", "s3:ListBucket", "arn:aws:s3:::photos"},
           {"alice", "/photos", "s3:ListBucket", "arn:aws:s3:::photos"},
           {"boss", "/unlisted", "s3:ListBucket", "arn:aws:s3:::unlisted"}}) {
    const unsigned s3_status = h_.Send("GET", target, {}, "", AsUser(user)).status;
    const json r = Simulate({{"principal", user}, {"action", action}, {"resource", resource}});
    EXPECT_EQ(r["decision"] == "allow", s3_status != 403u)
        << user << " " << target << " " << s3_status;
  }
}

TEST(PolicySimulation, ContextDefaultsAsPolicyEval) {
  SimulationInput input;
  input.principal = "alice";
  input.context = {{"aws:username", "given"}, {"s3:prefix", "a/"}, {"s3:prefix", "b/"}};
  const policy::Context ctx = SimulationContext(input);
  ASSERT_EQ(ctx.Find("aws:username").size(), 1u);
  EXPECT_EQ(ctx.Find("aws:username")[0], "given");
  EXPECT_EQ(ctx.Find("aws:userid")[0], "alice");
  EXPECT_EQ(ctx.Find("aws:principaltype")[0], "User");
  EXPECT_EQ(ctx.Find("s3:prefix").size(), 2u);
  input.anonymous = true;
  EXPECT_EQ(SimulationContext(input).Find("aws:principaltype")[0], "Anonymous");
}

}  // namespace
}  // namespace coffer::core::admin
