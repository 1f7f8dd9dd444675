#include "coffer/core/admin/policy_simulation.h"

namespace coffer::core::admin {

policy::Context SimulationContext(const SimulationInput& input) {
  policy::Context ctx;
  for (const auto& [key, value] : input.context) ctx.Add(key, value);
  if (!input.anonymous && !input.principal.empty()) {
    if (ctx.Find("aws:username").empty()) ctx.Add("aws:username", input.principal);
    if (ctx.Find("aws:userid").empty()) ctx.Add("aws:userid", input.principal);
  }
  if (ctx.Find("aws:principaltype").empty()) {
    ctx.Add("aws:PrincipalType", input.anonymous ? "Anonymous" : "User");
  }
  return ctx;
}

policy::Explanation Simulate(const SimulationInput& input) {
  const policy::Context ctx = SimulationContext(input);
  policy::Request request;
  request.action = input.action;
  request.resource = input.resource;
  request.principal = input.principal;
  request.anonymous = input.anonymous;
  request.context = &ctx;
  policy::PolicySet set;
  set.identity = input.identity;
  set.bucket = input.bucket;
  set.session = input.session;
  policy::Explanation explanation = policy::Explain(set, request, input.all_statements);
  // INVARIANT: the same order as s3::Authorizer::Decide: the anonymous
  // shortcut is consulted only when the bucket's own policy neither allowed
  // nor explicitly denied, and then decides when it allows or denies.
  if (input.bucket_anonymous != nullptr &&
      explanation.decision.reason != policy::Reason::kExplicitDeny &&
      explanation.decision.effect != policy::Effect::kAllow) {
    set.bucket = input.bucket_anonymous;
    policy::Explanation second = policy::Explain(set, request, input.all_statements);
    if (second.decision.effect == policy::Effect::kAllow ||
        second.decision.reason == policy::Reason::kExplicitDeny) {
      explanation = std::move(second);
    }
  }
  return explanation;
}

}  // namespace coffer::core::admin
