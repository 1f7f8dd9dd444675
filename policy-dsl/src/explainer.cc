// Explanations: the decision from Evaluate(), plus a verdict for each statement computed by the
// same MatchStatement() the evaluator uses.

#include <string>

#include "coffer/policy/explain.h"

#include "compiled.h"

namespace coffer::policy {
namespace {

using internal::CompiledStatement;

std::string Detail(const CompiledStatement& st, const internal::MatchOutcome& m,
                   const Request& request) {
  switch (m.outcome) {
    case Outcome::kApplies:
      return "action, resource, principal and conditions match";
    case Outcome::kActionNotMatched:
      return "action " + std::string(request.action) +
             (st.not_action ? " is excluded by NotAction" : " is not in Action");
    case Outcome::kResourceNotMatched:
      return "resource " + std::string(request.resource) +
             (st.resource_mode == CompiledStatement::ResourceMode::kNotList
                  ? " is excluded by NotResource"
                  : " is not in Resource");
    case Outcome::kPrincipalNotMatched:
      return "principal \"" + std::string(request.principal) + "\" is not matched";
    case Outcome::kAnonymousExcluded:
      return "anonymous requests see only Principal \"*\" statements";
    case Outcome::kPolicyIgnored:
      return "identity and session policies do not apply";
    case Outcome::kAppliesFailClosed:
    case Outcome::kConditionFalse:
    case Outcome::kConditionError:
      break;
  }
  if (m.in_resource) {
    return m.outcome == Outcome::kConditionError
               ? "a Resource variable has several values (allow fails)"
               : "a Resource variable has several values (deny applies)";
  }
  const internal::CompiledCondition& c = st.conditions[m.condition];
  const std::string what = "condition " + c.op_name + " " + c.key_name;
  if (m.outcome == Outcome::kConditionFalse) return what + " is false";
  if (m.outcome == Outcome::kConditionError) return what + " could not be evaluated (allow fails)";
  return what + " could not be evaluated (deny applies)";
}

bool IsDeciding(const Decision& d, const internal::PolicyImpl& policy,
                const CompiledStatement& st) {
  for (uint32_t i = 0; i < d.statement_count; ++i) {
    if (d.statements[i].policy.data() == policy.name.data() && d.statements[i].index == st.index) {
      return true;
    }
  }
  return false;
}

void Walk(const CompiledPolicy* policy, bool bucket, bool ignored, const Request& request, bool all,
          Explanation& out) {
  if (policy == nullptr) return;
  const internal::PolicyImpl& impl = policy->impl();
  for (const CompiledStatement& st : impl.statements) {
    const bool deciding = IsDeciding(out.decision, impl, st);
    if (!all && !deciding) continue;
    internal::MatchOutcome m{Outcome::kPolicyIgnored, 0};
    if (!ignored) m = internal::MatchStatement(st, request, bucket, /*check_action=*/true);
    StatementVerdict verdict;
    verdict.id = {impl.name, st.sid, st.index};
    verdict.effect = st.effect;
    verdict.outcome = m.outcome;
    verdict.detail = Detail(st, m, request);
    out.statements.push_back(std::move(verdict));
  }
}

}  // namespace

Explanation Explain(const PolicySet& policies, const Request& request, bool all_statements) {
  Explanation out;
  out.decision = Evaluate(policies, request);
  for (const CompiledPolicy* policy : policies.identity) {
    Walk(policy, false, request.anonymous, request, all_statements, out);
  }
  Walk(policies.bucket, true, false, request, all_statements, out);
  Walk(policies.session, false, request.anonymous, request, all_statements, out);
  return out;
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kApplies:
      return "applies";
    case Outcome::kAppliesFailClosed:
      return "applies-fail-closed";
    case Outcome::kActionNotMatched:
      return "action-not-matched";
    case Outcome::kResourceNotMatched:
      return "resource-not-matched";
    case Outcome::kPrincipalNotMatched:
      return "principal-not-matched";
    case Outcome::kAnonymousExcluded:
      return "anonymous-excluded";
    case Outcome::kConditionFalse:
      return "condition-false";
    case Outcome::kConditionError:
      return "condition-error";
    case Outcome::kPolicyIgnored:
      return "policy-ignored";
  }
  return "unknown";
}

std::string FormatExplanation(const Explanation& explanation) {
  const Decision& d = explanation.decision;
  std::string out = d.effect == Effect::kAllow ? "allow\n" : "deny\n";
  out += "reason: " + std::string(ReasonName(d.reason)) + "\n";
  for (uint32_t i = 0; i < d.statement_count; ++i) {
    out += "decided by: " + d.statements[i].ToString() + "\n";
  }
  for (const StatementVerdict& v : explanation.statements) {
    out += "  " + v.id.ToString() + " (" + (v.effect == Effect::kAllow ? "Allow" : "Deny") +
           "): " + std::string(OutcomeName(v.outcome)) + ": " + v.detail + "\n";
  }
  return out;
}

}  // namespace coffer::policy
