#pragma once
// The vocabulary the validator and compiler check against: every action MinIO recognises
// (s3:, admin:, kms:, sts:), every condition key, and ASCII case-folding helpers. Constant
// tables only; no state.

#include <span>
#include <string_view>
#include <utility>

namespace coffer::policy::internal {

constexpr char ToLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Compares ASCII case-insensitively; returns <0, 0 or >0.
constexpr int CompareIgnoreCase(std::string_view a, std::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const char x = ToLowerAscii(a[i]);
    const char y = ToLowerAscii(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CompareIgnoreCase(a, b) == 0;
}

constexpr bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// All known actions, sorted case-insensitively. Index positions are stable for one build.
std::span<const std::string_view> KnownActions();

// Returns the index of `action` in KnownActions() (case-insensitive), or -1.
int FindAction(std::string_view action);

// The index range [first, second) of KnownActions() that could match `pattern`: the actions
// that start with its literal text before the first wildcard (the table is sorted, so they are
// contiguous).
std::pair<size_t, size_t> CandidateActions(std::string_view pattern);

// True when `pattern` (with * and ?) matches at least one known action, or is "*".
bool ActionPatternIsKnown(std::string_view pattern);

// True for actions whose Resource is checked (s3: and s3express:). MinIO ignores Resource for
// admin:, kms: and sts: actions, and so does Coffer.
bool ActionUsesResource(std::string_view action);

// True when `key` is a condition key Coffer knows (case-insensitive), including the open
// families jwt:<claim>, ldap:<attribute>, s3:ExistingObjectTag/<key> and
// s3:RequestObjectTag/<key>.
bool IsKnownConditionKey(std::string_view key);

}  // namespace coffer::policy::internal
