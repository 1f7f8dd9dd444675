#pragma once
// A small, slow, obviously correct IAM policy evaluator written straight from the AWS
// documentation ("Policy evaluation logic", "IAM JSON policy elements: Condition operators",
// "Policy variables"), for differential testing of coffer::policy. It shares no code with
// policy-dsl's matcher: it reads documents with nlohmann-json, matches wildcards with a
// textbook dynamic program, and walks every statement of every policy.
//
// It implements the semantics Coffer documents in policy-dsl/README.md, including the
// choices where AWS leaves room: Resource is not checked for admin:/kms:/sts: actions (as in
// MinIO), a condition that cannot be evaluated makes a Deny apply and an Allow not apply, and a
// policy variable with several values cannot be evaluated.
//
// Supported operators: the String, Numeric, Date, Bool, IpAddress (IPv4 and IPv6), Arn and Null
// families, with IfExists and ForAnyValue:/ForAllValues:. Anything else is reported as unsupported.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace coffer::reference {

struct Request {
  std::string action;
  std::string resource;
  std::string principal;
  bool anonymous = false;
  std::map<std::string, std::vector<std::string>> context;  // Keys in lower case.
};

enum class Outcome { kAllow, kExplicitDeny, kImplicitDeny, kUnsupported };

struct Policies {
  std::vector<nlohmann::json> identity;
  const nlohmann::json* bucket = nullptr;
  const nlohmann::json* session = nullptr;
};

// Decides `request` against `policies`. Pure; thread-safe.
Outcome Decide(const Policies& policies, const Request& request);

const char* OutcomeName(Outcome outcome);

}  // namespace coffer::reference
