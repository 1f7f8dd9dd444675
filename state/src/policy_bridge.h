#pragma once
// The one seam between state and the policy language. Config loading, apply and the snapshot
// builder check and compile policies only through these functions, so swapping the interim
// checker for coffer::policy is a change to policy_bridge.cc alone.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coffer::policy {
class CompiledPolicy;
}  // namespace coffer::policy

namespace coffer::state::internal {

enum class PolicyUse { kIdentity, kBucket };

// A problem at a byte offset inside the policy JSON text.
struct PolicyIssue {
  std::size_t offset = 0;
  std::string message;
};

struct PolicyCheck {
  std::string canonical;  // Minified JSON with sorted keys; empty when the JSON does not parse.
  std::vector<PolicyIssue> issues;
};

// Parses and validates `json` as an identity or bucket policy. Pure and thread-safe.
PolicyCheck CheckPolicyJson(std::string_view json, PolicyUse use);

// Compiles a valid canonical policy into the evaluator's form (a policy::CompiledPolicy), or
// nullptr when it does not compile. Pure and thread-safe.
std::shared_ptr<const policy::CompiledPolicy> CompilePolicy(std::string_view canonical_json,
                                                            std::string_view name, PolicyUse use);

// Converts a byte offset in `text` to 1-based (line, column).
std::pair<int, int> OffsetToLineColumn(std::string_view text, std::size_t offset);

}  // namespace coffer::state::internal
