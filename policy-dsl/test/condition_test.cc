#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

using testing::ConditionHolds;

TEST(StringOperators, EqualsNotEqualsAndIgnoreCase) {
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"s3:prefix":["a","b"]}})", {{"s3:prefix", "b"}}));
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"s3:prefix":"a"}})", {{"s3:prefix", "A"}}));
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"s3:prefix":"a*"}})", {{"s3:prefix", "ab"}}));
  EXPECT_TRUE(
      ConditionHolds(R"({"StringEqualsIgnoreCase":{"s3:prefix":"a"}})", {{"s3:prefix", "A"}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringNotEquals":{"s3:prefix":"a"}})", {{"s3:prefix", "b"}}));
  EXPECT_FALSE(
      ConditionHolds(R"({"StringNotEquals":{"s3:prefix":["a","b"]}})", {{"s3:prefix", "b"}}));
  EXPECT_FALSE(
      ConditionHolds(R"({"StringNotEqualsIgnoreCase":{"s3:prefix":"a"}})", {{"s3:prefix", "A"}}));
}

TEST(StringOperators, LikeUsesWildcards) {
  EXPECT_TRUE(
      ConditionHolds(R"({"StringLike":{"s3:prefix":"home/*"}})", {{"s3:prefix", "home/a/b"}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringLike":{"s3:prefix":"h?me"}})", {{"s3:prefix", "home"}}));
  EXPECT_FALSE(
      ConditionHolds(R"({"StringLike":{"s3:prefix":"home/*"}})", {{"s3:prefix", "homer"}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringNotLike":{"s3:prefix":"home/*"}})", {{"s3:prefix", "x"}}));
}

TEST(ConditionKeys, AreCaseInsensitive) {
  EXPECT_TRUE(
      ConditionHolds(R"({"StringEquals":{"AWS:UserName":"alice"}})", {{"aws:username", "alice"}}));
  EXPECT_TRUE(
      ConditionHolds(R"({"StringEquals":{"aws:username":"alice"}})", {{"AWS:USERNAME", "alice"}}));
}

TEST(MissingKeys, FollowAwsRules) {
  EXPECT_FALSE(ConditionHolds(R"({"StringEquals":{"s3:prefix":"a"}})", {}));
  EXPECT_TRUE(ConditionHolds(R"({"StringNotEquals":{"s3:prefix":"a"}})", {}));
  EXPECT_TRUE(ConditionHolds(R"({"StringEqualsIfExists":{"s3:prefix":"a"}})", {}));
  EXPECT_FALSE(
      ConditionHolds(R"({"StringEqualsIfExists":{"s3:prefix":"a"}})", {{"s3:prefix", "b"}}));
  EXPECT_TRUE(ConditionHolds(R"({"ForAllValues:StringEquals":{"aws:groups":"a"}})", {}));
  EXPECT_FALSE(ConditionHolds(R"({"ForAnyValue:StringEquals":{"aws:groups":"a"}})", {}));
  EXPECT_TRUE(ConditionHolds(R"({"NumericLessThanIfExists":{"s3:max-keys":"10"}})", {}));
}

TEST(SetQualifiers, ForAnyValueAndForAllValues) {
  const std::vector<std::pair<std::string, std::string>> groups = {{"aws:groups", "dev"},
                                                                   {"aws:groups", "ops"}};
  EXPECT_TRUE(ConditionHolds(R"({"ForAnyValue:StringEquals":{"aws:groups":"ops"}})", groups));
  EXPECT_FALSE(ConditionHolds(R"({"ForAllValues:StringEquals":{"aws:groups":"ops"}})", groups));
  EXPECT_TRUE(
      ConditionHolds(R"({"ForAllValues:StringEquals":{"aws:groups":["ops","dev","x"]}})", groups));
  EXPECT_TRUE(ConditionHolds(R"({"ForAnyValue:StringNotEquals":{"aws:groups":"ops"}})", groups));
  EXPECT_FALSE(ConditionHolds(R"({"ForAllValues:StringNotEquals":{"aws:groups":"ops"}})", groups));
  EXPECT_TRUE(ConditionHolds(R"({"ForAllValues:StringNotEquals":{"aws:groups":"qa"}})", groups));
  EXPECT_FALSE(ConditionHolds(R"({"StringNotEquals":{"aws:groups":"ops"}})", groups));
}

TEST(NumericOperators, CompareAsNumbers) {
  auto holds = [](std::string_view op, std::string_view policy, std::string request) {
    return ConditionHolds(
        R"({")" + std::string(op) + R"(":{"s3:max-keys":")" + std::string(policy) + R"("}})",
        {{"s3:max-keys", std::move(request)}});
  };
  EXPECT_TRUE(holds("NumericEquals", "10", "10.0"));
  EXPECT_TRUE(holds("NumericNotEquals", "10", "11"));
  EXPECT_TRUE(holds("NumericLessThan", "10", "9"));
  EXPECT_FALSE(holds("NumericLessThan", "10", "10"));
  EXPECT_TRUE(holds("NumericLessThanEquals", "10", "10"));
  EXPECT_TRUE(holds("NumericGreaterThan", "10", "10.5"));
  EXPECT_TRUE(holds("NumericGreaterThanEquals", "-1", "-1"));
  EXPECT_FALSE(holds("NumericEquals", "10", "ten"));
  EXPECT_FALSE(holds("NumericEquals", "10", "inf"));
  EXPECT_TRUE(ConditionHolds(R"({"NumericLessThan":{"s3:max-keys":100}})", {{"s3:max-keys", "5"}}));
}

TEST(DateOperators, CompareInstantsFromIsoOrEpoch) {
  const std::string now = "2026-03-01T12:00:00Z";
  EXPECT_TRUE(ConditionHolds(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}})",
                             {{"aws:CurrentTime", now}}));
  EXPECT_FALSE(ConditionHolds(R"({"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}})",
                              {{"aws:CurrentTime", now}}));
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"2026-03-01T13:00:00+01:00"}})",
                             {{"aws:CurrentTime", now}}));
  EXPECT_TRUE(ConditionHolds(R"({"DateLessThanEquals":{"aws:EpochTime":"1772366400"}})",
                             {{"aws:EpochTime", "1772366400"}}));
  EXPECT_TRUE(ConditionHolds(R"({"DateEquals":{"aws:CurrentTime":"1772366400"}})",
                             {{"aws:CurrentTime", now}}));
  EXPECT_TRUE(ConditionHolds(R"({"DateNotEquals":{"aws:CurrentTime":"2026-03-01"}})",
                             {{"aws:CurrentTime", now}}));
  EXPECT_TRUE(
      ConditionHolds(R"({"DateGreaterThanEquals":{"aws:CurrentTime":"2026-03-01T12:00:00.000Z"}})",
                     {{"aws:CurrentTime", now}}));
}

TEST(BoolOperator, MatchesTrueAndFalse) {
  EXPECT_TRUE(ConditionHolds(R"({"Bool":{"aws:SecureTransport":"true"}})",
                             {{"aws:SecureTransport", "true"}}));
  EXPECT_TRUE(ConditionHolds(R"({"Bool":{"aws:SecureTransport":false}})",
                             {{"aws:SecureTransport", "FALSE"}}));
  EXPECT_FALSE(ConditionHolds(R"({"Bool":{"aws:SecureTransport":"true"}})",
                              {{"aws:SecureTransport", "false"}}));
  EXPECT_FALSE(ConditionHolds(R"({"Bool":{"aws:SecureTransport":"true"}})", {}));
}

TEST(BinaryOperator, ComparesBase64) {
  EXPECT_TRUE(ConditionHolds(R"({"BinaryEquals":{"s3:x-amz-content-sha256":"QUJD"}})",
                             {{"s3:x-amz-content-sha256", "QUJD"}}));
  EXPECT_FALSE(ConditionHolds(R"({"BinaryEquals":{"s3:x-amz-content-sha256":"QUJD"}})",
                              {{"s3:x-amz-content-sha256", "QUJE"}}));
}

TEST(IpOperators, MatchIpv4AndIpv6Cidrs) {
  const char* cond = R"({"IpAddress":{"aws:SourceIp":["192.168.1.0/24","2001:db8::/32"]}})";
  EXPECT_TRUE(ConditionHolds(cond, {{"aws:SourceIp", "192.168.1.77"}}));
  EXPECT_FALSE(ConditionHolds(cond, {{"aws:SourceIp", "192.168.2.1"}}));
  EXPECT_TRUE(ConditionHolds(cond, {{"aws:SourceIp", "2001:db8:1::5"}}));
  EXPECT_FALSE(ConditionHolds(cond, {{"aws:SourceIp", "2001:db9::1"}}));
  EXPECT_FALSE(ConditionHolds(cond, {{"aws:SourceIp", "::ffff:192.168.1.1"}}));
  EXPECT_TRUE(ConditionHolds(R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})",
                             {{"aws:SourceIp", "11.0.0.1"}}));
  EXPECT_FALSE(ConditionHolds(R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})",
                              {{"aws:SourceIp", "10.9.9.9"}}));
  EXPECT_TRUE(ConditionHolds(R"({"IpAddress":{"aws:SourceIp":"10.1.2.3"}})",
                             {{"aws:SourceIp", "10.1.2.3"}}));
  EXPECT_TRUE(ConditionHolds(R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})",
                             {{"aws:SourceIp", "8.8.8.8"}}));
  EXPECT_TRUE(ConditionHolds(R"({"IpAddress":{"aws:SourceIp":"::1"}})",
                             {{"aws:SourceIp", "0:0:0:0:0:0:0:1"}}));
}

TEST(ArnOperators, CompareSixParts) {
  const std::string arn = "arn:aws:iam::123456789012:user/alice";
  EXPECT_TRUE(
      ConditionHolds(R"({"ArnEquals":{"aws:userid":"arn:aws:iam::123456789012:user/alice"}})",
                     {{"aws:userid", arn}}));
  EXPECT_TRUE(ConditionHolds(R"({"ArnLike":{"aws:userid":"arn:aws:iam::*:user/*"}})",
                             {{"aws:userid", arn}}));
  EXPECT_FALSE(ConditionHolds(R"({"ArnLike":{"aws:userid":"arn:aws:iam::*:role/*"}})",
                              {{"aws:userid", arn}}));
  EXPECT_TRUE(
      ConditionHolds(R"({"ArnLike":{"aws:userid":"arn:*:*:*:*:*"}})", {{"aws:userid", arn}}));
  EXPECT_FALSE(
      ConditionHolds(R"({"ArnLike":{"aws:userid":"arn:aws:s3:*:*:*"}})", {{"aws:userid", arn}}));
  EXPECT_TRUE(ConditionHolds(R"({"ArnNotLike":{"aws:userid":"arn:aws:iam::*:role/*"}})",
                             {{"aws:userid", arn}}));
  EXPECT_FALSE(ConditionHolds(R"({"ArnEquals":{"aws:userid":"arn:aws:iam::1:user/alice"}})",
                              {{"aws:userid", "not-an-arn"}}));
}

TEST(NullOperator, TestsPresence) {
  EXPECT_TRUE(ConditionHolds(R"({"Null":{"s3:x-amz-server-side-encryption":"true"}})", {}));
  EXPECT_FALSE(ConditionHolds(R"({"Null":{"s3:x-amz-server-side-encryption":"true"}})",
                              {{"s3:x-amz-server-side-encryption", "AES256"}}));
  EXPECT_TRUE(ConditionHolds(R"({"Null":{"s3:x-amz-server-side-encryption":"false"}})",
                             {{"s3:x-amz-server-side-encryption", "AES256"}}));
}

TEST(Conditions, KeysAreAndedValuesAreOred) {
  const char* cond = R"({"StringEquals":{"s3:prefix":["a","b"],"s3:delimiter":"/"},)"
                     R"("Bool":{"aws:SecureTransport":"true"}})";
  EXPECT_TRUE(ConditionHolds(
      cond, {{"s3:prefix", "b"}, {"s3:delimiter", "/"}, {"aws:SecureTransport", "true"}}));
  EXPECT_FALSE(ConditionHolds(cond, {{"s3:prefix", "b"}, {"s3:delimiter", "/"}}));
  EXPECT_FALSE(ConditionHolds(
      cond, {{"s3:prefix", "c"}, {"s3:delimiter", "/"}, {"aws:SecureTransport", "true"}}));
}

TEST(Conditions, AwsDocExampleDenyInsecureTransport) {
  // From the AWS S3 user guide: deny any request that does not use TLS.
  const auto p = testing::MustCompile(
      testing::Policy(R"({"Effect":"Allow","Action":"s3:*","Resource":"*"},)"
                      R"({"Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::bucket",)"
                      R"("arn:aws:s3:::bucket/*"],)"
                      R"("Condition":{"Bool":{"aws:SecureTransport":"false"}}})"));
  EXPECT_FALSE(testing::Allows(p, {.context = {{"aws:SecureTransport", "false"}}}));
  EXPECT_TRUE(testing::Allows(p, {.context = {{"aws:SecureTransport", "true"}}}));
}

TEST(Conditions, TagKeysAndJwtClaims) {
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"s3:ExistingObjectTag/team":"blue"}})",
                             {{"s3:ExistingObjectTag/team", "blue"}}));
  EXPECT_TRUE(
      ConditionHolds(R"({"ForAllValues:StringLike":{"s3:RequestObjectTagKeys":["team","env*"]}})",
                     {{"s3:RequestObjectTagKeys", "team"}, {"s3:RequestObjectTagKeys", "env-x"}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringEquals":{"jwt:preferred_username":"alice"}})",
                             {{"jwt:preferred_username", "alice"}}));
  EXPECT_TRUE(ConditionHolds(R"({"StringLike":{"ldap:user":"uid=*,ou=people,dc=x"}})",
                             {{"ldap:user", "uid=a,ou=people,dc=x"}}));
}

}  // namespace
}  // namespace coffer::policy
