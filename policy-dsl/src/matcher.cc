// Matching one compiled statement against one request: action, resource, principal, then
// conditions. Shared by Evaluate() and Explain() so that the two cannot disagree.

#include "catalog.h"
#include "compiled.h"

namespace coffer::policy::internal {
namespace {

Tri MatchResources(const CompiledStatement& st, const Request& request) {
  bool error = false;
  for (const Pattern& pattern : st.resources) {
    const Tri t = pattern.Match(request.resource, request.context, /*ignore_case=*/false);
    if (t == Tri::kTrue) {
      return st.resource_mode == CompiledStatement::ResourceMode::kNotList ? Tri::kFalse
                                                                           : Tri::kTrue;
    }
    error = error || t == Tri::kError;
  }
  if (error) return Tri::kError;
  return st.resource_mode == CompiledStatement::ResourceMode::kNotList ? Tri::kTrue : Tri::kFalse;
}

bool NamesPrincipal(const CompiledStatement& st, std::string_view principal) {
  if (st.principal_wildcard) return true;
  for (const std::string& name : st.principals) {
    if (name == principal) return true;
  }
  return false;
}

Outcome MatchPrincipal(const CompiledStatement& st, const Request& request) {
  using Mode = CompiledStatement::PrincipalMode;
  if (st.principal_mode == Mode::kNone) return Outcome::kPrincipalNotMatched;
  if (request.anonymous) {
    // SECURITY: anonymous requests are granted only by Principal "*". A Deny still applies to
    // them when its NotPrincipal does not exclude everyone (fail closed).
    if (st.effect == Effect::kAllow) {
      const bool open = st.principal_mode == Mode::kPrincipal && st.principal_wildcard;
      return open ? Outcome::kApplies : Outcome::kAnonymousExcluded;
    }
    const bool applies =
        st.principal_mode == Mode::kPrincipal ? st.principal_wildcard : !st.principal_wildcard;
    return applies ? Outcome::kApplies : Outcome::kAnonymousExcluded;
  }
  const bool named = NamesPrincipal(st, request.principal);
  const bool applies = st.principal_mode == Mode::kPrincipal ? named : !named;
  return applies ? Outcome::kApplies : Outcome::kPrincipalNotMatched;
}

}  // namespace

bool ActionMatches(const CompiledStatement& statement, std::string_view action) {
  bool any = false;
  for (const std::string& pattern : statement.actions) {
    if (GlobMatch(pattern, action, /*ignore_case=*/true)) {
      any = true;
      break;
    }
  }
  return statement.not_action ? !any : any;
}

MatchOutcome MatchStatement(const CompiledStatement& st, const Request& request, bool bucket_policy,
                            bool check_action) {
  if (check_action && !ActionMatches(st, request.action)) return {Outcome::kActionNotMatched, 0};
  bool error = false;
  bool resource_error = false;
  uint32_t error_condition = 0;
  if (st.resource_mode != CompiledStatement::ResourceMode::kAny &&
      ActionUsesResource(request.action)) {
    const Tri t = MatchResources(st, request);
    if (t == Tri::kFalse) return {Outcome::kResourceNotMatched, 0};
    error = t == Tri::kError;
    resource_error = error;
  }
  if (bucket_policy) {
    const Outcome principal = MatchPrincipal(st, request);
    if (principal != Outcome::kApplies) return {principal, 0};
  }
  for (uint32_t i = 0; i < st.conditions.size(); ++i) {
    const Tri t = EvaluateCondition(st.conditions[i], request.context);
    if (t == Tri::kFalse) return {Outcome::kConditionFalse, i};
    if (t == Tri::kError && !error) {
      error = true;
      error_condition = i;
    }
  }
  if (!error) return {Outcome::kApplies, 0};
  // SECURITY: an undecidable statement applies if it denies and not if it allows.
  MatchOutcome out{
      st.effect == Effect::kDeny ? Outcome::kAppliesFailClosed : Outcome::kConditionError,
      error_condition, resource_error};
  return out;
}

}  // namespace coffer::policy::internal
