// Null: {"Null": {"key": "true"}} holds when the key is absent from the request, "false" when
// it is present. It has no IfExists form and no negation.

#include "condition.h"

namespace coffer::policy::internal {

Tri MatchNull(const CompiledCondition& c, bool key_absent) {
  for (const bool expect_absent : c.bools) {
    if (expect_absent == key_absent) return Tri::kTrue;
  }
  return Tri::kFalse;
}

}  // namespace coffer::policy::internal
