// POST policy/simulate: the decision a principal (or an anonymous client)
// would get for an action on a resource, with the deciding statement. It
// evaluates the principal's policies from the IAM snapshot, and the bucket's
// policy and anonymous-access setting when the resource is in a bucket,
// through the same Simulate() as `coffer policy eval`.

#include <nlohmann/json.hpp>

#include "coffer/core/admin/policy_simulation.h"
#include "coffer/policy/explain.h"
#include "coffer/state/snapshot.h"

#include "admin_impl.h"

namespace coffer::core::admin {

using nlohmann::json;

namespace {

json StatementJson(const policy::StatementId& id) {
  return {{"policy", std::string(id.policy)},
          {"sid", std::string(id.sid)},
          {"index", id.index},
          {"id", id.ToString()}};
}

std::string BucketOf(std::string_view resource) {
  constexpr std::string_view kPrefix = "arn:aws:s3:::";
  if (!resource.starts_with(kPrefix)) return {};
  resource.remove_prefix(kPrefix.size());
  return std::string(resource.substr(0, resource.find('/')));
}

// The "context" object: each value a string, number, bool or a list of them
// (a multi-valued key).
bool ReadContext(const json& doc, std::vector<std::pair<std::string, std::string>>& out) {
  auto it = doc.find("context");
  if (it == doc.end() || it->is_null()) return true;
  if (!it->is_object()) return false;
  auto scalar = [](const json& v, std::string& text) {
    if (v.is_string()) {
      text = v.get<std::string>();
    } else if (v.is_boolean()) {
      text = v.get<bool>() ? "true" : "false";
    } else if (v.is_number()) {
      text = v.dump();
    } else {
      return false;
    }
    return true;
  };
  for (const auto& [key, value] : it->items()) {
    std::string text;
    if (value.is_array()) {
      for (const json& v : value) {
        if (!scalar(v, text)) return false;
        out.emplace_back(key, text);
      }
    } else if (scalar(value, text)) {
      out.emplace_back(key, text);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

Reply AdminApi::Impl::Simulate(const Call& call) {
  base::Result<std::string> text = ReadBody(call, /*required=*/true);
  if (!text.has_value()) return FromError(call.http, text.error());
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(400, "MalformedJSON", "The request body is not a JSON object.");
  }
  SimulationInput input;
  for (const auto& [name, out] :
       {std::pair{"principal", &input.principal}, std::pair{"action", &input.action},
        std::pair{"resource", &input.resource}}) {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) continue;
    if (!it->is_string()) return BadRequest(std::string(name) + " must be a string.");
    *out = it->get<std::string>();
  }
  if (auto it = doc.find("anonymous"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return BadRequest("anonymous must be true or false.");
    input.anonymous = it->get<bool>();
  }
  if (!ReadContext(doc, input.context)) {
    return BadRequest("context must map keys to strings, numbers, booleans or lists of them.");
  }
  if (input.action.empty()) return BadRequest("Name the action.");
  if (input.anonymous) input.principal.clear();
  if (!input.anonymous && input.principal.empty()) {
    return BadRequest("Name the principal, or set anonymous.");
  }
  // Simulating oneself shows only one's own rights; anyone else's (or an
  // anonymous client's) needs admin:GetPolicy, as reading their policies.
  const bool self = !input.anonymous && call.authorizer.type() == s3::PrincipalType::kUser &&
                    call.authorizer.user() == input.principal;
  if (!self && !Allowed(call, "admin:GetPolicy")) return Denied();

  json evaluated = json::array();
  if (!input.anonymous) {
    if (!root.access_key.empty() && input.principal == root.access_key) {
      return Ok({{"decision", "allow"},
                 {"reason", "Root"},
                 {"statement", nullptr},
                 {"statements", json::array()},
                 {"policies", json::array()},
                 {"explanation", "allow\n  root is allowed every action\n"}});
    }
    const state::Principal* principal =
        call.snapshot != nullptr ? call.snapshot->FindPrincipal(input.principal) : nullptr;
    if (principal == nullptr) {
      return Fail(404, "NoSuchUser", "The specified user does not exist.");
    }
    if (!principal->enabled) {
      return Ok({{"decision", "deny"},
                 {"reason", "Disabled"},
                 {"statement", nullptr},
                 {"statements", json::array()},
                 {"policies", json::array()},
                 {"explanation", "deny\n  the user is disabled\n"}});
    }
    for (const std::string& name : principal->policies) {
      const state::PolicyEntry* entry = call.snapshot->FindPolicy(name);
      if (entry == nullptr || entry->compiled == nullptr) {
        // SECURITY: as the authorizer: a policy that does not resolve denies all.
        return Ok({{"decision", "deny"},
                   {"reason", "BrokenPolicy"},
                   {"statement", nullptr},
                   {"statements", json::array()},
                   {"policies", principal->policies},
                   {"explanation", "deny\n  policy " + name + " does not resolve\n"}});
      }
      input.identity.push_back(entry->compiled.get());
      evaluated.push_back(name);
    }
  }
  if (const std::string bucket = BucketOf(input.resource);
      !bucket.empty() && call.snapshot != nullptr) {
    if (const state::BucketEntry* b = call.snapshot->FindBucket(bucket)) {
      input.bucket = b->compiled_policy.get();
      input.bucket_anonymous = b->compiled_anonymous.get();
      if (input.bucket != nullptr) evaluated.push_back("bucket:" + bucket);
    }
  }
  const policy::Explanation explanation = admin::Simulate(input);
  json statements = json::array();
  for (std::uint32_t i = 0; i < explanation.decision.statement_count; ++i) {
    statements.push_back(StatementJson(explanation.decision.statements[i]));
  }
  json first = statements.empty() ? json(nullptr) : statements.front();
  return Ok({{"decision", explanation.decision.effect == policy::Effect::kAllow ? "allow" : "deny"},
             {"reason", std::string(policy::ReasonName(explanation.decision.reason))},
             {"statement", std::move(first)},
             {"statements", std::move(statements)},
             {"policies", std::move(evaluated)},
             {"explanation", policy::FormatExplanation(explanation)}});
}

}  // namespace coffer::core::admin
