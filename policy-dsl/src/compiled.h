#pragma once
// The compiled form of a policy, shared by the compiler, the evaluator and the explainer.
// Immutable once built.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "coffer/policy/evaluate.h"
#include "coffer/policy/explain.h"

#include "condition/condition.h"
#include "pattern.h"

namespace coffer::policy::internal {

struct CompiledStatement {
  enum class ResourceMode : uint8_t { kAny, kList, kNotList };
  enum class PrincipalMode : uint8_t { kNone, kPrincipal, kNotPrincipal };

  Effect effect = Effect::kDeny;
  std::string sid;
  uint32_t index = 0;
  bool not_action = false;
  std::vector<std::string> actions;  // Patterns with * and ?, matched case-insensitively.
  ResourceMode resource_mode = ResourceMode::kAny;
  std::vector<Pattern> resources;
  PrincipalMode principal_mode = PrincipalMode::kNone;
  bool principal_wildcard = false;  // "*" or {"AWS": "*"}.
  std::vector<std::string> principals;
  std::vector<CompiledCondition> conditions;
};

struct PolicyImpl {
  std::string name;
  PolicyKind kind = PolicyKind::kIdentity;
  std::vector<CompiledStatement> statements;
  // The action index: for known action i (catalog.h KnownActions()), the statements that can
  // match it are action_index[action_offsets[i] .. action_offsets[i + 1]).
  std::vector<uint32_t> action_offsets;
  std::vector<uint32_t> action_index;
  std::vector<uint32_t> all_statements;  // 0..n-1, for actions outside the catalog.
  // The resource prefilter: statement i can match a resource only if the resource starts with
  // prefilter_bytes[prefilter[i].offset .. + length) (the common literal prefix of its
  // Resource patterns; empty for NotResource or no Resource). Kept contiguous so that a scan
  // over many statements touches little memory.
  struct Prefilter {
    uint32_t offset = 0;
    uint32_t length = 0;
    // The prefix's last 8 bytes (when it has 8 or more), where prefixes sharing "arn:aws:s3:::"
    // usually differ: one integer compare rejects most statements.
    uint64_t tail = 0;
  };
  std::vector<Prefilter> prefilter;
  std::string prefilter_bytes;
};

// How one statement relates to one request.
struct MatchOutcome {
  Outcome outcome = Outcome::kActionNotMatched;
  uint32_t condition = 0;    // The failing condition, for kConditionFalse and kConditionError.
  bool in_resource = false;  // The undecidable part was the Resource, not a condition.
};

bool ActionMatches(const CompiledStatement& statement, std::string_view action);

// Matches one statement. `bucket_policy` turns on the Principal rules; `check_action` is false
// when the action index already selected the statement. Does not allocate.
MatchOutcome MatchStatement(const CompiledStatement& statement, const Request& request,
                            bool bucket_policy, bool check_action);

// True when the resource prefilter rules statement `index` out for `resource`.
inline bool PrefilterRejects(const PolicyImpl& policy, uint32_t index, std::string_view resource) {
  const PolicyImpl::Prefilter& f = policy.prefilter[index];
  if (f.length == 0) return false;
  if (resource.size() < f.length) return true;
  if (f.length >= 8) {
    uint64_t tail = 0;
    std::memcpy(&tail, resource.data() + f.length - 8, sizeof(tail));
    if (tail != f.tail) return true;
  }
  return resource.substr(0, f.length) !=
         std::string_view(policy.prefilter_bytes).substr(f.offset, f.length);
}

inline bool Applies(Outcome outcome) {
  return outcome == Outcome::kApplies || outcome == Outcome::kAppliesFailClosed;
}

}  // namespace coffer::policy::internal
