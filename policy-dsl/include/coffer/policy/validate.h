#pragma once
// Validation checks a parsed Document against the IAM policy language and reports every problem
// it finds, not just the first: unknown keys, unknown actions, malformed ARNs, unknown operators
// and condition keys, bad CIDRs, dates, numbers and booleans, unknown policy variables, duplicate
// Sids, empty statements, and both Action and NotAction. Each Diagnostic carries line:col and a
// JSON path. Pure and thread-safe.

#include <vector>

#include "coffer/policy/document.h"

namespace coffer::policy {

struct ValidateOptions {
  PolicyKind kind = PolicyKind::kIdentity;
};

// Returns all diagnostics, ordered by source position; an empty vector means the document is
// valid for options.kind. Includes Document::shape_errors.
std::vector<Diagnostic> Validate(const Document& document, const ValidateOptions& options = {});

}  // namespace coffer::policy
