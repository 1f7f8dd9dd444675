#include <string>

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

// Every condition key the issue lists, and the others MinIO supports: each one validates, is
// found in the request context case-insensitively, and works as a policy variable.
constexpr std::string_view kKeys[] = {"aws:SourceIp",
                                      "aws:SecureTransport",
                                      "aws:CurrentTime",
                                      "aws:EpochTime",
                                      "aws:Referer",
                                      "aws:UserAgent",
                                      "aws:username",
                                      "aws:userid",
                                      "aws:PrincipalType",
                                      "aws:groups",
                                      "s3:prefix",
                                      "s3:delimiter",
                                      "s3:max-keys",
                                      "s3:x-amz-server-side-encryption",
                                      "s3:x-amz-server-side-encryption-aws-kms-key-id",
                                      "s3:signatureversion",
                                      "s3:authType",
                                      "s3:versionid",
                                      "s3:ExistingObjectTag/team",
                                      "s3:RequestObjectTag/env",
                                      "s3:RequestObjectTagKeys",
                                      "jwt:sub",
                                      "jwt:preferred_username",
                                      "jwt:groups",
                                      "ldap:user",
                                      "ldap:username",
                                      "ldap:groups",
                                      "s3:x-amz-copy-source",
                                      "s3:x-amz-metadata-directive",
                                      "s3:x-amz-storage-class",
                                      "s3:LocationConstraint",
                                      "s3:object-lock-mode",
                                      "s3:object-lock-legal-hold",
                                      "s3:object-lock-retain-until-date",
                                      "s3:object-lock-remaining-retention-days",
                                      "s3:signatureAge",
                                      "s3:x-amz-content-sha256",
                                      "s3:x-amz-server-side-encryption-customer-algorithm"};

TEST(ConditionKeys, EveryListedKeyValidatesAndMatches) {
  for (const std::string_view key : kKeys) {
    SCOPED_TRACE(std::string(key));
    const std::string condition = R"({"StringEquals":{")" + std::string(key) + R"(":"v"}})";
    EXPECT_TRUE(testing::ConditionHolds(condition, {{std::string(key), "v"}}));
    EXPECT_FALSE(testing::ConditionHolds(condition, {{std::string(key), "w"}}));
  }
}

TEST(ConditionKeys, EveryListedKeyWorksAsAVariable) {
  for (const std::string_view key : kKeys) {
    SCOPED_TRACE(std::string(key));
    const auto p = testing::MustCompile(testing::Policy(
        R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${)" +
        std::string(key) + R"(}/*"})"));
    testing::Probe probe;
    probe.resource = "arn:aws:s3:::b/value/x";
    probe.context = {{std::string(key), "value"}};
    EXPECT_TRUE(testing::Allows(p, probe));
    probe.resource = "arn:aws:s3:::b/other/x";
    EXPECT_FALSE(testing::Allows(p, probe));
  }
}

TEST(ConditionKeys, UnknownKeysAndFamiliesWithoutANameAreRejected) {
  for (const char* key : {"aws:nope", "s3:prefixes", "jwt:", "ldap:", "s3:ExistingObjectTag/",
                          "prefix", "iam:PassedToService"}) {
    SCOPED_TRACE(key);
    const auto errors = testing::Check(testing::Policy(
        R"({"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{")" +
        std::string(key) + R"(":"x"}}})"));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].message.find("unknown condition key"), std::string::npos);
  }
}

TEST(Actions, EveryMinioActionFamilyValidates) {
  for (const char* action : {"s3:GetObject",
                             "s3:PutObject",
                             "s3:ListBucket",
                             "s3:ListAllMyBuckets",
                             "s3:GetBucketPolicy",
                             "s3:PutBucketPolicy",
                             "s3:DeleteBucketPolicy",
                             "s3:PutLifecycleConfiguration",
                             "s3:GetEncryptionConfiguration",
                             "s3:BypassGovernanceRetention",
                             "s3:ReplicateObject",
                             "s3:ListenBucketNotification",
                             "s3:GetObjectVersionForReplication",
                             "s3:PutObjectFanOut",
                             "admin:ServerInfo",
                             "admin:CreateUser",
                             "admin:OBDInfo",
                             "admin:AttachUserOrGroupPolicy",
                             "admin:*",
                             "kms:CreateKey",
                             "kms:KeyStatus",
                             "kms:*",
                             "sts:AssumeRole",
                             "sts:AssumeRoleWithWebIdentity",
                             "sts:*",
                             "s3:*",
                             "*",
                             "s3:Get*",
                             "s3:*Object*",
                             "S3:GETOBJECT"}) {
    SCOPED_TRACE(action);
    EXPECT_TRUE(testing::Check(testing::Policy(R"({"Effect":"Allow","Action":")" +
                                               std::string(action) + R"(","Resource":"*"})"))
                    .empty());
  }
}

}  // namespace
}  // namespace coffer::policy
