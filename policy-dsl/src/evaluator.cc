// Evaluation: the request is checked against the candidate statements of each policy (from the
// action index), an explicit Deny anywhere ends the walk, and the Allow rules combine identity,
// bucket and session policies as AWS documents. Nothing here allocates.

#include <algorithm>

#include "coffer/base/planted.h"
#include "coffer/policy/evaluate.h"

#include "catalog.h"
#include "compiled.h"

namespace coffer::policy {
namespace {

using internal::CompiledStatement;
using internal::PolicyImpl;

struct Found {
  const PolicyImpl* policy = nullptr;
  const CompiledStatement* statement = nullptr;
};

struct GroupResult {
  Found deny;
  Found allow;
};

StatementId IdOf(const Found& found) {
  return {found.policy->name, found.statement->sid, found.statement->index};
}

void Scan(const CompiledPolicy& policy, const Request& request, int action_id, bool uses_resource,
          bool bucket, GroupResult& out) {
  const PolicyImpl& impl = policy.impl();
  std::span<const uint32_t> candidates = impl.all_statements;
  if (action_id >= 0) {
    const auto id = static_cast<size_t>(action_id);
    const uint32_t begin = impl.action_offsets[id];
    const uint32_t end = impl.action_offsets[id + 1];
    candidates = std::span<const uint32_t>(impl.action_index).subspan(begin, end - begin);
  }
  for (const uint32_t index : candidates) {
    // The prefilter is checked first: it reads only a small contiguous table, so statements it
    // rules out never pull their (large) compiled form into cache.
    if (uses_resource && internal::PrefilterRejects(impl, index, request.resource)) continue;
    const CompiledStatement& st = impl.statements[index];
    // Once this group has an Allow, only Deny statements can still change the decision.
    if (st.effect == Effect::kAllow && out.allow.statement != nullptr) continue;
    const internal::MatchOutcome m = internal::MatchStatement(st, request, bucket, action_id < 0);
    if (!internal::Applies(m.outcome)) continue;
    if (st.effect == Effect::kDeny) {
      if (base::Planted(base::PlantedBug::kAllowOverridesDeny)) continue;
      out.deny = {&impl, &st};
      return;
    }
    out.allow = {&impl, &st};
  }
}

Decision Deny(const Found& found) {
  Decision d;
  d.effect = Effect::kDeny;
  d.reason = Reason::kExplicitDeny;
  d.statements[0] = IdOf(found);
  d.statement_count = 1;
  return d;
}

}  // namespace

Decision Evaluate(const PolicySet& policies, const Request& request) {
  const int action_id = internal::FindAction(request.action);
  const bool uses_resource = internal::ActionUsesResource(request.action);
  GroupResult identity;
  GroupResult bucket;
  GroupResult session;
  const bool use_session = policies.session != nullptr && !request.anonymous;
  if (!request.anonymous) {
    for (const CompiledPolicy* policy : policies.identity) {
      if (policy == nullptr) continue;
      Scan(*policy, request, action_id, uses_resource, /*bucket=*/false, identity);
      if (identity.deny.statement != nullptr) return Deny(identity.deny);
    }
  }
  if (policies.bucket != nullptr) {
    Scan(*policies.bucket, request, action_id, uses_resource, /*bucket=*/true, bucket);
    if (bucket.deny.statement != nullptr) return Deny(bucket.deny);
  }
  if (use_session) {
    Scan(*policies.session, request, action_id, uses_resource, /*bucket=*/false, session);
    if (session.deny.statement != nullptr) return Deny(session.deny);
  }
  const Found& grant = identity.allow.statement != nullptr ? identity.allow : bucket.allow;
  Decision d;
  if (grant.statement == nullptr || (use_session && session.allow.statement == nullptr)) {
    return d;  // Implicit deny.
  }
  d.effect = Effect::kAllow;
  d.reason = Reason::kAllow;
  d.statements[d.statement_count++] = IdOf(grant);
  if (use_session) d.statements[d.statement_count++] = IdOf(session.allow);
  return d;
}

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kExplicitDeny:
      return "explicit-deny";
    case Reason::kAllow:
      return "allow";
    case Reason::kImplicitDeny:
      return "implicit-deny";
  }
  return "implicit-deny";
}

std::string StatementId::ToString() const {
  std::string out(policy);
  if (!sid.empty()) {
    out += "/";
    out += sid;
  } else {
    out += "#" + std::to_string(index);
  }
  return out;
}

}  // namespace coffer::policy
