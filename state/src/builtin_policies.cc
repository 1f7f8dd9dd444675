#include "coffer/state/builtin_policies.h"

#include <algorithm>
#include <string>

#include "coffer/policy/builtin.h"
#include "coffer/policy/parse.h"

namespace coffer::state {
namespace {

struct Canonical {
  std::vector<std::string> texts;
  std::vector<BuiltinPolicy> policies;
};

// The documents come from policy-dsl (one definition of MinIO's canned policies), printed in
// canonical form. "admin" is Coffer's alias for consoleAdmin, listed in MinIO's overview.
Canonical Build() {
  Canonical c;
  std::vector<std::pair<std::string_view, std::string_view>> names;
  for (std::string_view name : policy::BuiltinPolicyNames()) names.push_back({name, name});
  names.push_back({"admin", "consoleAdmin"});
  c.texts.reserve(names.size());
  for (const auto& [name, source] : names) {
    std::optional<std::string_view> json = policy::BuiltinPolicyJson(source);
    COFFER_ASSERT(json.has_value());
    base::Result<policy::Document> doc = policy::Parse(*json);
    COFFER_ASSERT(doc.has_value());
    c.texts.push_back(policy::Print(*doc));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    bool admin = names[i].second == "consoleAdmin";
    c.policies.push_back({names[i].first, c.texts[i], admin});
  }
  std::sort(c.policies.begin(), c.policies.end(),
            [](const BuiltinPolicy& a, const BuiltinPolicy& b) { return a.name < b.name; });
  return c;
}

}  // namespace

const std::vector<BuiltinPolicy>& BuiltinPolicies() {
  // INVARIANT: built once, immutable afterwards; texts outlive the views into them.
  static const Canonical kCanonical = Build();
  return kCanonical.policies;
}

bool IsBuiltinPolicy(std::string_view name) {
  for (const BuiltinPolicy& p : BuiltinPolicies()) {
    if (p.name == name) return true;
  }
  return false;
}

}  // namespace coffer::state
