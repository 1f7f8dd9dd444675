#include "coffer/base/json_escape.h"

#include <string>

#include <gtest/gtest.h>

namespace coffer::base {
namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonEscaped(out, s);
  return out;
}

TEST(JsonEscape, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Escaped("plain"), "plain");
  EXPECT_EQ(Escaped("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(Escaped("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(Escaped(std::string("\x01\x1f\x7f", 3)), "\\u0001\\u001f\\u007f");
  EXPECT_EQ(Escaped(std::string("\0", 1)), "\\u0000");
}

TEST(JsonEscape, PassesUtf8Through) { EXPECT_EQ(Escaped("caf\xc3\xa9"), "caf\xc3\xa9"); }

}  // namespace
}  // namespace coffer::base
