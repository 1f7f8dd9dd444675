// StringEquals, StringEqualsIgnoreCase, StringLike and their negations. Policy values may hold
// policy variables; StringLike values may hold * and ?.

#include "condition.h"

namespace coffer::policy::internal {

Tri MatchStringValue(const CompiledCondition& c, std::string_view value, const Context* ctx) {
  const bool ignore_case = c.op.family == OpFamily::kStringEqualsIgnoreCase;
  bool error = false;
  for (const Pattern& pattern : c.patterns) {
    const Tri t = pattern.Match(value, ctx, ignore_case);
    if (t == Tri::kTrue) return Tri::kTrue;
    error = error || t == Tri::kError;
  }
  return error ? Tri::kError : Tri::kFalse;
}

Tri MatchBinaryValue(const CompiledCondition& c, std::string_view value, const Context* ctx) {
  // BinaryEquals compares the base64 text of both sides; the request value must be base64.
  if (!IsBase64(value)) return Tri::kError;
  return MatchStringValue(c, value, ctx);
}

bool IsBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const bool alnum = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
    if (ch == '=') {
      ++pad;
    } else if (!alnum || pad > 0) {
      return false;
    }
  }
  return pad <= 2;
}

}  // namespace coffer::policy::internal
