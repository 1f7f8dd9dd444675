#include "coffer/policy/explain.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

TEST(Explain, NamesTheDecidingStatementAndWhyOthersDidNotApply) {
  const auto p = testing::MustCompile(
      testing::Policy(R"({"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},)"
                      R"({"Sid":"Tls","Effect":"Allow","Action":"s3:GetObject","Resource":"*",)"
                      R"("Condition":{"Bool":{"aws:SecureTransport":"true"}}},)"
                      R"({"Sid":"Other","Effect":"Allow","Action":"s3:GetObject",)"
                      R"("Resource":"arn:aws:s3:::x/*"},)"
                      R"({"Sid":"Get","Effect":"Allow","Action":"s3:GetObject","Resource":"*"})"),
      PolicyKind::kIdentity, "user");
  const CompiledPolicy* list[] = {p.get()};
  PolicySet set{.identity = list};
  Context ctx;
  ctx.Add("aws:SecureTransport", "false");
  Request request{.action = "s3:GetObject",
                  .resource = "arn:aws:s3:::b/k",
                  .principal = "alice",
                  .anonymous = false,
                  .context = &ctx};
  const Explanation brief = Explain(set, request, false);
  ASSERT_EQ(brief.statements.size(), 1u);
  EXPECT_EQ(
      FormatExplanation(brief),
      "allow\nreason: allow\ndecided by: user/Get\n  user/Get (Allow): applies: action, resource, "
      "principal and conditions match\n");
  const Explanation full = Explain(set, request, true);
  ASSERT_EQ(full.statements.size(), 4u);
  EXPECT_EQ(full.statements[0].outcome, Outcome::kActionNotMatched);
  EXPECT_EQ(full.statements[1].outcome, Outcome::kConditionFalse);
  EXPECT_EQ(full.statements[1].detail, "condition Bool aws:SecureTransport is false");
  EXPECT_EQ(full.statements[2].outcome, Outcome::kResourceNotMatched);
  EXPECT_EQ(full.statements[3].outcome, Outcome::kApplies);
}

TEST(Explain, DenyFirstLineIsDeny) {
  PolicySet empty;
  const Explanation e = Explain(empty, Request{.action = "s3:GetObject"}, true);
  EXPECT_EQ(FormatExplanation(e), "deny\nreason: implicit-deny\n");
}

}  // namespace
}  // namespace coffer::policy

namespace coffer::policy {
namespace {

TEST(Explain, UndecidableResourceVariableIsExplained) {
  const auto p = testing::MustCompile(testing::Policy(
      R"({"Sid":"D","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"})"));
  const CompiledPolicy* list[] = {p.get()};
  PolicySet set{.identity = list};
  Context ctx;
  ctx.Add("aws:username", "a");
  ctx.Add("aws:username", "b");
  const Request request{.action = "s3:GetObject",
                        .resource = "arn:aws:s3:::b/a/x",
                        .principal = "a",
                        .anonymous = false,
                        .context = &ctx};
  const Explanation e = Explain(set, request, true);
  EXPECT_EQ(e.decision.reason, Reason::kExplicitDeny);
  ASSERT_EQ(e.statements.size(), 1u);
  EXPECT_EQ(e.statements[0].outcome, Outcome::kAppliesFailClosed);
  EXPECT_EQ(e.statements[0].detail, "a Resource variable has several values (deny applies)");
}

}  // namespace
}  // namespace coffer::policy
