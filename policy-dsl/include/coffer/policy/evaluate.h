#pragma once
// Evaluation decides one request against the policies that apply to it, as AWS documents it:
// an explicit Deny in any policy wins; otherwise the request is allowed when an identity policy
// (the principal's own or a group's) or the bucket policy allows it, and, when an STS session
// policy is present, the session policy allows it too; otherwise it is implicitly denied.
// Anonymous requests see only bucket-policy statements whose Principal is "*".
//
// Evaluation fails closed: a condition that cannot be evaluated (an unparsable request value, a
// multi-valued policy variable) makes a Deny statement apply and an Allow statement not apply.
// A policy variable whose key has no value makes its string match nothing. Substituted values
// are matched byte for byte, never as patterns.
//
// The request's facts, time included, come in as values; evaluation does no I/O, reads no clock
// and performs no heap allocation. Evaluate() is thread-safe.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/policy/compile.h"

namespace coffer::policy {

// The condition context of a request: keys (case-insensitive, stored lower-case) to one or more
// string values. Times are values too: aws:CurrentTime ("2026-01-02T03:04:05Z") and
// aws:EpochTime ("1767323045"). Built by the caller before evaluation (building allocates);
// lookups do not allocate.
class Context {
 public:
  // Adds a value to `key` (a multi-valued key gets several calls).
  void Add(std::string_view key, std::string_view value);
  // Replaces all values of `key`.
  void Set(std::string_view key, std::vector<std::string> values);
  // Returns the values of `key` (given in lower case), or an empty span when absent.
  std::span<const std::string> Find(std::string_view lower_key) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string key;
    std::vector<std::string> values;
  };
  // INVARIANT: sorted by key, keys unique and lower-case.
  std::vector<Entry> entries_;
};

// The facts of one request. All views must outlive the Evaluate() call.
struct Request {
  std::string_view action;     // "s3:GetObject", "admin:ServerInfo".
  std::string_view resource;   // "arn:aws:s3:::bucket/key"; ignored for admin/kms/sts actions.
  std::string_view principal;  // The access key or user name a bucket Principal names.
  bool anonymous = false;
  const Context* context = nullptr;  // May be null: no condition keys.
};

enum class Effect : uint8_t { kAllow, kDeny };
enum class Reason : uint8_t { kExplicitDeny, kAllow, kImplicitDeny };

// Names one statement: the policy's name and the statement's Sid, or its 0-based index when it
// has no Sid. The views point into the CompiledPolicy.
struct StatementId {
  std::string_view policy;
  std::string_view sid;
  uint32_t index = 0;
  // "policy/Sid" or "policy#index". Allocates; for logs and audit entries.
  std::string ToString() const;
};

struct Decision {
  static constexpr size_t kMaxStatements = 4;
  Effect effect = Effect::kDeny;
  Reason reason = Reason::kImplicitDeny;
  // The deciding statements: the first matching Deny, or the first matching Allow of each
  // policy group that had to allow (identity or bucket, and session). Empty for kImplicitDeny.
  std::array<StatementId, kMaxStatements> statements{};
  uint32_t statement_count = 0;
};

// The policies that apply to one request. Pointers are borrowed and must outlive the call.
struct PolicySet {
  std::span<const CompiledPolicy* const> identity;  // Own and group policies.
  const CompiledPolicy* bucket = nullptr;
  const CompiledPolicy* session = nullptr;
};

// Returns the decision. Never fails: anything unexpected denies.
Decision Evaluate(const PolicySet& policies, const Request& request);

std::string_view ReasonName(Reason reason);

}  // namespace coffer::policy
