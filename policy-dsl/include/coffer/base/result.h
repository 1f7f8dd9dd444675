#pragma once
// Result<T>: a value or an Error, shaped like C++23's std::expected so that the
// move to it will be a rename. Every fallible function in Coffer returns one;
// there are no out-parameters and no exceptions across library APIs.
//
//   Result<Policy> Parse(std::string_view json);
//   Status Apply(const Plan& plan);          // Status is Result<void>.
//
// Accessing value() of an error (or error() of a value) is a programmer error
// and aborts through COFFER_ASSERT.

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "coffer/base/assert.h"
#include "coffer/base/error.h"

namespace coffer::base {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  // A value. Implicit so that `return value;` works.
  template <typename U = T, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                        !std::is_same_v<std::decay_t<U>, Error> &&
                                                        !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT
  // An error. Implicit so that `return NotFound("...");` works.
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    COFFER_ASSERT(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    COFFER_ASSERT(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    COFFER_ASSERT(has_value());
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    COFFER_ASSERT(!has_value());
    return std::get<1>(state_);
  }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const { COFFER_ASSERT(has_value()); }
  const Error& error() const {
    COFFER_ASSERT(!has_value());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

// The success value of a Status, spelled for readability: `return Ok();`.
inline Status Ok() { return {}; }

}  // namespace coffer::base

#define COFFER_RESULT_CONCAT_INNER(a, b) a##b
#define COFFER_RESULT_CONCAT(a, b) COFFER_RESULT_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function.
#define COFFER_RETURN_IF_ERROR(expr)                                \
  do {                                                              \
    auto&& coffer_status_ = (expr);                                 \
    if (!coffer_status_.has_value()) return coffer_status_.error(); \
  } while (false)

// `COFFER_ASSIGN_OR_RETURN(auto x, Compute());` declares x from the value of the
// Result, or returns its error from the enclosing function.
#define COFFER_ASSIGN_OR_RETURN(lhs, expr) \
  COFFER_ASSIGN_OR_RETURN_IMPL(COFFER_RESULT_CONCAT(coffer_result_, __LINE__), lhs, expr)
#define COFFER_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.has_value()) return tmp.error();          \
  lhs = std::move(tmp).value()
