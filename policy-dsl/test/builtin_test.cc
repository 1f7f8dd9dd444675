#include "coffer/policy/builtin.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

using testing::Allows;
using testing::Probe;

std::shared_ptr<const CompiledPolicy> Builtin(std::string_view name) {
  const auto json = BuiltinPolicyJson(name);
  EXPECT_TRUE(json.has_value()) << name;
  return testing::MustCompile(json.value_or(""), PolicyKind::kIdentity,
                              "builtin:" + std::string(name));
}

TEST(Builtins, AllCompile) {
  EXPECT_EQ(BuiltinPolicyNames().size(), 5u);
  for (const std::string_view name : BuiltinPolicyNames()) EXPECT_NE(Builtin(name), nullptr);
  EXPECT_FALSE(BuiltinPolicyJson("nope").has_value());
}

TEST(Builtins, ReadonlyReadsOnly) {
  const auto p = Builtin("readonly");
  EXPECT_TRUE(Allows(p, Probe{.action = "s3:GetObject"}));
  EXPECT_TRUE(Allows(p, Probe{.action = "s3:GetBucketLocation", .resource = "arn:aws:s3:::b"}));
  EXPECT_FALSE(Allows(p, Probe{.action = "s3:PutObject"}));
  EXPECT_FALSE(Allows(p, Probe{.action = "s3:ListBucket"}));
}

TEST(Builtins, ReadwriteAllowsEveryS3ActionButNoAdmin) {
  const auto p = Builtin("readwrite");
  EXPECT_TRUE(Allows(p, Probe{.action = "s3:DeleteObject"}));
  EXPECT_TRUE(Allows(p, Probe{.action = "s3:PutBucketPolicy", .resource = "arn:aws:s3:::b"}));
  EXPECT_FALSE(Allows(p, Probe{.action = "admin:CreateUser", .resource = ""}));
}

TEST(Builtins, WriteonlyWritesOnly) {
  const auto p = Builtin("writeonly");
  EXPECT_TRUE(Allows(p, Probe{.action = "s3:PutObject"}));
  EXPECT_FALSE(Allows(p, Probe{.action = "s3:GetObject"}));
}

TEST(Builtins, DiagnosticsAllowsOnlyDiagnosticAdminActions) {
  const auto p = Builtin("diagnostics");
  EXPECT_TRUE(Allows(p, Probe{.action = "admin:ServerTrace", .resource = ""}));
  EXPECT_TRUE(Allows(p, Probe{.action = "admin:OBDInfo", .resource = ""}));
  EXPECT_FALSE(Allows(p, Probe{.action = "admin:CreateUser", .resource = ""}));
  EXPECT_FALSE(Allows(p, Probe{.action = "s3:GetObject"}));
}

TEST(Builtins, ConsoleAdminAllowsEverything) {
  const auto p = Builtin("consoleAdmin");
  EXPECT_TRUE(Allows(p, Probe{.action = "admin:CreateUser", .resource = ""}));
  EXPECT_TRUE(Allows(p, Probe{.action = "kms:CreateKey", .resource = ""}));
  EXPECT_TRUE(Allows(p, Probe{.action = "s3:DeleteBucket", .resource = "arn:aws:s3:::b"}));
  EXPECT_FALSE(Allows(p, Probe{.action = "sts:AssumeRole", .resource = ""}));
}

}  // namespace
}  // namespace coffer::policy
