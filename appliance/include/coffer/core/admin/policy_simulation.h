#pragma once
// The policy simulator: one evaluation of a request against a set of compiled
// policies, with the deciding statements and a text explanation. It is the
// code behind both `coffer policy eval` (policies from files) and the admin
// API's POST policy/simulate (a principal's policies from the IAM snapshot),
// so the two always give the same answer for the same policies.
//
// Pure: no I/O, no clock. Thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "coffer/policy/compile.h"
#include "coffer/policy/evaluate.h"
#include "coffer/policy/explain.h"

namespace coffer::core::admin {

struct SimulationInput {
  // Identity policies (own and groups'); borrowed, must outlive the call.
  std::vector<const policy::CompiledPolicy*> identity;
  // The bucket's policy, and the bucket's anonymous-access shortcut policy
  // (a second bucket policy, evaluated as the S3 authorizer does: only when
  // the first neither allows nor explicitly denies). Either may be null.
  const policy::CompiledPolicy* bucket = nullptr;
  const policy::CompiledPolicy* bucket_anonymous = nullptr;
  const policy::CompiledPolicy* session = nullptr;  // STS session policy.
  std::string action;
  std::string resource;
  std::string principal;  // User name (fills aws:username/aws:userid unless given).
  bool anonymous = false;
  // Condition keys, KEY=VALUE pairs in the order given (repeats allowed).
  std::vector<std::pair<std::string, std::string>> context;
  // Explain every statement (else only the deciding ones).
  bool all_statements = true;
};

// The condition context of a simulation: the given pairs, plus aws:username
// and aws:userid (the principal, when not anonymous and not given) and
// aws:PrincipalType ("Anonymous" or "User", when not given).
policy::Context SimulationContext(const SimulationInput& input);

// Evaluates the request. The result's decision is the policy-dsl decision;
// its statements the deciding ones (and, with all_statements, every other
// with why it did not apply).
policy::Explanation Simulate(const SimulationInput& input);

}  // namespace coffer::core::admin
