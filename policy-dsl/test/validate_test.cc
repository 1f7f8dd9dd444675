#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

using testing::Check;

std::vector<std::string> Lines(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(FormatDiagnostic(d, ""));
  return out;
}

TEST(Validate, AcceptsAValidPolicy) {
  EXPECT_TRUE(
      Check(testing::Policy(R"({"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:List*"],)"
                            R"("Resource":"arn:aws:s3:::b/${aws:username}/*"})"))
          .empty());
}

TEST(Validate, ReportsEveryErrorWithLineColumnAndPath) {
  const std::string text = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "bucket/*"},
    {"Sid": "A", "Effect": "Maybe", "Action": "s3:GetObject", "NotAction": "s3:PutObject",
     "Resource": "*"},
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringLikes": {"s3:prefix": "x"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/33"},
                   "NumericLessThan": {"s3:max-keys": "ten"},
                   "DateLessThan": {"aws:CurrentTime": "yesterday"},
                   "StringEquals": {"aws:Nonsense": "x"}}},
    {}
  ]
})";
  EXPECT_EQ(
      Lines(Check(text)),
      (std::vector<std::string>{
          R"(4:47: Statement[0].Action[0]: unknown action "s3:GetObjekt")",
          R"(4:75: Statement[0].Resource[0]: malformed resource ARN "bucket/*"; expected )"
          R"(arn:aws:s3:::BUCKET[/KEY])",
          R"(5:13: Statement[1].Sid: duplicate Sid "A" (first at 4:13))",
          R"(5:28: Statement[1].Effect: Effect must be "Allow" or "Deny", not "Maybe")",
          R"(5:76: Statement[1].NotAction: statement has both Action and NotAction)",
          R"(8:20: Statement[2].Condition.StringLikes: unknown condition operator "StringLikes")",
          R"(8:85: Statement[2].Condition.IpAddress.aws:SourceIp: bad CIDR "10.0.0.0/33")",
          R"(9:55: Statement[2].Condition.NumericLessThan.s3:max-keys: bad number "ten")",
          R"(10:56: Statement[2].Condition.DateLessThan.aws:CurrentTime: bad date (want ISO 8601 )"
          R"(or epoch seconds) "yesterday")",
          R"(11:37: Statement[2].Condition.StringEquals.aws:Nonsense: unknown condition key )"
          R"("aws:Nonsense")",
          R"(12:5: Statement[3]: empty statement)",
      }));
}

TEST(Validate, RequiresStatementsEffectAndAction) {
  EXPECT_EQ(Lines(Check(R"({"Version":"2012-10-17"})")),
            (std::vector<std::string>{"1:1: policy has no Statement"}));
  EXPECT_EQ(Lines(Check(R"({"Version":"2012-10-17","Statement":[]})")),
            (std::vector<std::string>{"1:37: Statement: Statement is empty"}));
  EXPECT_EQ(Lines(Check(R"({"Statement":{"Resource":"*"}})")),
            (std::vector<std::string>{"1:14: Statement: missing Effect",
                                      "1:14: Statement: missing Action or NotAction"}));
}

TEST(Validate, RejectsUnknownVersion) {
  EXPECT_EQ(
      Lines(Check(R"({"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"admin:*"}})")),
      (std::vector<std::string>{
          R"(1:12: Version: unknown Version "2020-01-01"; use "2012-10-17" or "2008-10-17")"}));
}

TEST(Validate, WildcardActionsMustMatchSomeKnownAction) {
  EXPECT_TRUE(Check(testing::Policy(R"({"Effect":"Allow","Action":"s3:*Object*","Resource":"*"})"))
                  .empty());
  EXPECT_TRUE(
      Check(testing::Policy(R"({"Effect":"Allow","Action":["admin:*","kms:*","sts:Assume*"]})"))
          .empty());
  EXPECT_EQ(
      Check(testing::Policy(R"({"Effect":"Allow","Action":"s3:Frob*","Resource":"*"})")).size(),
      1u);
  EXPECT_EQ(Check(testing::Policy(R"({"Effect":"Allow","Action":"ec2:*","Resource":"*"})")).size(),
            1u);
}

TEST(Validate, S3ActionsNeedAResourceAdminActionsDoNot) {
  EXPECT_EQ(Lines(Check(testing::Policy(R"({"Effect":"Allow","Action":"s3:GetObject"})"))),
            (std::vector<std::string>{
                "1:38: Statement[0]: missing Resource or NotResource for s3 actions"}));
  EXPECT_EQ(Check(testing::Policy(R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"*",)"
                                  R"("NotResource":"*"})"))
                .size(),
            1u);
}

TEST(Validate, PrincipalRulesDependOnPolicyKind) {
  const std::string with_principal = testing::Policy(
      R"({"Effect":"Allow","Principal":{"AWS":["alice"]},"Action":"s3:GetObject","Resource":"*"})");
  const std::string without =
      testing::Policy(R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"*"})");
  EXPECT_TRUE(Check(with_principal, PolicyKind::kBucket).empty());
  EXPECT_EQ(Check(with_principal, PolicyKind::kIdentity).size(), 1u);
  EXPECT_EQ(Check(without, PolicyKind::kBucket).size(), 1u);
  EXPECT_EQ(Check(testing::Policy(R"({"Effect":"Allow","Principal":{"Service":"x"},)"
                                  R"("Action":"s3:GetObject","Resource":"*"})"),
                  PolicyKind::kBucket)
                .size(),
            1u);
  EXPECT_EQ(Check(testing::Policy(R"({"Effect":"Allow","Principal":"alice",)"
                                  R"("Action":"s3:GetObject","Resource":"*"})"),
                  PolicyKind::kBucket)
                .size(),
            2u);
}

TEST(Validate, ChecksConditionValueTypes) {
  auto errors = [](std::string_view condition) {
    return Check(
               testing::Policy(R"({"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":)" +
                               std::string(condition) + "}"))
        .size();
  };
  EXPECT_EQ(errors(R"({"Bool":{"aws:SecureTransport":"yes"}})"), 1u);
  EXPECT_EQ(errors(R"({"Bool":{"aws:SecureTransport":true}})"), 0u);
  EXPECT_EQ(errors(R"({"Null":{"s3:prefix":"maybe"}})"), 1u);
  EXPECT_EQ(errors(R"({"NullIfExists":{"s3:prefix":"true"}})"), 1u);
  EXPECT_EQ(errors(R"({"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}})"), 0u);
  EXPECT_EQ(errors(R"({"IpAddress":{"aws:SourceIp":"300.0.0.1"}})"), 1u);
  EXPECT_EQ(errors(R"({"BinaryEquals":{"s3:x-amz-content-sha256":"not base64!"}})"), 1u);
  EXPECT_EQ(errors(R"({"ArnLike":{"aws:userid":"arn:aws:iam"}})"), 1u);
  EXPECT_EQ(errors(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-13-01T00:00:00Z"}})"), 1u);
  EXPECT_EQ(errors(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-02-29T00:00:00Z"}})"), 1u);
  EXPECT_EQ(errors(R"({"DateGreaterThan":{"aws:CurrentTime":"2028-02-29T00:00:00Z"}})"), 0u);
  EXPECT_EQ(errors(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-04-31"}})"), 1u);
  EXPECT_EQ(errors(R"({"StringEquals":{"s3:prefix":[]}})"), 1u);
  EXPECT_EQ(errors(R"({"ForAllValues:StringLikeIfExists":{"jwt:groups":"a*"}})"), 0u);
  EXPECT_EQ(errors(R"({"StringEquals":{"s3:ExistingObjectTag/team":"x","ldap:user":"y"}})"), 0u);
}

TEST(Validate, RejectsUnknownPolicyVariablesOnlyIn2012Policies) {
  const std::string stmt =
      R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:nope}/*"}]})";
  EXPECT_EQ(Check(R"({"Version":"2012-10-17","Statement":[)" + stmt).size(), 1u);
  EXPECT_EQ(Check(R"({"Version":"2008-10-17","Statement":[)" + stmt).size(), 0u);
}

}  // namespace
}  // namespace coffer::policy
