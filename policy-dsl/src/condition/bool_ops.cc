// Bool: "true" or "false", case-insensitive, on both sides.

#include "../catalog.h"
#include "condition.h"

namespace coffer::policy::internal {

std::optional<bool> ParseBool(std::string_view text) {
  if (EqualsIgnoreCase(text, "true")) return true;
  if (EqualsIgnoreCase(text, "false")) return false;
  return std::nullopt;
}

Tri MatchBoolValue(const CompiledCondition& c, std::string_view value) {
  const std::optional<bool> request = ParseBool(value);
  if (!request) return Tri::kError;
  for (const bool policy : c.bools) {
    if (policy == *request) return Tri::kTrue;
  }
  return Tri::kFalse;
}

}  // namespace coffer::policy::internal
