#include "coffer/policy/parse.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::policy {
namespace {

TEST(Parse, StatementMayBeAnObjectOrAnArray) {
  auto one = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}})");
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->statements.size(), 1u);
  EXPECT_EQ(one->statements[0].path, "Statement");
  auto many = Parse(R"({"Statement":[{"Effect":"Allow"},{"Effect":"Deny"}]})");
  ASSERT_TRUE(many.has_value());
  ASSERT_EQ(many->statements.size(), 2u);
  EXPECT_EQ(many->statements[1].path, "Statement[1]");
}

TEST(Parse, SingleStringBecomesAOneElementList) {
  auto doc = Parse(R"({"Statement":{"Action":"s3:GetObject","Resource":["a","b"]}})");
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->statements[0].action->items.size(), 1u);
  EXPECT_EQ(doc->statements[0].action->items[0].value, "s3:GetObject");
  EXPECT_EQ(doc->statements[0].resource->items.size(), 2u);
}

TEST(Parse, ConditionValuesKeepNumbersAndBooleansAsText) {
  auto doc = Parse(R"({"Statement":{"Condition":{"NumericLessThan":{"s3:max-keys":10},)"
                   R"("Bool":{"aws:SecureTransport":false}}}})");
  ASSERT_TRUE(doc.has_value());
  const auto& c = doc->statements[0].conditions;
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].values.items[0].value, "10");
  EXPECT_EQ(c[1].values.items[0].value, "false");
}

TEST(Parse, UnknownKeysAndWrongTypesAreShapeErrorsNotFailures) {
  auto doc = Parse(R"({"Versio":"x","Statement":[{"Effect":1,"Actions":"s3:*"}, 3]})");
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->shape_errors.size(), 4u);
  EXPECT_EQ(doc->shape_errors[0].message, "unknown policy key \"Versio\"");
  EXPECT_EQ(doc->shape_errors[1].path, "Statement[0].Effect");
  EXPECT_EQ(doc->shape_errors[2].path, "Statement[0].Actions");
  EXPECT_EQ(doc->shape_errors[3].path, "Statement[1]");
}

TEST(Print, IsCanonicalAndRoundTrips) {
  const std::string text = R"({ "Statement": {"Resource": "arn:aws:s3:::b/*", "Action": "s3:Get*",
      "Effect": "Allow", "Sid": "A", "Condition": {"StringLike": {"s3:prefix": "x/*"},
      "Bool": {"aws:SecureTransport": true}}}, "Version": "2012-10-17"})";
  auto doc = Parse(text);
  ASSERT_TRUE(doc.has_value());
  const std::string printed = Print(*doc);
  EXPECT_EQ(printed,
            R"({"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow",)"
            R"("Action":["s3:Get*"],"Resource":["arn:aws:s3:::b/*"],"Condition":)"
            R"({"StringLike":{"s3:prefix":["x/*"]},"Bool":{"aws:SecureTransport":["true"]}}}]})");
  auto again = Parse(printed);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Print(*again), printed);
}

TEST(Print, EscapesStrings) {
  auto doc = Parse(R"({"Id":"a\"b\u0001\n"})");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(Print(*doc), R"({"Id":"a\"b\u0001\n"})");
}

}  // namespace
}  // namespace coffer::policy
