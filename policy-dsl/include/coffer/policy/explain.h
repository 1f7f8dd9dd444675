#pragma once
// Explanation answers "why" for one request: the decision, the deciding statements and, on
// demand, why each other statement did not apply (its action, resource or principal did not
// match, or which condition was false). It walks the same matcher as Evaluate(), so the two
// always agree, but it allocates and is meant for the CLI, audit detail and tests.

#include <string>
#include <vector>

#include "coffer/policy/evaluate.h"

namespace coffer::policy {

enum class Outcome : uint8_t {
  kApplies,            // The statement matched the request.
  kAppliesFailClosed,  // A Deny whose condition could not be evaluated: it applies.
  kActionNotMatched,
  kResourceNotMatched,
  kPrincipalNotMatched,
  kAnonymousExcluded,  // Anonymous requests see only Principal "*" bucket statements.
  kConditionFalse,
  kConditionError,  // An Allow whose condition could not be evaluated: it does not apply.
  kPolicyIgnored,   // Identity or session policy on an anonymous request.
};

struct StatementVerdict {
  StatementId id;
  Effect effect = Effect::kDeny;
  Outcome outcome = Outcome::kActionNotMatched;
  std::string detail;  // E.g. "condition StringLike s3:prefix is false".
};

struct Explanation {
  Decision decision;
  std::vector<StatementVerdict> statements;  // Only deciding ones unless all_statements.
};

Explanation Explain(const PolicySet& policies, const Request& request, bool all_statements);

// Human text: the first line is exactly "allow" or "deny", then one line per statement.
std::string FormatExplanation(const Explanation& explanation);

std::string_view OutcomeName(Outcome outcome);

}  // namespace coffer::policy
