#pragma once
// Who may call what on `coffer kms serve`, as KES decides it: a client is its
// identity (lower-case hex SHA-256 of its certificate's SubjectPublicKeyInfo,
// as `kes identity of` prints it), each identity has at most one policy, and a
// policy is a list of allowed and denied API paths with glob patterns:
//
//   admin = ["<identity>"]               # optional: may call every API
//   [policy.app]
//   allow = ["/v1/key/generate/app-*", "/v1/key/decrypt/app-*", "/v1/status"]
//   deny  = ["/v1/key/decrypt/app-secret"]
//   identities = ["<identity>", ...]
//
// In a pattern '*' matches any run of characters except '/', '?' one such
// character. A deny that matches beats every allow; nothing matching denies.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::core::kms {

// True when `pattern` matches `path` ('*' and '?' never match '/').
bool KesPathMatches(std::string_view pattern, std::string_view path);

struct KesPolicy {
  std::string name;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

enum class KesDecision {
  kAllow,
  kUnknownIdentity,  // No policy names this identity.
  kDenied,           // A deny matched, or no allow did.
};

class KesPolicySet {
 public:
  // Parses a policy file (TOML). kInvalidArgument naming `file` and the
  // position for malformed TOML, an identity that is not 64 hex digits, an
  // identity in two policies, or a pattern that does not start with '/'.
  static base::Result<KesPolicySet> Parse(std::string_view text, std::string_view file);

  // Decides whether `identity` may call `path` (the request path without
  // query). Pure and thread-safe.
  KesDecision Decide(std::string_view identity, std::string_view path) const;

  // The policy name of an identity ("admin" for admins), or "" when unknown.
  std::string PolicyOf(std::string_view identity) const;

  std::size_t identity_count() const { return by_identity_.size() + admins_.size(); }

 private:
  std::vector<KesPolicy> policies_;
  std::map<std::string, std::size_t, std::less<>> by_identity_;  // Index into policies_.
  std::vector<std::string> admins_;
};

}  // namespace coffer::core::kms
