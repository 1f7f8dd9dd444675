#include "coffer/base/result.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace coffer::base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  COFFER_ASSIGN_OR_RETURN(int half, Half(x));
  COFFER_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckEven(int x) {
  COFFER_RETURN_IF_ERROR(Half(x));
  return Ok();
}

TEST(Result, HoldsValue) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 4);
  EXPECT_EQ(r.value_or(-1), 4);
}

TEST(Result, HoldsErrorWithCodeAndMessage) {
  Result<int> r = Half(3);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "odd: 3");
  EXPECT_EQ(r.error().ToString(), "INVALID_ARGUMENT: odd: 3");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(Result, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "odd: 3");
}

TEST(Result, StatusPropagates) {
  EXPECT_TRUE(CheckEven(2).has_value());
  Status s = CheckEven(5);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.has_value());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(Result, ErrorWithContextKeepsCode) {
  Error e = NotFound("x.toml").WithContext("users");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.message(), "users: x.toml");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = Half(3);
  EXPECT_DEATH((void)r.value(), "has_value");
}

}  // namespace
}  // namespace coffer::base
