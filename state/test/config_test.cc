#include "coffer/state/config.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::state {
namespace {

using testing::Tree;

constexpr const char* kReadWrite = R"({
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b/*"]}]
})";

TEST(ConfigLoader, LoadsUsersGroupsPoliciesBuckets) {
  ConfigLoad load = LoadConfig(Tree({
      {"main.toml", R"(
[users.alice]
secret = "env:ALICE_SECRET"
policies = ["readwrite"]
groups = ["devs"]

[users.bob]
secret = "file:secrets/bob"
enabled = false

[groups.devs]
members = ["bob"]
policies = ["rw"]

[policies.rw]
file = "policies/rw.json"

[buckets.photos]
versioning = true
encryption = "sse-kms"
kms_key = "photos-key"
anonymous = "download"
quota_bytes = 1000

[key_service]
address = "https://kes:7373"
)"},
      {"policies/rw.json", kReadWrite},
  }));
  ASSERT_TRUE(load.ok()) << FormatErrors(load.errors);
  const DesiredState& s = load.state;
  ASSERT_EQ(s.users.size(), 2u);
  EXPECT_EQ(s.users.at("alice").secret.kind, SecretRef::Kind::kEnv);
  EXPECT_EQ(s.users.at("alice").secret.target, "ALICE_SECRET");
  EXPECT_FALSE(s.users.at("bob").enabled);
  EXPECT_EQ(s.groups.at("devs").members, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(s.buckets.at("photos").encryption, Encryption::kSseKms);
  EXPECT_EQ(s.buckets.at("photos").quota_bytes, 1000);
  EXPECT_NE(s.policies.at("rw").document.find("s3:*"), std::string::npos);
}

TEST(ConfigLoader, ReportsEveryErrorWithPositions) {
  ConfigLoad load = LoadConfig(Tree({
      {"a.toml", "[users.alice]\nsecret = \"hunter2\"\npolcies = [\"readwrite\"]\n"},
      {"b.toml", "[users.alice]\nsecret = \"env:X\"\n[buckets.x]\nversioning = \"yes\"\n"},
  }));
  ASSERT_FALSE(load.ok());
  std::string all = FormatErrors(load.errors);
  EXPECT_NE(all.find("a.toml:2:10: users.alice.secret: plain secrets are not allowed"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("a.toml:3:1: users.alice: unknown key \"polcies\""), std::string::npos) << all;
  EXPECT_NE(all.find("b.toml:1:8: duplicate user \"alice\""), std::string::npos) << all;
  EXPECT_NE(all.find("b.toml:4:14: buckets.x.versioning: expected a boolean"), std::string::npos)
      << all;
  EXPECT_NE(all.find("b.toml:3:10: bucket name \"x\""), std::string::npos) << all;
  // SECURITY: the plain secret itself never appears in an error.
  EXPECT_EQ(all.find("hunter2"), std::string::npos);
}

TEST(ConfigLoader, TrustedProxiesMustBeAddressesOrBlocks) {
  ConfigLoad good = LoadConfig(
      Tree({{"a.toml",
             "[appliance]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\nallow_sigv2 = false\n"}}));
  EXPECT_TRUE(good.ok()) << FormatErrors(good.errors);
  ConfigLoad bad =
      LoadConfig(Tree({{"a.toml", "[appliance]\ntrusted_proxies = [\"10.0.0.0/8\", \"lan\"]\n"}}));
  ASSERT_FALSE(bad.ok());
  const std::string all = FormatErrors(bad.errors);
  EXPECT_NE(all.find("a.toml:2:1"), std::string::npos) << all;
  EXPECT_NE(all.find("'lan' is not an IP address or CIDR block"), std::string::npos) << all;
}

TEST(ConfigLoader, DanglingReferencesAreErrors) {
  ConfigLoad load = LoadConfig(Tree({{"x.toml", R"(
[users.alice]
secret = "env:A"
policies = ["nope"]
groups = ["ghosts"]
[groups.g]
members = ["carol"]
[identity.ldap.corp]
server = "ldap.example:636"
[identity.ldap.corp.group_policies]
"cn=admins,dc=example" = ["missing-policy"]
)"}}));
  std::string all = FormatErrors(load.errors);
  EXPECT_NE(all.find("policy \"nope\" is not defined"), std::string::npos) << all;
  EXPECT_NE(all.find("group \"ghosts\" is not defined"), std::string::npos) << all;
  EXPECT_NE(all.find("member \"carol\" is not a defined user"), std::string::npos) << all;
  EXPECT_NE(all.find("policy \"missing-policy\" is not defined"), std::string::npos) << all;
}

TEST(ConfigLoader, PolicyJsonErrorsMapIntoTheTomlString) {
  ConfigLoad load = LoadConfig(Tree({{"p.toml",
                                      "[policies.bad]\n"
                                      "json = '''\n"
                                      "{\"Version\": \"2012-10-17\",\n"
                                      " \"Statement\": [{\"Effect\": \"Allow\",, }]}\n"
                                      "'''\n"}}));
  ASSERT_EQ(load.errors.size(), 1u) << FormatErrors(load.errors);
  EXPECT_EQ(load.errors[0].where.file, "p.toml");
  EXPECT_EQ(load.errors[0].where.line, 4);
  EXPECT_EQ(load.errors[0].where.column, 35);
}

TEST(ConfigLoader, PolicyJsonErrorsPointIntoTheJsonFile) {
  ConfigLoad load = LoadConfig(Tree({
      {"p.toml", "[policies.bad]\nfile = \"bad.json\"\n"},
      {"bad.json",
       "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Maybe\", "
       "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]\n}\n"},
  }));
  ASSERT_EQ(load.errors.size(), 1u) << FormatErrors(load.errors);
  EXPECT_EQ(load.errors[0].where.file, "bad.json");
  EXPECT_EQ(load.errors[0].where.line, 3);
  EXPECT_NE(load.errors[0].message.find("Effect"), std::string::npos);
}

TEST(ConfigLoader, PolicyAsTomlTable) {
  ConfigLoad load = LoadConfig(Tree({{"p.toml", R"(
[policies.t.document]
Version = "2012-10-17"
[[policies.t.document.Statement]]
Effect = "Allow"
Action = ["s3:GetObject"]
Resource = ["arn:aws:s3:::b/*"]
)"}}));
  ASSERT_TRUE(load.ok()) << FormatErrors(load.errors);
  EXPECT_EQ(load.state.policies.at("t").document,
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],)"
            R"("Resource":["arn:aws:s3:::b/*"]}]})");
}

TEST(ConfigLoader, BuiltinsCannotBeRedefinedButCanBeAttached) {
  ConfigLoad load =
      LoadConfig(Tree({{"p.toml", std::string("[policies.readonly]\njson = '''") + kReadWrite +
                                      "'''\n[users.v]\nsecret = "
                                      "\"env:V\"\npolicies = "
                                      "[\"readonly\"]\n"}}));
  ASSERT_EQ(load.errors.size(), 1u) << FormatErrors(load.errors);
  EXPECT_NE(load.errors[0].message.find("built in"), std::string::npos);
}

TEST(ConfigLoader, TomlSyntaxErrorHasPosition) {
  ConfigLoad load = LoadConfig(Tree({{"s.toml", "[users.a\nsecret = 1\n"}}));
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.errors[0].where.file, "s.toml");
  EXPECT_EQ(load.errors[0].where.line, 1);
}

TEST(ConfigLoader, SettingsSchemaChecksTypesAndNestedKeys) {
  ConfigLoad load = LoadConfig(Tree({{"s.toml", R"(
[appliance]
region = "edge-1"
listen = ["0.0.0.0:9000"]
[appliance.tls]
cert_file = "/etc/coffer/tls.crt"
client_auth = "sometimes"
colour = "blue"
[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "plain"
[audit.webhook.siem]
endpoint = "https://siem/ingest"
auth_token = "env:SIEM_TOKEN"
batch_size = "ten"
)"}}));
  std::string all = FormatErrors(load.errors);
  EXPECT_NE(all.find("appliance.tls.client_auth: expected one of none, request, require"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("appliance.tls: unknown key \"colour\""), std::string::npos) << all;
  EXPECT_NE(all.find("appliance.root.secret_key: plain secrets"), std::string::npos) << all;
  EXPECT_NE(all.find("audit.webhook.siem.batch_size: expected an integer"), std::string::npos)
      << all;
  EXPECT_EQ(load.errors.size(), 4u) << all;
}

TEST(ConfigLoader, AdminPrincipalDetection) {
  ConfigLoad with_admin = LoadConfig(Tree({{"a.toml",
                                            "[users.root]\nsecret = \"env:R\"\n"
                                            "policies = [\"consoleAdmin\"]\n"}}));
  ASSERT_TRUE(with_admin.ok());
  EXPECT_TRUE(HasAdminPrincipal(with_admin.state));
  ConfigLoad without = LoadConfig(Tree({{"a.toml",
                                         "[users.v]\nsecret = \"env:R\"\n"
                                         "policies = [\"readonly\"]\n"}}));
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(HasAdminPrincipal(without.state));
}

TEST(SecretRef, ParsesReferencesAndRejectsPlainValues) {
  EXPECT_TRUE(ParseSecretRef("env:FOO_1").has_value());
  EXPECT_TRUE(ParseSecretRef("file:/run/secrets/x").has_value());
  EXPECT_FALSE(ParseSecretRef("env:1FOO").has_value());
  EXPECT_FALSE(ParseSecretRef("env:").has_value());
  EXPECT_FALSE(ParseSecretRef("correct horse battery staple").has_value());
  EXPECT_FALSE(ParseSecretRef("sealed:not base64!").has_value());
}

}  // namespace
}  // namespace coffer::state
