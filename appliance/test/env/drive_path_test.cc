#include <string>

#include <gtest/gtest.h>

#include "coffer/env/drive.h"

namespace coffer::env {
namespace {

TEST(ValidateDrivePath, AcceptsNestedRelativePaths) {
  EXPECT_TRUE(ValidateDrivePath("a").has_value());
  EXPECT_TRUE(ValidateDrivePath("bucket/obj/part.1").has_value());
  EXPECT_TRUE(ValidateDrivePath(".coffer.sys/format.json").has_value());
}

TEST(ValidateDrivePath, RefusesEscapes) {
  for (std::string bad : {"", "/etc/passwd", "a/../b", "..", "a/./b", "a//b", "a/", "./a"}) {
    EXPECT_FALSE(ValidateDrivePath(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ValidateDrivePath(std::string("a\0b", 3)).has_value());
}

TEST(ValidateDrivePath, RootOnlyWhenAllowed) {
  EXPECT_FALSE(ValidateDrivePath("").has_value());
  EXPECT_TRUE(ValidateDrivePath("", /*allow_root=*/true).has_value());
}

}  // namespace
}  // namespace coffer::env
