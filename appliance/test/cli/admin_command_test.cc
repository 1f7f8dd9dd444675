// `coffer admin` verbs on a temporary Git repo made from fixtures/quickstart: the commit they
// make (message, author, exactly the touched files), dry runs, refusals, and that no plain
// secret reaches the repo or its history.

#include "admin_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/posix/posix_env.h"
#include "coffer/state/config.h"
#include "coffer/state/seal.h"

#include "admin_repo.h"

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct AdminRun {
  int code = -1;
  std::string out;
  std::string err;
};

class AdminCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/coffer-admin-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    repo_ = root_ / "repo";
    fs::copy(fs::path(COFFER_SOURCE_DIR) / "fixtures/quickstart", repo_,
             fs::copy_options::recursive);
    ASSERT_EQ(Git({"init", "-q", "-b", "main"}).exit_code, 0);
    ASSERT_EQ(Git({"config", "user.name", "Test Op"}).exit_code, 0);
    ASSERT_EQ(Git({"config", "user.email", "op@example.org"}).exit_code, 0);
    ASSERT_EQ(Git({"add", "-A"}).exit_code, 0);
    ASSERT_EQ(Git({"commit", "-q", "-m", "quickstart"}).exit_code, 0);
    base::Result<state::SealKeyPair> pair = state::GenerateSealKeyPair(random_);
    ASSERT_TRUE(pair.has_value());
    private_key_ = std::move(pair->private_key);
    seal_pub_ = (root_ / "seal.pub").string();
    std::ofstream(seal_pub_) << state::EncodeSealPublicKey(pair->public_key) << "\n";
  }
  void TearDown() override { fs::remove_all(root_); }

  GitOutput Git(const std::vector<std::string>& args) { return RunGit(repo_.string(), args); }

  AdminRun Admin(std::vector<std::string> args) {
    args.push_back("--repo");
    args.push_back(repo_.string());
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    AdminRun r;
    r.code = RunAdminVerbs(args, out, err);
    auto read = [](std::FILE* f) {
      std::string s;
      std::rewind(f);
      char buf[4096];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof(buf), f)) > 0;) s.append(buf, n);
      std::fclose(f);
      return s;
    };
    r.out = read(out);
    r.err = read(err);
    return r;
  }

  std::string Head() { return Git({"rev-parse", "HEAD"}).output; }
  // Every version of every file in the history, and the messages.
  std::string History() { return Git({"log", "-p", "--all", "--format=%an <%ae>%n%B"}).output; }

  posix::OpenSslRandom random_;
  fs::path root_;
  fs::path repo_;
  std::string seal_pub_;
  base::Secret private_key_;
};

TEST_F(AdminCli, UserAddCommitsASealedSecretAndPrintsItOnce) {
  AdminRun r =
      Admin({"user", "add", "bob", "--seal-key", seal_pub_, "--author", "Ann Op <ann@x.org>"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("+ user bob"), std::string::npos) << r.out;
  std::size_t at = r.out.find("Secret key: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string secret = r.out.substr(at + 12, r.out.find('\n', at) - at - 12);
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_EQ(r.out.find(secret), r.out.rfind(secret)) << "printed once";
  EXPECT_EQ(Git({"log", "-1", "--format=%s|%an <%ae>"}).output,
            "admin: add user bob|Ann Op <ann@x.org>");
  EXPECT_EQ(Git({"show", "--name-only", "--format=", "HEAD"}).output, "users.toml");
  EXPECT_EQ(Git({"status", "--porcelain"}).output, "");
  // SECURITY: the secret is nowhere in the repo or its history; the sealed value opens to it.
  EXPECT_EQ(History().find(secret), std::string::npos);
  std::string users = Slurp(repo_ / "users.toml");
  EXPECT_EQ(users.find(secret), std::string::npos);
  std::size_t s = users.find("sealed:");
  ASSERT_NE(s, std::string::npos);
  std::string sealed = users.substr(s, users.find('"', s) - s);
  base::Result<base::Secret> opened = state::Unseal(sealed, private_key_, random_.LibCtx());
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->Reveal(), secret);
}

TEST_F(AdminCli, UserAddWithAReferenceAndWithoutASealKey) {
  AdminRun no_key = Admin({"user", "add", "bob"});
  EXPECT_EQ(no_key.code, 1);
  EXPECT_NE(no_key.err.find("--seal-key"), std::string::npos);
  AdminRun plain = Admin({"user", "add", "bob", "--secret-from", "hunter2-plain"});
  EXPECT_EQ(plain.code, 2);
  EXPECT_EQ(plain.err.find("hunter2"), std::string::npos);
  AdminRun ref = Admin({"user", "add", "bob", "--secret-from", "env:BOB_SECRET"});
  ASSERT_EQ(ref.code, 0) << ref.err;
  EXPECT_EQ(ref.out.find("Secret key"), std::string::npos);
  EXPECT_NE(Slurp(repo_ / "users.toml").find("[users.bob]\nsecret = \"env:BOB_SECRET\"\n"),
            std::string::npos);
}

TEST_F(AdminCli, DryRunPrintsThePlanAndChangesNothing) {
  const std::string head = Head();
  const std::string users = Slurp(repo_ / "users.toml");
  AdminRun r = Admin({"user", "disable", "viewer", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("~ user viewer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("enabled: true -> false"), std::string::npos) << r.out;
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Slurp(repo_ / "users.toml"), users);
  EXPECT_EQ(Git({"status", "--porcelain"}).output, "");
}

TEST_F(AdminCli, AnEditThatFailsValidationWritesNothing) {
  const std::string head = Head();
  const std::string buckets = Slurp(repo_ / "buckets.toml");
  // sse-kms needs a [key_service]; the quickstart has none.
  AdminRun r = Admin({"encrypt", "set", "sse-kms", "k1", "quickstart"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("buckets.toml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Slurp(repo_ / "buckets.toml"), buckets);
}

TEST_F(AdminCli, RefusesFilesWithUncommittedChanges) {
  { std::ofstream(repo_ / "users.toml", std::ios::app) << "# local note\n"; }
  const std::string dirty = Slurp(repo_ / "users.toml");
  AdminRun r = Admin({"user", "disable", "viewer"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("uncommitted"), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(repo_ / "users.toml"), dirty);
  // Another file's changes do not matter.
  AdminRun other = Admin({"encrypt", "set", "sse-s3", "quickstart"});
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_EQ(Git({"show", "--name-only", "--format=", "HEAD"}).output, "buckets.toml");
  EXPECT_EQ(Slurp(repo_ / "users.toml"), dirty);
}

TEST_F(AdminCli, PolicyLifecycle) {
  const fs::path doc = root_ / "getter.json";
  std::ofstream(doc) << R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                     << R"("Action":["s3:GetObject"],"Resource":["arn:aws:s3:::quickstart/*"]}]})";
  AdminRun created = Admin({"policy", "create", "getter", doc.string()});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_EQ(Git({"show", "--name-only", "--format=", "HEAD"}).output,
            "policies.toml\npolicies/getter.json");
  AdminRun attached = Admin({"policy", "attach", "getter", "--user", "viewer"});
  ASSERT_EQ(attached.code, 0) << attached.err;
  EXPECT_EQ(Git({"log", "-1", "--format=%s"}).output, "admin: attach policy getter to user viewer");
  EXPECT_NE(attached.out.find("policies: "), std::string::npos) << attached.out;
  const std::string head = Head();
  AdminRun refused = Admin({"policy", "remove", "getter"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("attached to user viewer"), std::string::npos) << refused.err;
  EXPECT_EQ(Head(), head);
  AdminRun info = Admin({"policy", "info", "getter", "--json"});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("\"user viewer\""), std::string::npos) << info.out;
  AdminRun forced = Admin({"policy", "remove", "getter", "--force"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_FALSE(fs::exists(repo_ / "policies/getter.json"));
  EXPECT_EQ(Git({"status", "--porcelain"}).output, "");
  EXPECT_NE(forced.out.find("- policy getter"), std::string::npos) << forced.out;
}

TEST_F(AdminCli, ListsAndInfo) {
  AdminRun list = Admin({"user", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("enabled"), std::string::npos);
  EXPECT_NE(list.out.find("viewer"), std::string::npos);
  AdminRun info = Admin({"user", "info", "viewer", "--json"});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("\"accessKey\": \"viewer\""), std::string::npos) << info.out;
  AdminRun policies = Admin({"policy", "list"});
  EXPECT_NE(policies.out.find("readwrite (built-in)"), std::string::npos) << policies.out;
  EXPECT_EQ(Admin({"user", "info", "nobody"}).code, 1);
}

TEST_F(AdminCli, WebhookTokenIsSealed) {
  AdminRun r = Admin({"config", "set", "audit_webhook:siem", "endpoint=http://127.0.0.1:9/log",
                      "auth_token=plain-token-123", "--seal-key", seal_pub_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(History().find("plain-token-123"), std::string::npos);
  EXPECT_EQ(r.out.find("plain-token-123"), std::string::npos);
  std::string audit = Slurp(repo_ / "audit.toml");
  EXPECT_NE(audit.find("[audit.webhook.siem]"), std::string::npos) << audit;
  EXPECT_NE(audit.find("auth_token = \"sealed:"), std::string::npos) << audit;
}

TEST_F(AdminCli, LdapSettingsAndDnPolicies) {
  AdminRun set = Admin({"idp", "ldap", "set", "server=ldap.example:389", "tls=starttls",
                        "lookup_bind_dn=cn=lookup,dc=example,dc=org",
                        "lookup_bind_password=plain-bind-pw", "user_dn_search_base=dc=example",
                        "user_dn_search_filter=(uid=%s)", "--seal-key", seal_pub_});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(History().find("plain-bind-pw"), std::string::npos);
  std::string idp = Slurp(repo_ / "identity.toml");
  EXPECT_NE(idp.find("[identity.ldap.main]"), std::string::npos) << idp;
  EXPECT_NE(idp.find("lookup_bind_password = \"sealed:"), std::string::npos) << idp;
  AdminRun attach = Admin({"idp", "ldap", "policy", "attach", "readonly", "--group",
                           "cn=auditors,ou=groups,dc=example,dc=org"});
  ASSERT_EQ(attach.code, 0) << attach.err;
  EXPECT_EQ(Git({"log", "-1", "--format=%s"}).output,
            "admin: attach policy readonly to LDAP group cn=auditors,ou=groups,dc=example,dc=org");
  EXPECT_NE(Slurp(repo_ / "identity.toml")
                .find("[identity.ldap.main.group_policies]\n"
                      "\"cn=auditors,ou=groups,dc=example,dc=org\" = [\"readonly\"]\n"),
            std::string::npos);
  AdminRun info = Admin({"policy", "info", "readonly"});
  EXPECT_NE(info.out.find("ldap main group cn=auditors"), std::string::npos) << info.out;
}

TEST_F(AdminCli, GroupVerbs) {
  AdminRun add = Admin({"group", "add", "devs", "viewer"});
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(Git({"log", "-1", "--format=%s"}).output, "admin: add group devs with members viewer");
  EXPECT_EQ(Slurp(repo_ / "groups.toml"), "[groups.devs]\nmembers = [\"viewer\"]\n");
  ASSERT_EQ(Admin({"policy", "attach", "readwrite", "--group", "devs"}).code, 0);
  AdminRun info = Admin({"group", "info", "devs", "--json"});
  EXPECT_NE(info.out.find("\"readwrite\""), std::string::npos) << info.out;
  ASSERT_EQ(Admin({"group", "remove", "devs"}).code, 0);
  EXPECT_EQ(Slurp(repo_ / "groups.toml"), "");
  EXPECT_EQ(Git({"status", "--porcelain"}).output, "");
}

TEST_F(AdminCli, PushNeedsARemote) {
  const std::string head = Head();
  AdminRun r = Admin({"user", "disable", "viewer", "--push"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no remote"), std::string::npos) << r.err;
  EXPECT_EQ(Head(), head);
  const fs::path bare = root_ / "origin.git";
  ASSERT_EQ(RunGit(root_.string(), {"init", "-q", "--bare", bare.string()}).exit_code, 0);
  ASSERT_EQ(Git({"remote", "add", "origin", bare.string()}).exit_code, 0);
  AdminRun pushed = Admin({"user", "disable", "viewer", "--push"});
  ASSERT_EQ(pushed.code, 0) << pushed.err;
  EXPECT_EQ(RunGit(bare.string(), {"rev-parse", "main"}).output, Head());
}

TEST_F(AdminCli, UsageAndHelp) {
  EXPECT_EQ(Admin({"user", "frobnicate", "x"}).code, 2);
  EXPECT_EQ(Admin({"nothing"}).code, 2);
  EXPECT_EQ(Admin({"user", "add"}).code, 2);
  EXPECT_EQ(Admin({"policy", "attach", "readwrite"}).code, 2);
  EXPECT_EQ(Admin({"user", "enable", "viewer"}).code, 0);  // Already enabled: nothing to do.
  std::FILE* out = std::tmpfile();
  EXPECT_EQ(RunAdminVerbs({"--help"}, out, out), 0);
  std::fclose(out);
}

}  // namespace
}  // namespace coffer::cli
