#pragma once
// Patterns: strings from a policy split into literal runs, wildcards (* any run of bytes,
// ? one byte; both may cross '/') and policy variables (${aws:username}). Matching substitutes
// each variable's value from the request context and compares it byte for byte.
//
// SECURITY: a substituted value is always a literal. A user name holding '*', '?', '/', '..' or
// '${' matches only itself, so it can never widen what a pattern reaches.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coffer::policy {
class Context;
}  // namespace coffer::policy

namespace coffer::policy::internal {

// A three-valued truth: kError means "could not be decided", which Deny statements treat as
// true and Allow statements as false (fail closed).
enum class Tri : uint8_t { kFalse, kTrue, kError };

// Plain glob over the whole pattern: '*' any run, '?' one byte. No variables.
bool GlobMatch(std::string_view pattern, std::string_view subject, bool ignore_case);

// One ${...} reference found in a string: its name (between the braces) and byte offset.
struct VariableRef {
  std::string_view name;
  size_t offset = 0;
};

// Returns every ${name} in `text` (escapes ${*} ${?} ${$} excluded). A "${" with no closing
// brace is plain text.
std::vector<VariableRef> FindVariables(std::string_view text);

class Pattern {
 public:
  static constexpr size_t kMaxVariables = 8;

  // Splits `text`. With `wildcards`, '*' and '?' are special; with `variables`, ${key} is
  // substituted and ${*} ${?} ${$} stand for the literal characters.
  // INVARIANT: at most kMaxVariables variables (the validator rejects more).
  static Pattern Make(std::string_view text, bool wildcards, bool variables);

  // kTrue when `subject` matches. First, the literal text before the first wildcard or
  // variable must start `subject`, or the result is kFalse whatever the variables hold. Then a
  // variable whose key is absent from `context` makes the pattern match nothing (kFalse), and
  // one whose key has several values gives kError.
  Tri Match(std::string_view subject, const Context* context, bool ignore_case) const;

  // The bytes every match must start with (empty when the pattern starts with a wildcard or a
  // variable).
  std::string_view LiteralPrefix() const;

  const std::string& source() const { return source_; }

 private:
  struct Piece {
    enum class Kind : uint8_t { kLiteral, kStar, kOne, kVariable };
    Kind kind = Kind::kLiteral;
    std::string text;  // Literal bytes, or the lower-case variable key.
  };

  std::string source_;
  std::vector<Piece> pieces_;
  uint32_t variable_count_ = 0;
};

}  // namespace coffer::policy::internal
