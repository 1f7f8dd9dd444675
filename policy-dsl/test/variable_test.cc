#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

using testing::Allows;
using testing::MustCompile;
using testing::Policy;
using testing::Probe;

// The per-user prefix policy from the MinIO security overview.
constexpr std::string_view kPerUserPrefix = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::mybucket"],
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]}
  ]
})";

Probe Get(std::string user, const std::string& key) {
  Probe p;
  p.resource = "arn:aws:s3:::mybucket/" + key;
  p.context = {{"aws:username", std::move(user)}};
  return p;
}

TEST(Variables, UsernameSelectsTheUsersPrefix) {
  const auto p = MustCompile(kPerUserPrefix);
  EXPECT_TRUE(Allows(p, Get("alice", "alice/notes.txt")));
  EXPECT_FALSE(Allows(p, Get("alice", "bob/notes.txt")));
  Probe list{.action = "s3:ListBucket", .resource = "arn:aws:s3:::mybucket"};
  list.context = {{"aws:username", "alice"}, {"s3:prefix", "alice/docs"}};
  EXPECT_TRUE(Allows(p, list));
  list.context = {{"aws:username", "alice"}, {"s3:prefix", "bob/"}};
  EXPECT_FALSE(Allows(p, list));
}

TEST(Variables, SubstitutedValuesAreLiteralNeverPatterns) {
  const auto p = MustCompile(kPerUserPrefix);
  // SECURITY: a name made of wildcards matches only an object under that literal name.
  EXPECT_FALSE(Allows(p, Get("*", "bob/notes.txt")));
  EXPECT_TRUE(Allows(p, Get("*", "*/notes.txt")));
  EXPECT_FALSE(Allows(p, Get("?ob", "bob/notes.txt")));
  EXPECT_FALSE(Allows(p, Get("..", "bob/notes.txt")));
  EXPECT_FALSE(Allows(p, Get("alice/..", "bob/x")));
  EXPECT_FALSE(Allows(p, Get("${aws:userid}", "bob/x")));
  EXPECT_TRUE(Allows(p, Get("${aws:userid}", "${aws:userid}/x")));
  EXPECT_TRUE(Allows(p, Get("\xc3\xa9milie", "\xc3\xa9milie/x")));
  EXPECT_FALSE(Allows(p, Get("\xc3\xa9milie", "emilie/x")));
}

TEST(Variables, MissingVariableMatchesNothing) {
  const auto p = MustCompile(kPerUserPrefix);
  Probe probe;
  probe.resource = "arn:aws:s3:::mybucket//x";
  EXPECT_FALSE(Allows(p, probe));
  probe.resource = "arn:aws:s3:::mybucket/${aws:username}/x";
  EXPECT_FALSE(Allows(p, probe));
}

TEST(Variables, MultiValuedVariableFailsClosed) {
  const auto p = MustCompile(
      Policy(R"({"Effect":"Allow","Action":"s3:*","Resource":"*"},)"
             R"({"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"})"));
  Probe probe;
  probe.resource = "arn:aws:s3:::b/x/y";
  probe.context = {{"aws:username", "x"}, {"aws:username", "y"}};
  EXPECT_FALSE(Allows(p, probe));
}

TEST(Variables, EscapesStandForLiteralCharacters) {
  const auto p = MustCompile(Policy(
      R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}${?}${$}"})"));
  EXPECT_TRUE(Allows(p, Probe{.resource = "arn:aws:s3:::b/*?$"}));
  EXPECT_FALSE(Allows(p, Probe{.resource = "arn:aws:s3:::b/xy$"}));
}

TEST(Variables, WorkInConditionValues) {
  EXPECT_TRUE(testing::ConditionHolds(R"({"StringEquals":{"s3:prefix":"${aws:username}"}})",
                                      {{"s3:prefix", "alice"}, {"aws:username", "alice"}}));
  EXPECT_FALSE(testing::ConditionHolds(R"({"StringEquals":{"s3:prefix":"${aws:username}"}})",
                                       {{"s3:prefix", "alice"}, {"aws:username", "bob"}}));
  EXPECT_TRUE(testing::ConditionHolds(R"({"StringLike":{"s3:prefix":"${jwt:sub}/*"}})",
                                      {{"s3:prefix", "u1/a"}, {"jwt:sub", "u1"}}));
  EXPECT_TRUE(testing::ConditionHolds(R"({"StringEquals":{"s3:prefix":"${ldap:username}"}})",
                                      {{"s3:prefix", "x"}, {"ldap:username", "x"}}));
  EXPECT_TRUE(testing::ConditionHolds(R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})",
                                      {{"aws:SourceIp", "10.1.1.1"}}));
}

TEST(Variables, AreNotSubstitutedInVersion2008) {
  const auto p = MustCompile(
      R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::b/${aws:username}/*"}})");
  Probe probe;
  probe.resource = "arn:aws:s3:::b/alice/x";
  probe.context = {{"aws:username", "alice"}};
  EXPECT_FALSE(Allows(p, probe));
  probe.resource = "arn:aws:s3:::b/${aws:username}/x";
  EXPECT_TRUE(Allows(p, probe));
}

}  // namespace
}  // namespace coffer::policy
