#include "coffer/core/kms/kes_policy.h"

#include <algorithm>

// toml++ 3.3's debug assertions fire on some invalid inputs (see
// state/src/toml_wrapper.h); the parser reports those as errors without them.
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>

namespace coffer::core::kms {
namespace {

bool IsIdentity(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Where(std::string_view file, const toml::source_region& region) {
  return std::string(file) + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

// Reads an array of strings at `key` of `table` (missing: empty).
base::Result<std::vector<std::string>> Strings(const toml::table& table, std::string_view key,
                                               std::string_view file) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return base::InvalidArgument(Where(file, node->source()) + ": " + std::string(key) +
                                 " must be an array of strings");
  }
  for (const toml::node& item : *array) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      return base::InvalidArgument(Where(file, item.source()) + ": " + std::string(key) +
                                   " must hold strings");
    }
    out.push_back(s->get());
  }
  return out;
}

}  // namespace

bool KesPathMatches(std::string_view pattern, std::string_view path) {
  // Glob with one backtrack point; a '*' never crosses '/', as Go's path.Match
  // (KES's matcher), so "/v1/key/*" does not grant "/v1/key/generate/x".
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < path.size()) {
    if (p < pattern.size() && pattern[p] != '*' &&
        (pattern[p] == path[n] || (pattern[p] == '?' && path[n] != '/'))) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos && path[mark] != '/') {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

base::Result<KesPolicySet> KesPolicySet::Parse(std::string_view text, std::string_view file) {
  toml::parse_result parsed = toml::parse(text, std::string(file));
  if (!parsed) {
    return base::InvalidArgument(Where(file, parsed.error().source()) + ": " +
                                 std::string(parsed.error().description()));
  }
  KesPolicySet set;
  const toml::table& root = parsed.table();
  for (auto&& [key, node] : root) {
    if (key.str() != "admin" && key.str() != "policy") {
      return base::InvalidArgument(Where(file, node.source()) + ": unknown key " +
                                   std::string(key.str()) + " (want admin or [policy.NAME])");
    }
  }
  COFFER_ASSIGN_OR_RETURN(set.admins_, Strings(root, "admin", file));
  const toml::node* policies = root.get("policy");
  const toml::table* table = policies != nullptr ? policies->as_table() : nullptr;
  if (policies != nullptr && table == nullptr) {
    return base::InvalidArgument(Where(file, policies->source()) + ": policy must be a table");
  }
  std::map<std::string, std::string, std::less<>> seen;  // Identity -> policy, for duplicates.
  for (const std::string& admin : set.admins_) {
    if (!IsIdentity(admin)) {
      return base::InvalidArgument(std::string(file) + ": admin identity '" + admin +
                                   "' is not 64 lower-case hex digits");
    }
    seen[admin] = "admin";
  }
  for (auto&& [name, node] : table != nullptr ? *table : toml::table{}) {
    const toml::table* body = node.as_table();
    const std::string where = Where(file, node.source());
    if (body == nullptr) return base::InvalidArgument(where + ": policy must be a table");
    for (auto&& [k, v] : *body) {
      if (k.str() != "allow" && k.str() != "deny" && k.str() != "identities") {
        return base::InvalidArgument(Where(file, v.source()) + ": unknown key " +
                                     std::string(k.str()) + " (want allow, deny, identities)");
      }
    }
    KesPolicy policy{std::string(name.str()), {}, {}};
    COFFER_ASSIGN_OR_RETURN(policy.allow, Strings(*body, "allow", file));
    COFFER_ASSIGN_OR_RETURN(policy.deny, Strings(*body, "deny", file));
    COFFER_ASSIGN_OR_RETURN(auto identities, Strings(*body, "identities", file));
    for (const auto* list : {&policy.allow, &policy.deny}) {
      for (const std::string& pattern : *list) {
        if (!pattern.starts_with('/')) {
          return base::InvalidArgument(where + ": pattern '" + pattern + "' must start with '/'");
        }
      }
    }
    for (const std::string& id : identities) {
      if (!IsIdentity(id)) {
        return base::InvalidArgument(where + ": identity '" + id +
                                     "' is not 64 lower-case hex digits");
      }
      if (auto it = seen.find(id); it != seen.end()) {
        return base::InvalidArgument(where + ": identity " + id + " already has policy " +
                                     it->second);
      }
      seen[id] = policy.name;
      set.by_identity_[id] = set.policies_.size();
    }
    set.policies_.push_back(std::move(policy));
  }
  return set;
}

KesDecision KesPolicySet::Decide(std::string_view identity, std::string_view path) const {
  if (identity.empty()) return KesDecision::kUnknownIdentity;
  if (std::find(admins_.begin(), admins_.end(), identity) != admins_.end()) {
    return KesDecision::kAllow;
  }
  auto it = by_identity_.find(identity);
  if (it == by_identity_.end()) return KesDecision::kUnknownIdentity;
  const KesPolicy& policy = policies_[it->second];
  for (const std::string& pattern : policy.deny) {
    if (KesPathMatches(pattern, path)) return KesDecision::kDenied;
  }
  for (const std::string& pattern : policy.allow) {
    if (KesPathMatches(pattern, path)) return KesDecision::kAllow;
  }
  return KesDecision::kDenied;
}

std::string KesPolicySet::PolicyOf(std::string_view identity) const {
  if (std::find(admins_.begin(), admins_.end(), identity) != admins_.end()) return "admin";
  auto it = by_identity_.find(identity);
  return it == by_identity_.end() ? std::string() : policies_[it->second].name;
}

}  // namespace coffer::core::kms
