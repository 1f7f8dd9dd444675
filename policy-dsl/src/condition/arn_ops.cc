// ArnEquals, ArnLike and their negations. As AWS documents, both compare the six colon-separated
// parts of the ARN one by one, and both allow * and ? within a part.

#include "condition.h"

namespace coffer::policy::internal {

bool SplitArn(std::string_view text, bool skip_variables, std::array<std::string_view, 6>& parts) {
  size_t start = 0;
  size_t part = 0;
  for (size_t i = 0; i < text.size() && part < 5; ++i) {
    if (skip_variables && text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const size_t close = text.find('}', i);
      if (close != std::string_view::npos) {
        i = close;
        continue;
      }
    }
    if (text[i] == ':') {
      parts[part++] = text.substr(start, i - start);
      start = i + 1;
    }
  }
  if (part < 5) return false;
  parts[5] = text.substr(start);
  return true;
}

Tri MatchArnValue(const CompiledCondition& c, std::string_view value, const Context* ctx) {
  std::array<std::string_view, 6> parts;
  if (!SplitArn(value, /*skip_variables=*/false, parts)) return Tri::kFalse;
  bool error = false;
  for (size_t v = 0; v + 6 <= c.patterns.size(); v += 6) {
    Tri all = Tri::kTrue;
    for (size_t k = 0; k < 6 && all != Tri::kFalse; ++k) {
      const Tri t = c.patterns[v + k].Match(parts[k], ctx, /*ignore_case=*/false);
      if (t != Tri::kTrue) all = t;
    }
    if (all == Tri::kTrue) return Tri::kTrue;
    error = error || all == Tri::kError;
  }
  return error ? Tri::kError : Tri::kFalse;
}

}  // namespace coffer::policy::internal
