#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

using testing::Decide;
using testing::MustCompile;
using testing::Policy;
using testing::Probe;

constexpr std::string_view kAllowGet =
    R"({"Sid":"Get","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"})";
constexpr std::string_view kDenySecret = R"({"Sid":"NoSecret","Effect":"Deny","Action":"s3:*",)"
                                         R"("Resource":"arn:aws:s3:::bucket/secret/*"})";

TEST(Evaluator, DefaultDeny) {
  PolicySet empty;
  const Decision d = Decide(empty, Probe{});
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.reason, Reason::kImplicitDeny);
  EXPECT_EQ(d.statement_count, 0u);
}

TEST(Evaluator, AllowNamesTheDecidingStatement) {
  const auto p = MustCompile(Policy(kAllowGet), PolicyKind::kIdentity, "reader");
  const CompiledPolicy* list[] = {p.get()};
  PolicySet set{.identity = list};
  const Decision d = Decide(set, Probe{});
  EXPECT_EQ(d.effect, Effect::kAllow);
  EXPECT_EQ(d.reason, Reason::kAllow);
  ASSERT_EQ(d.statement_count, 1u);
  EXPECT_EQ(d.statements[0].ToString(), "reader/Get");
}

TEST(Evaluator, ExplicitDenyBeatsAllow) {
  const auto allow = MustCompile(Policy(kAllowGet), PolicyKind::kIdentity, "reader");
  const auto deny = MustCompile(Policy(kDenySecret), PolicyKind::kIdentity, "group");
  const CompiledPolicy* list[] = {allow.get(), deny.get()};
  PolicySet set{.identity = list};
  Probe probe;
  probe.resource = "arn:aws:s3:::bucket/secret/x";
  const Decision d = Decide(set, probe);
  EXPECT_EQ(d.reason, Reason::kExplicitDeny);
  EXPECT_EQ(d.statements[0].ToString(), "group/NoSecret");
  probe.resource = "arn:aws:s3:::bucket/public/x";
  EXPECT_EQ(Decide(set, probe).reason, Reason::kAllow);
}

TEST(Evaluator, StatementWithoutSidIsNamedByIndex) {
  const auto p = MustCompile(Policy(R"({"Effect":"Deny","Action":"s3:*","Resource":"*"})"),
                             PolicyKind::kIdentity, "deny-all");
  const CompiledPolicy* list[] = {p.get()};
  EXPECT_EQ(Decide(PolicySet{.identity = list}, Probe{}).statements[0].ToString(), "deny-all#0");
}

TEST(Evaluator, ActionsMatchCaseInsensitivelyWithWildcards) {
  const auto p = MustCompile(Policy(R"({"Effect":"Allow","Action":"s3:*Object*","Resource":"*"})"));
  EXPECT_TRUE(testing::Allows(p, Probe{.action = "s3:GetObject"}));
  EXPECT_TRUE(testing::Allows(p, Probe{.action = "S3:getobjecttagging"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.action = "s3:ListBucket"}));
  EXPECT_TRUE(testing::Allows(p, Probe{.action = "s3:FutureObjectThing"}));  // Not catalogued.
}

TEST(Evaluator, NotActionAndNotResource) {
  const auto p = MustCompile(Policy(R"({"Effect":"Allow","NotAction":"s3:DeleteObject",)"
                                    R"("NotResource":"arn:aws:s3:::bucket/private/*"})"));
  EXPECT_TRUE(testing::Allows(p, Probe{.action = "s3:PutObject"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.action = "s3:DeleteObject"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::bucket/private/k"}));
}

TEST(Evaluator, ResourceWildcardsCrossSlashes) {
  const auto p = MustCompile(
      Policy(R"({"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*/x",)"
             R"("arn:aws:s3:::c/a?c"]})"));
  EXPECT_TRUE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::b/1/2/3/x"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::b/1/2/3/y"}));
  EXPECT_TRUE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::c/a/c"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::c/abbc"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::B/1/x"}));  // Case-sensitive.
}

TEST(Evaluator, AdminActionsIgnoreResourceAsInMinio) {
  const auto p = MustCompile(Policy(R"({"Effect":"Allow","Action":"admin:ServerInfo"})"));
  EXPECT_TRUE(testing::Allows(p, Probe{.action = "admin:ServerInfo", .resource = ""}));
  EXPECT_FALSE(testing::Allows(p, Probe{.action = "admin:CreateUser", .resource = ""}));
}

TEST(Evaluator, IdentityOrBucketPolicyMayAllow) {
  const auto bucket = MustCompile(
      Policy(R"({"Sid":"B","Effect":"Allow","Principal":{"AWS":["alice"]},"Action":"s3:GetObject",)"
             R"("Resource":"arn:aws:s3:::bucket/*"})"),
      PolicyKind::kBucket, "bucket:bucket");
  PolicySet set{.bucket = bucket.get()};
  EXPECT_EQ(Decide(set, Probe{}).effect, Effect::kAllow);
  EXPECT_EQ(Decide(set, Probe{.principal = "bob"}).effect, Effect::kDeny);
}

TEST(Evaluator, DenyInBucketPolicyDeniesWhatIdentityAllows) {
  const auto identity = MustCompile(Policy(kAllowGet));
  const auto bucket = MustCompile(
      Policy(R"({"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"})"),
      PolicyKind::kBucket);
  const CompiledPolicy* list[] = {identity.get()};
  PolicySet set{.identity = list, .bucket = bucket.get()};
  EXPECT_EQ(Decide(set, Probe{}).reason, Reason::kExplicitDeny);
}

TEST(Evaluator, NotPrincipalDenyAppliesToEveryoneElse) {
  const auto bucket = MustCompile(
      Policy(R"({"Effect":"Deny","NotPrincipal":{"AWS":"admin"},"Action":"s3:*","Resource":"*"},)"
             R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"})"),
      PolicyKind::kBucket);
  PolicySet set{.bucket = bucket.get()};
  EXPECT_EQ(Decide(set, Probe{.principal = "admin"}).effect, Effect::kAllow);
  EXPECT_EQ(Decide(set, Probe{.principal = "alice"}).reason, Reason::kExplicitDeny);
  EXPECT_EQ(Decide(set, Probe{.anonymous = true}).reason, Reason::kExplicitDeny);
}

TEST(Evaluator, SessionPolicyIntersects) {
  const auto identity = MustCompile(
      Policy(R"({"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"})"));
  const auto session =
      MustCompile(Policy(R"({"Sid":"S","Effect":"Allow","Action":"s3:GetObject","Resource":"*"})"),
                  PolicyKind::kSession, "session");
  const CompiledPolicy* list[] = {identity.get()};
  PolicySet set{.identity = list, .session = session.get()};
  const Decision get = Decide(set, Probe{.action = "s3:GetObject"});
  EXPECT_EQ(get.effect, Effect::kAllow);
  EXPECT_EQ(get.statement_count, 2u);
  EXPECT_EQ(get.statements[1].ToString(), "session/S");
  EXPECT_EQ(Decide(set, Probe{.action = "s3:PutObject"}).reason, Reason::kImplicitDeny);
  PolicySet session_only{.session = session.get()};
  EXPECT_EQ(Decide(session_only, Probe{}).effect, Effect::kDeny);
}

TEST(Evaluator, AnonymousSeesOnlyPrincipalStarBucketStatements) {
  const auto identity = MustCompile(Policy(kAllowGet));
  const auto bucket = MustCompile(
      Policy(
          R"({"Effect":"Allow","Principal":{"AWS":["alice"]},"Action":"s3:PutObject",)"
          R"("Resource":"*"},)"
          R"({"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"*"})"),
      PolicyKind::kBucket);
  const CompiledPolicy* list[] = {identity.get()};
  PolicySet set{.identity = list, .bucket = bucket.get()};
  EXPECT_EQ(Decide(set, Probe{.action = "s3:GetObject", .anonymous = true}).effect, Effect::kDeny);
  EXPECT_EQ(
      Decide(set, Probe{.action = "s3:PutObject", .principal = "alice", .anonymous = true}).effect,
      Effect::kDeny);
  EXPECT_EQ(Decide(set, Probe{.action = "s3:ListBucket", .anonymous = true}).effect,
            Effect::kAllow);
}

TEST(Evaluator, FailsClosedWhenAConditionCannotBeEvaluated) {
  const auto p =
      MustCompile(Policy(R"({"Effect":"Allow","Action":"s3:*","Resource":"*"},)"
                         R"({"Effect":"Deny","Action":"s3:*","Resource":"*",)"
                         R"("Condition":{"NumericGreaterThan":{"s3:max-keys":"100"}}})"));
  EXPECT_TRUE(testing::Allows(p, Probe{.context = {{"s3:max-keys", "10"}}}));
  EXPECT_FALSE(testing::Allows(p, Probe{.context = {{"s3:max-keys", "1000"}}}));
  EXPECT_FALSE(testing::Allows(p, Probe{.context = {{"s3:max-keys", "lots"}}}));
  const auto allow_only =
      MustCompile(Policy(R"({"Effect":"Allow","Action":"s3:*","Resource":"*",)"
                         R"("Condition":{"NumericLessThan":{"s3:max-keys":"100"}}})"));
  EXPECT_FALSE(testing::Allows(allow_only, Probe{.context = {{"s3:max-keys", "lots"}}}));
}

TEST(Evaluator, ManyStatementsThroughTheActionIndex) {
  std::string statements;
  for (int i = 0; i < 300; ++i) {
    if (i > 0) statements += ",";
    statements += R"({"Effect":"Allow","Action":")" +
                  std::string(i % 3 == 0 ? "s3:GetObject" : (i % 3 == 1 ? "s3:Put*" : "admin:*")) +
                  R"(","Resource":"arn:aws:s3:::b)" + std::to_string(i) + R"(/*"})";
  }
  const auto p = MustCompile(Policy(statements));
  EXPECT_TRUE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::b297/x"}));
  EXPECT_FALSE(testing::Allows(p, Probe{.resource = "arn:aws:s3:::b298/x"}));
  EXPECT_TRUE(testing::Allows(
      p, Probe{.action = "s3:PutObjectTagging", .resource = "arn:aws:s3:::b298/x"}));
}

}  // namespace
}  // namespace coffer::policy
