#pragma once
// The built-in policies every appliance has, as MinIO ships them (documents from policy-dsl):
// readonly, readwrite, writeonly, diagnostics, consoleAdmin, and admin (an alias of
// consoleAdmin). Users and groups may attach them without
// defining them; a repo may not redefine them. They are stored with owner "builtin".

#include <string_view>
#include <vector>

namespace coffer::state {

struct BuiltinPolicy {
  std::string_view name;
  std::string_view document;  // Canonical JSON (minified, sorted keys).
  bool admin;                 // Grants administrative rights.
};

// Every built-in, sorted by name. Immutable; thread-safe.
const std::vector<BuiltinPolicy>& BuiltinPolicies();

// True when `name` is a built-in policy.
bool IsBuiltinPolicy(std::string_view name);

}  // namespace coffer::state
