#include "coffer/base/secret.h"

#include <string>
#include <type_traits>

#include <gtest/gtest.h>

namespace coffer::base {
namespace {

// SECURITY: a Secret must not be printable or implicitly convertible, so it
// cannot slip into a log line or an error message.
template <typename T, typename = void>
struct Streamable : std::false_type {};
template <typename T>
struct Streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<T>())>>
    : std::true_type {};

static_assert(!Streamable<Secret>::value, "Secret must have no stream operator");
static_assert(!std::is_convertible_v<Secret, std::string>, "Secret must not convert to string");
static_assert(!std::is_convertible_v<Secret, std::string_view>, "no implicit view either");

TEST(Secret, RevealsBytes) {
  Secret s("hunter22");
  EXPECT_EQ(s.Reveal(), "hunter22");
  EXPECT_EQ(s.size(), 8u);
}

TEST(Secret, ConstantTimeCompare) {
  Secret s("abcdef");
  EXPECT_TRUE(s.EqualsConstantTime("abcdef"));
  EXPECT_FALSE(s.EqualsConstantTime("abcdeg"));
  EXPECT_FALSE(s.EqualsConstantTime("abcde"));
  EXPECT_FALSE(s.EqualsConstantTime(""));
}

TEST(Secret, MovedFromIsEmpty) {
  Secret a("key");
  Secret b(std::move(a));
  EXPECT_EQ(b.Reveal(), "key");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is the contract.
}

}  // namespace
}  // namespace coffer::base
