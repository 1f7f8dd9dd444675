// NumericEquals, NumericNotEquals, NumericLessThan(Equals), NumericGreaterThan(Equals).

#include <charconv>
#include <cmath>

#include "condition.h"

namespace coffer::policy::internal {

std::optional<double> ParseNumber(std::string_view text) {
  // Only plain decimal numbers: from_chars would also take "inf" and "nan".
  if (text.empty()) return std::nullopt;
  const size_t digits_at = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (digits_at >= text.size() ||
      !((text[digits_at] >= '0' && text[digits_at] <= '9') || text[digits_at] == '.')) {
    return std::nullopt;
  }
  double out = 0;
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(out)) {
    return std::nullopt;
  }
  return out;
}

namespace {

bool Compares(Compare compare, double request, double policy) {
  switch (compare) {
    case Compare::kEq:
      return request == policy;
    case Compare::kLt:
      return request < policy;
    case Compare::kLe:
      return request <= policy;
    case Compare::kGt:
      return request > policy;
    case Compare::kGe:
      return request >= policy;
  }
  return false;
}

}  // namespace

Tri MatchNumericValue(const CompiledCondition& c, std::string_view value) {
  const std::optional<double> request = ParseNumber(value);
  if (!request) return Tri::kError;
  for (const double policy : c.numbers) {
    if (Compares(c.op.compare, *request, policy)) return Tri::kTrue;
  }
  return Tri::kFalse;
}

}  // namespace coffer::policy::internal
