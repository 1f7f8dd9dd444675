// The console seam of the admin API (issue #16): Login checks a credential
// exactly as SigV4's lookup would, and ServeAs serves admin paths as that
// caller with the authorization its own signed request would get,
// re-checking the credential on every call.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/admin/admin_api.h"

#include "admin_fixture.h"

namespace coffer::core::admin {
namespace {

using nlohmann::json;
using s3::testing::CaptureWriter;
using s3::testing::MemBodyReader;

class ConsoleSeamTest : public testing::AdminFixture {
 protected:
  base::Result<ConsoleCaller> Login(std::string_view key, std::string secret,
                                    std::string_view token = "") {
    return admin_->Login(key, base::Secret(std::move(secret)), token);
  }

  ConsoleCaller LoginOk(std::string_view key, std::string secret, std::string_view token = "") {
    base::Result<ConsoleCaller> caller = Login(key, std::move(secret), token);
    EXPECT_TRUE(caller.has_value()) << key;
    return caller.has_value() ? *std::move(caller) : ConsoleCaller{};
  }

  // One ServeAs call; the body is unsigned JSON.
  CaptureWriter ServeAs(const ConsoleCaller& caller, std::string method, std::string target,
                        std::string body = "", RequestFacts* facts = nullptr) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.remote_address = "127.0.0.1:40000";
    request.request_id = "console-" + std::to_string(++requests_);
    request.facts = facts;
    if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
    MemBodyReader reader(body, body.size());
    CaptureWriter writer;
    admin_->ServeAs(caller, request, reader, writer);
    EXPECT_TRUE(writer.finished);
    EXPECT_EQ(writer.violation, "");
    ExpectNoSecrets(writer.body);
    return writer;
  }

  static std::string Code(const CaptureWriter& w) {
    json doc = json::parse(w.body, nullptr, false);
    return doc.is_object() && doc.contains("Code") ? doc["Code"].get<std::string>() : "";
  }

  int requests_ = 0;
};

TEST_F(ConsoleSeamTest, LoginAcceptsExactlyTheCredentialsSigV4Accepts) {
  ConsoleCaller alice = LoginOk("alice", "alice-secret-key");
  EXPECT_EQ(alice.kind, "user");
  EXPECT_EQ(alice.user, "alice");
  EXPECT_EQ(alice.access_key, "alice");
  ConsoleCaller root =
      LoginOk(s3::testing::kRootAccessKey, std::string(s3::testing::kRootSecretKey));
  EXPECT_EQ(root.kind, "root");
  EXPECT_EQ(root.user, "root");

  // Wrong secret, unknown key, a disabled user, an empty secret, a secret
  // that is a prefix of the right one: one answer, saying nothing of why.
  for (const auto& [key, secret] :
       std::vector<std::pair<std::string, std::string>>{{"alice", "wrong-secret-key"},
                                                        {"nobody", "alice-secret-key"},
                                                        {"off", "off-secret-key"},
                                                        {"alice", ""},
                                                        {"alice", "alice-secret-ke"},
                                                        {"", "alice-secret-key"}}) {
    base::Result<ConsoleCaller> refused = Login(key, secret);
    ASSERT_FALSE(refused.has_value()) << key << "/" << secret;
    EXPECT_EQ(refused.error().code(), base::ErrorCode::kUnauthenticated);
    EXPECT_EQ(refused.error().message(), "invalid credentials");
  }
  // A user key with a session token it does not need is refused too.
  EXPECT_FALSE(Login("alice", "alice-secret-key", "some-token").has_value());
}

TEST_F(ConsoleSeamTest, ServeAsAuthorizesAsTheCallersOwnSignedRequest) {
  const ConsoleCaller alice = LoginOk("alice", "alice-secret-key");
  const ConsoleCaller lister = LoginOk("lister", "lister-secret-key");
  const ConsoleCaller root =
      LoginOk(s3::testing::kRootAccessKey, std::string(s3::testing::kRootSecretKey));
  for (const char* target : {"/coffer/admin/v1/users", "/coffer/admin/v1/groups",
                             "/coffer/admin/v1/info", "/coffer/admin/v1/audit/log"}) {
    for (const auto& [caller, who] :
         {std::pair{&alice, AsUser("alice")}, std::pair{&lister, AsUser("lister")},
          std::pair{&root, AsRoot()}}) {
      const unsigned console = ServeAs(*caller, "GET", target).status;
      const unsigned signed_status = Admin("GET", target, who).status;
      EXPECT_EQ(console, signed_status) << caller->access_key << " " << target;
    }
  }
  // Concretely: lister may list users and nothing else; alice nothing; root all.
  EXPECT_EQ(ServeAs(lister, "GET", "/coffer/admin/v1/users").status, 200u);
  EXPECT_EQ(ServeAs(lister, "GET", "/coffer/admin/v1/groups").status, 403u);
  EXPECT_EQ(ServeAs(alice, "GET", "/coffer/admin/v1/users").status, 403u);
  EXPECT_EQ(ServeAs(root, "GET", "/coffer/admin/v1/reconcile").status, 200u);
}

TEST_F(ConsoleSeamTest, ADisabledUserLosesItsConsoleOnTheNextCall) {
  const ConsoleCaller alice = LoginOk("alice", "alice-secret-key");
  // Alice may read her own user entry (as MinIO's GetUserInfo).
  EXPECT_EQ(ServeAs(alice, "GET", "/coffer/admin/v1/users/alice").status, 200u);
  std::string& config = repo_.tree.files["coffer.toml"];
  config.replace(config.find("[users.alice]\n"), 14, "[users.alice]\nenabled = false\n");
  repo_.revision.id = "rev2";
  ASSERT_TRUE(ApplyRepo().has_value());
  CaptureWriter refused = ServeAs(alice, "GET", "/coffer/admin/v1/users/alice");
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(Code(refused), "InvalidCredentials");
  EXPECT_FALSE(Login("alice", "alice-secret-key").has_value());
}

TEST_F(ConsoleSeamTest, AChangedSecretEndsTheConsoleSession) {
  // A caller whose secret no longer matches (the repo rotated it).
  ConsoleCaller forged = LoginOk("lister", "lister-secret-key");
  forged.secret_key = base::Secret(std::string("lister-secret-kez"));
  EXPECT_EQ(ServeAs(forged, "GET", "/coffer/admin/v1/users").status, 401u);
}

TEST_F(ConsoleSeamTest, SessionCredentialsNeedTheirTokenAndDieWhenRevoked) {
  const std::vector<std::string> creds = Assume(AsUser("boss"));
  ASSERT_EQ(creds.size(), 3u);
  EXPECT_FALSE(Login(creds[0], creds[1]).has_value());  // No token.
  EXPECT_FALSE(Login(creds[0], creds[1], creds[2] + "x").has_value());
  EXPECT_FALSE(Login(creds[0], "wrong-secret", creds[2]).has_value());
  const ConsoleCaller session = LoginOk(creds[0], creds[1], creds[2]);
  EXPECT_EQ(session.kind, "session");
  EXPECT_EQ(session.user, "boss");
  EXPECT_EQ(ServeAs(session, "GET", "/coffer/admin/v1/users").status, 200u);
  // Revoked through the admin API (as root), the session's console is gone.
  const ConsoleCaller root =
      LoginOk(s3::testing::kRootAccessKey, std::string(s3::testing::kRootSecretKey));
  EXPECT_EQ(ServeAs(root, "DELETE", "/coffer/admin/v1/sts-sessions/" + creds[0]).status, 200u);
  CaptureWriter refused = ServeAs(session, "GET", "/coffer/admin/v1/users");
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(Code(refused), "InvalidCredentials");
  EXPECT_FALSE(Login(creds[0], creds[1], creds[2]).has_value());
}

TEST_F(ConsoleSeamTest, ServeAsReadsUnsignedJsonBodiesUpToTheLimit) {
  const ConsoleCaller alice = LoginOk("alice", "alice-secret-key");
  RequestFacts facts;
  CaptureWriter created = ServeAs(alice, "POST", "/coffer/admin/v1/service-accounts",
                                  R"({"description":"from the console"})", &facts);
  ASSERT_EQ(created.status, 200u) << created.body;
  EXPECT_EQ(facts.api, "AddServiceAccount");
  EXPECT_EQ(facts.access_key, "alice");
  const json sa = json::parse(created.body);
  EXPECT_EQ(sa["parent"], "alice");
  // The new key works for S3 at once.
  s3::testing::SendOptions as_sa = As(sa["accessKey"], sa["secretKey"]);
  EXPECT_EQ(h_.Send("GET", "/photos", {}, "", as_sa).status, 200u);
  // And it may be deleted from the console.
  EXPECT_EQ(ServeAs(alice, "DELETE",
                    "/coffer/admin/v1/service-accounts/" + sa["accessKey"].get<std::string>())
                .status,
            204u);
  // A body over max_body_bytes (64 KiB) is refused without being kept.
  CaptureWriter big = ServeAs(alice, "POST", "/coffer/admin/v1/service-accounts",
                              R"({"description":")" + std::string(70 * 1024, 'a') + R"("})");
  EXPECT_EQ(big.status, 400u);
  EXPECT_EQ(Code(big), "EntityTooLarge");
  // Not JSON.
  EXPECT_EQ(ServeAs(alice, "POST", "/coffer/admin/v1/service-accounts", "{nope").status, 400u);
}

TEST_F(ConsoleSeamTest, ServiceAccountsLogInAsThemselvesAndActForTheirParent) {
  const json sa = json::parse(Admin("POST", "/coffer/admin/v1/service-accounts", AsUser("lister"),
                                    R"({"description":"console"})")
                                  .body);
  const std::string key = sa["accessKey"], secret = sa["secretKey"];
  const ConsoleCaller caller = LoginOk(key, secret);
  EXPECT_EQ(caller.kind, "service-account");
  EXPECT_EQ(caller.user, "lister");
  // It has its parent's admin:ListUsers, and loses the console with its key.
  EXPECT_EQ(ServeAs(caller, "GET", "/coffer/admin/v1/users").status, 200u);
  ASSERT_EQ(Admin("DELETE", "/coffer/admin/v1/service-accounts/" + key, AsRoot()).status, 204u);
  EXPECT_EQ(ServeAs(caller, "GET", "/coffer/admin/v1/users").status, 401u);
}

TEST_F(ConsoleSeamTest, ServeAsNamesTheAdminApiInTheAuditFacts) {
  const ConsoleCaller root =
      LoginOk(s3::testing::kRootAccessKey, std::string(s3::testing::kRootSecretKey));
  for (const auto& [target, api] : std::vector<std::pair<std::string, std::string>>{
           {"/coffer/admin/v1/users", "ListUsers"},
           {"/coffer/admin/v1/users/alice", "GetUserInfo"},
           {"/coffer/admin/v1/reconcile", "ReconcileStatus"},
           {"/coffer/admin/v1/audit/log?limit=5", "AuditLog"},
           {"/coffer/admin/v1/kms/status", "KMSStatus"}}) {
    RequestFacts facts;
    EXPECT_EQ(ServeAs(root, "GET", target, "", &facts).status, 200u) << target;
    EXPECT_EQ(facts.api, api) << target;
    EXPECT_EQ(facts.access_key, s3::testing::kRootAccessKey);
  }
}

TEST_F(ConsoleSeamTest, ServeAsNeverServesOutsideTheAdminApi) {
  const ConsoleCaller root =
      LoginOk(s3::testing::kRootAccessKey, std::string(s3::testing::kRootSecretKey));
  EXPECT_EQ(ServeAs(root, "GET", "/photos/a").status, 404u);
  EXPECT_EQ(ServeAs(root, "GET", "/coffer/admin/v1/nothing-here").status, 404u);
  EXPECT_EQ(ServeAs(root, "PUT", "/coffer/admin/v1/users").status, 405u);
}

}  // namespace
}  // namespace coffer::core::admin
