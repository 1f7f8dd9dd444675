#include <string>

#include <gtest/gtest.h>

#include "coffer/policy/parse.h"

namespace coffer::policy {
namespace {

std::string ParseError(std::string_view text, ParseOptions options = {}) {
  auto doc = Parse(text, options);
  if (doc.has_value()) return "";
  EXPECT_EQ(doc.error().code(), base::ErrorCode::kInvalidArgument);
  return doc.error().message();
}

TEST(JsonReader, AcceptsAMinimalPolicy) {
  EXPECT_EQ(ParseError(R"({"Version":"2012-10-17","Statement":[]})"), "");
}

TEST(JsonReader, RejectsMalformedJsonWithPosition) {
  EXPECT_EQ(ParseError("{\n  \"Version\": 2012-10-17\n}"), "2:18: expected ',' or '}' in object");
  EXPECT_EQ(ParseError("{\"a\":}"), "1:6: invalid value");
  EXPECT_EQ(ParseError("{\"a\":1,}"), "1:8: expected a string key in object");
  EXPECT_EQ(ParseError("[1,2"), "1:5: expected ',' or ']' in array");
  EXPECT_EQ(ParseError(""), "1:1: unexpected end of input");
  EXPECT_EQ(ParseError("{} x"), "1:4: unexpected text after the JSON value");
  EXPECT_EQ(ParseError("{\"a\":tru}"), "1:6: invalid literal");
  EXPECT_EQ(ParseError("{\"a\":01}"), "1:7: expected ',' or '}' in object");
  EXPECT_EQ(ParseError("{\"a\":1.}"), "1:8: invalid number");
}

TEST(JsonReader, RejectsNonObjectRoot) {
  EXPECT_EQ(ParseError("[]"), "1:1: a policy must be a JSON object");
  EXPECT_EQ(ParseError("\"x\""), "1:1: a policy must be a JSON object");
}

TEST(JsonReader, RejectsDuplicateKeysAtTheSecondOccurrence) {
  EXPECT_EQ(ParseError("{\"Version\":\"a\",\n \"Version\":\"b\"}"),
            "2:2: duplicate key \"Version\"");
  EXPECT_EQ(ParseError(R"({"Statement":[{"Effect":"Allow","Effect":"Deny"}]})"),
            "1:33: duplicate key \"Effect\"");
}

TEST(JsonReader, RejectsDeepNesting) {
  std::string deep = "{\"a\":";
  for (int i = 0; i < 70; ++i) deep += "[";
  for (int i = 0; i < 70; ++i) deep += "]";
  deep += "}";
  EXPECT_NE(ParseError(deep).find("nesting is too deep"), std::string::npos);
  std::string ok = "{\"a\":";
  for (int i = 0; i < 60; ++i) ok += "[";
  for (int i = 0; i < 60; ++i) ok += "]";
  ok += "}";
  EXPECT_EQ(ParseError(ok), "");
}

TEST(JsonReader, RejectsHugeInput) {
  const std::string big = "{\"Id\":\"" + std::string(2000, 'x') + "\"}";
  EXPECT_NE(ParseError(big, {.max_bytes = 1000, .max_depth = 64}).find("more than the limit"),
            std::string::npos);
}

TEST(JsonReader, DecodesEscapesAndRejectsBadOnes) {
  auto doc = Parse(R"({"Id":"a\"b\\c\/d\n\u00e9\ud83d\ude00"})");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->id->value, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(ParseError(R"({"Id":"\x"})"), "1:9: invalid escape");
  EXPECT_EQ(ParseError(R"({"Id":"\ud800"})"), "1:14: lone high surrogate in \\u escape");
  EXPECT_EQ(ParseError(R"({"Id":"\udc00"})"), "1:14: lone low surrogate in \\u escape");
  EXPECT_EQ(ParseError("{\"Id\":\"a\tb\"}"), "1:9: control character in string");
  EXPECT_EQ(ParseError("{\"Id\":\"abc"), "1:11: unterminated string");
}

TEST(JsonReader, RejectsInvalidUtf8) {
  EXPECT_EQ(ParseError("{\"Id\":\"\xff\"}"), "1:8: invalid UTF-8 in string");
  EXPECT_EQ(ParseError("{\"Id\":\"\xc0\xaf\"}"), "1:8: invalid UTF-8 in string");  // Overlong.
  EXPECT_EQ(ParseError("{\"Id\":\"\xed\xa0\x80\"}"), "1:8: invalid UTF-8 in string");
  EXPECT_EQ(ParseError("{\"Id\":\"\xe2\x82\xac\"}"), "");  // The euro sign.
}

TEST(JsonReader, RecordsLineAndColumnOfValues) {
  auto doc = Parse("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Sid\": \"x\"}\n}");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->version->pos, (SourcePos{2, 14}));
  EXPECT_EQ(doc->statements.at(0).pos, (SourcePos{3, 16}));
  EXPECT_EQ(doc->statements.at(0).sid->pos, (SourcePos{3, 24}));
}

}  // namespace
}  // namespace coffer::policy
