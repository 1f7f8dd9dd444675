// Properties of coffer::policy, checked on random policies and requests (rapidcheck prints the
// seed to replay a failure with RC_PARAMS="reproduce=..."):
// - the compiled evaluator agrees with the reference evaluator in conformance/reference;
// - adding a Deny statement never turns deny into allow;
// - removing an Allow statement never turns deny into allow;
// - with the per-user prefix policy, no user name (any bytes) reaches outside its own prefix;
// - printing is a normal form: print(parse(print(d))) == print(d).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "coffer/policy/compile.h"
#include "coffer/policy/evaluate.h"
#include "coffer/policy/explain.h"
#include "coffer/policy/parse.h"
#include "coffer/reference/reference.h"

namespace coffer::policy {
namespace {

using nlohmann::json;

template <typename T>
T Pick(std::vector<T> items) {
  return *rc::gen::elementOf(items);
}

std::string GenKeyPattern() {
  const int n = *rc::gen::inRange(0, 4);
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += Pick<std::string>({"x", "y", "/", "*", "?", "${aws:username}", "${*}", "alice"});
  }
  return out;
}

std::string GenResourcePattern() {
  if (*rc::gen::inRange(0, 10) == 0) return "*";
  std::string out = "arn:aws:s3:::" + Pick<std::string>({"a", "b", "*", "?", "a*"});
  if (*rc::gen::arbitrary<bool>()) out += "/" + GenKeyPattern();
  return out;
}

std::vector<std::string> StringValues() {
  return {"alice", "bob", "x", "x/*", "*", "?lice", "${aws:username}", "${aws:username}/*",
          "ALICE", "dev", ""};
}

json GenCondition() {
  const std::string family =
      Pick<std::string>({"string", "numeric", "ip", "bool", "date", "null", "arn"});
  std::string op;
  std::string key;
  std::vector<std::string> pool;
  if (family == "string") {
    key = Pick<std::string>({"aws:username", "s3:prefix", "aws:groups"});
    op = Pick<std::string>({"StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                            "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"});
    pool = StringValues();
  } else if (family == "numeric") {
    key = "s3:max-keys";
    op = Pick<std::string>({"NumericEquals", "NumericNotEquals", "NumericLessThan",
                            "NumericLessThanEquals", "NumericGreaterThan",
                            "NumericGreaterThanEquals"});
    pool = {"5", "10", "50", "-1", "2.5"};
  } else if (family == "ip") {
    key = "aws:SourceIp";
    op = Pick<std::string>({"IpAddress", "NotIpAddress"});
    pool = {"10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0", "10.0.0.1"};
  } else if (family == "bool") {
    key = "aws:SecureTransport";
    op = "Bool";
    pool = {"true", "false"};
  } else if (family == "date") {
    key = "aws:CurrentTime";
    op = Pick<std::string>({"DateLessThan", "DateGreaterThan", "DateEquals", "DateNotEquals"});
    pool = {"2026-06-01T00:00:00Z", "1767225600"};
  } else if (family == "arn") {
    key = "aws:userid";
    op = Pick<std::string>({"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"});
    pool = {"arn:aws:iam::*:user/*", "arn:aws:iam::123:user/${aws:username}",
            "arn:*:*:*:*:*",         "arn:aws:iam::123:user/alice",
            "arn:aws:s3:::b/*",      "arn:aws:iam::1?3:*"};
  } else {
    key = Pick<std::string>({"aws:username", "s3:prefix", "aws:SourceIp"});
    op = "Null";
    pool = {"true", "false"};
  }
  if (op != "Null") {
    if (*rc::gen::inRange(0, 4) == 0) op += "IfExists";
    op = Pick<std::string>({"", "", "ForAnyValue:", "ForAllValues:"}) + op;
  }
  const auto values = *rc::gen::container<std::vector<std::string>>(
      static_cast<size_t>(*rc::gen::inRange(1, 3)), rc::gen::elementOf(pool));
  return json{{op, json{{key, values}}}};
}

json GenPrincipal() {
  if (*rc::gen::arbitrary<bool>()) return "*";
  const auto names = *rc::gen::container<std::vector<std::string>>(
      static_cast<size_t>(*rc::gen::inRange(1, 3)),
      rc::gen::element<std::string>("alice", "bob", "*"));
  return json{{"AWS", names}};
}

json GenStatement(bool bucket, std::optional<std::string> effect = std::nullopt) {
  json st;
  st["Effect"] = effect ? *effect : Pick<std::string>({"Allow", "Deny"});
  const auto actions = *rc::gen::container<std::vector<std::string>>(
      static_cast<size_t>(*rc::gen::inRange(1, 3)),
      rc::gen::element<std::string>("s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:Get*",
                                    "s3:*", "*", "s3:*Object", "admin:ServerInfo",
                                    "s3:DeleteObject"));
  st[*rc::gen::inRange(0, 5) == 0 ? "NotAction" : "Action"] = actions;
  std::vector<std::string> resources;
  const int n = *rc::gen::inRange(1, 3);
  for (int i = 0; i < n; ++i) resources.push_back(GenResourcePattern());
  st[*rc::gen::inRange(0, 8) == 0 ? "NotResource" : "Resource"] = resources;
  if (bucket) st[*rc::gen::inRange(0, 5) == 0 ? "NotPrincipal" : "Principal"] = GenPrincipal();
  const int conditions = *rc::gen::inRange(0, 3);
  if (conditions > 0) {
    json block = json::object();
    for (int i = 0; i < conditions; ++i) {
      const json condition = GenCondition();
      for (const auto& [op, keys] : condition.items()) {
        for (const auto& [key, values] : keys.items()) block[op][key] = values;
      }
    }
    st["Condition"] = block;
  }
  return st;
}

json GenPolicy(bool bucket) {
  json statements = json::array();
  const int n = *rc::gen::inRange(1, 4);
  for (int i = 0; i < n; ++i) statements.push_back(GenStatement(bucket));
  return json{{"Version", "2012-10-17"}, {"Statement", statements}};
}

reference::Request GenRequest() {
  reference::Request r;
  r.action = Pick<std::string>({"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject",
                                "s3:GetObjectTagging", "admin:ServerInfo", "s3:GetNewThing"});
  std::string resource = "arn:aws:s3:::" + Pick<std::string>({"a", "b", "c"});
  if (*rc::gen::arbitrary<bool>()) {
    resource += "/";
    const int n = *rc::gen::inRange(0, 4);
    for (int i = 0; i < n; ++i) {
      resource += Pick<std::string>({"x", "y", "/", "*", "?", "alice", "${aws:username}"});
    }
  }
  r.resource = resource;
  r.principal = Pick<std::string>({"alice", "bob"});
  r.anonymous = *rc::gen::inRange(0, 6) == 0;
  const std::vector<std::pair<std::string, std::vector<std::string>>> pools = {
      {"aws:username", {"alice", "bob", "*", "x", "a/b", "", "ALICE"}},
      {"s3:prefix", {"x", "x/y", "alice/", "*", "", "alice"}},
      {"aws:groups", {"dev", "ops", "x"}},
      {"aws:userid",
       {"arn:aws:iam::123:user/alice", "arn:aws:iam::9:role/x", "alice",
        "arn:aws:iam::123:user/${aws:username}"}},
      {"s3:max-keys", {"5", "10", "100", "abc", "2.5"}},
      {"aws:sourceip", {"10.0.0.1", "192.168.1.5", "8.8.8.8", "bad"}},
      {"aws:securetransport", {"true", "false", "maybe"}},
      {"aws:currenttime", {"2026-01-01T00:00:00Z", "2030-06-01T12:00:00Z", "1767225600", "x"}},
  };
  for (const auto& [key, pool] : pools) {
    const int count = *rc::gen::inRange(0, 3) - (*rc::gen::arbitrary<bool>() ? 1 : 0);
    for (int i = 0; i < count; ++i) r.context[key].push_back(Pick(pool));
  }
  return r;
}

struct Scenario {
  std::vector<json> identity;
  std::optional<json> bucket;
  std::optional<json> session;
  reference::Request request;

  std::string Describe() const {
    std::string out;
    for (const json& p : identity) out += "identity: " + p.dump() + "\n";
    if (bucket) out += "bucket: " + bucket->dump() + "\n";
    if (session) out += "session: " + session->dump() + "\n";
    out += "request: " + request.action + " " + request.resource +
           " principal=" + request.principal + (request.anonymous ? " anonymous" : "") + "\n";
    for (const auto& [k, vs] : request.context) {
      for (const auto& v : vs) out += "  " + k + "=" + v + "\n";
    }
    return out;
  }
};

// Turns a resource pattern into a resource it can match: wildcards become letters and the
// username variable becomes the request's user name (when it has exactly one).
std::string Instantiate(const std::string& pattern, const reference::Request& r) {
  if (pattern == "*") return "arn:aws:s3:::a/x";
  std::string out = pattern;
  const auto user = r.context.find("aws:username");
  const std::string name =
      user != r.context.end() && user->second.size() == 1 ? user->second[0] : "nobody";
  for (size_t at = out.find("${aws:username}"); at != std::string::npos;
       at = out.find("${aws:username}")) {
    out.replace(at, 15, name);
  }
  for (size_t at = out.find("${*}"); at != std::string::npos; at = out.find("${*}")) {
    out.replace(at, 4, "*");
  }
  for (char& c : out) {
    if (c == '*') c = 'x';
    if (c == '?') c = 'y';
  }
  return out;
}

// Half of the time, aims the request at one statement (its first concrete action and an
// instance of its first Resource) so that Allow decisions are common enough to compare.
void AimRequest(Scenario& s) {
  std::vector<const json*> statements;
  for (const json& p : s.identity) {
    for (const json& st : p["Statement"]) statements.push_back(&st);
  }
  if (s.bucket) {
    for (const json& st : (*s.bucket)["Statement"]) statements.push_back(&st);
  }
  if (statements.empty() || !*rc::gen::arbitrary<bool>()) return;
  const json& st = **rc::gen::elementOf(statements);
  if (st.contains("Action")) {
    const std::string action = st["Action"][0];
    if (action.find('*') == std::string::npos) s.request.action = action;
  }
  if (st.contains("Resource")) s.request.resource = Instantiate(st["Resource"][0], s.request);
}

Scenario GenScenario() {
  Scenario s;
  const int n = *rc::gen::inRange(0, 3);
  for (int i = 0; i < n; ++i) s.identity.push_back(GenPolicy(false));
  if (*rc::gen::arbitrary<bool>()) s.bucket = GenPolicy(true);
  if (*rc::gen::inRange(0, 4) == 0) s.session = GenPolicy(false);
  s.request = GenRequest();
  AimRequest(s);
  return s;
}

// Compiles and evaluates a scenario with coffer::policy; fills `explanation` when given.
std::optional<Decision> Library(const Scenario& s, std::string& error,
                                Explanation* explanation = nullptr) {
  std::vector<std::shared_ptr<const CompiledPolicy>> owned;
  std::vector<const CompiledPolicy*> identity;
  auto compile = [&](const json& doc, PolicyKind kind, std::string name) -> const CompiledPolicy* {
    auto compiled = CompileText(doc.dump(), std::move(name), kind);
    if (!compiled.has_value()) {
      error = compiled.error().ToString() + " in " + doc.dump();
      return nullptr;
    }
    owned.push_back(*compiled);
    return owned.back().get();
  };
  for (size_t i = 0; i < s.identity.size(); ++i) {
    identity.push_back(compile(s.identity[i], PolicyKind::kIdentity, "p" + std::to_string(i)));
    if (identity.back() == nullptr) return std::nullopt;
  }
  PolicySet set;
  set.identity = identity;
  if (s.bucket && (set.bucket = compile(*s.bucket, PolicyKind::kBucket, "bucket")) == nullptr) {
    return std::nullopt;
  }
  if (s.session &&
      (set.session = compile(*s.session, PolicyKind::kSession, "session")) == nullptr) {
    return std::nullopt;
  }
  Context ctx;
  for (const auto& [key, values] : s.request.context) {
    for (const auto& v : values) ctx.Add(key, v);
  }
  const Request request{.action = s.request.action,
                        .resource = s.request.resource,
                        .principal = s.request.principal,
                        .anonymous = s.request.anonymous,
                        .context = &ctx};
  if (explanation != nullptr) *explanation = Explain(set, request, /*all_statements=*/true);
  return Evaluate(set, request);
}

reference::Outcome Reference(const Scenario& s) {
  reference::Policies p;
  p.identity = s.identity;
  p.bucket = s.bucket ? &*s.bucket : nullptr;
  p.session = s.session ? &*s.session : nullptr;
  return reference::Decide(p, s.request);
}

const char* Name(const Decision& d) {
  switch (d.reason) {
    case Reason::kAllow:
      return "allow";
    case Reason::kExplicitDeny:
      return "explicit-deny";
    case Reason::kImplicitDeny:
      return "implicit-deny";
  }
  return "?";
}

Decision MustEvaluate(const Scenario& s) {
  std::string error;
  const std::optional<Decision> d = Library(s, error);
  if (!d) RC_FAIL("generated policy did not compile: " + error);
  return *d;
}

RC_GTEST_PROP(PolicyProperty, CompiledEvaluatorAgreesWithReference, ()) {
  const Scenario s = GenScenario();
  const Decision d = MustEvaluate(s);
  const reference::Outcome want = Reference(s);
  RC_PRE(want != reference::Outcome::kUnsupported);
  RC_TAG(Name(d));
  if (std::string(Name(d)) != reference::OutcomeName(want)) {
    RC_FAIL(std::string("library says ") + Name(d) + ", reference says " +
            reference::OutcomeName(want) + "\n" + s.Describe());
  }
}

RC_GTEST_PROP(PolicyProperty, AddingADenyNeverTurnsDenyIntoAllow, ()) {
  Scenario s = GenScenario();
  const Decision before = MustEvaluate(s);
  const bool to_bucket = s.bucket && *rc::gen::arbitrary<bool>();
  if (to_bucket) {
    s.bucket->at("Statement").push_back(GenStatement(true, "Deny"));
  } else if (!s.identity.empty() && *rc::gen::arbitrary<bool>()) {
    const size_t i = *rc::gen::inRange<size_t>(0, s.identity.size());
    s.identity[i]["Statement"].push_back(GenStatement(false, "Deny"));
  } else {
    s.identity.push_back(
        json{{"Version", "2012-10-17"}, {"Statement", json::array({GenStatement(false, "Deny")})}});
  }
  const Decision after = MustEvaluate(s);
  if (before.effect == Effect::kDeny && after.effect == Effect::kAllow) {
    RC_FAIL("a Deny turned deny into allow\n" + s.Describe());
  }
}

RC_GTEST_PROP(PolicyProperty, RemovingAnAllowNeverTurnsDenyIntoAllow, ()) {
  Scenario s = GenScenario();
  if (s.identity.empty()) s.identity.push_back(GenPolicy(false));
  std::vector<std::pair<json*, bool>> targets;
  for (json& p : s.identity) targets.emplace_back(&p, false);
  if (s.bucket) targets.emplace_back(&*s.bucket, true);
  if (s.session) targets.emplace_back(&*s.session, false);
  // Every policy gets at least two statements, one of them an Allow, so there is always an
  // Allow to remove without leaving an empty (invalid) policy behind.
  const auto [target, is_bucket] = *rc::gen::elementOf(targets);
  target->at("Statement").push_back(GenStatement(is_bucket, "Allow"));
  std::vector<json*> policies;
  for (const auto& t : targets) policies.push_back(t.first);
  std::vector<std::pair<json*, size_t>> allows;
  for (json* p : policies) {
    const json& statements = p->at("Statement");
    for (size_t i = 0; i < statements.size() && statements.size() > 1; ++i) {
      if (statements[i]["Effect"] == "Allow") allows.emplace_back(p, i);
    }
  }
  RC_PRE(!allows.empty());
  const Decision before = MustEvaluate(s);
  const auto [policy, index] = *rc::gen::elementOf(allows);
  policy->at("Statement").erase(index);
  const Decision after = MustEvaluate(s);
  if (before.effect == Effect::kDeny && after.effect == Effect::kAllow) {
    RC_FAIL("removing an Allow turned deny into allow\n" + s.Describe());
  }
}

// Explain() matches every statement with its action patterns; Evaluate() only looks at the
// statements the action index and the resource prefilter select. They must agree.
RC_GTEST_PROP(PolicyProperty, ActionIndexAgreesWithFullScan, ()) {
  const Scenario s = GenScenario();
  std::string error;
  Explanation e;
  const std::optional<Decision> d = Library(s, error, &e);
  if (!d) RC_FAIL("generated policy did not compile: " + error);
  bool deny_applies = false;
  bool allow_applies = false;
  for (const StatementVerdict& v : e.statements) {
    const bool applies = v.outcome == Outcome::kApplies || v.outcome == Outcome::kAppliesFailClosed;
    deny_applies = deny_applies || (applies && v.effect == Effect::kDeny);
    allow_applies = allow_applies || (applies && v.effect == Effect::kAllow);
  }
  RC_ASSERT(e.decision.effect == d->effect);
  RC_ASSERT(deny_applies == (d->reason == Reason::kExplicitDeny));
  if (d->reason == Reason::kAllow) RC_ASSERT(allow_applies);
  if (!allow_applies) RC_ASSERT(d->effect == Effect::kDeny);
}

constexpr std::string_view kPerUserPrefix = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::mybucket"],
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]}
  ]
})";

std::string GenUsername() {
  return *rc::gen::oneOf(
      rc::gen::arbitrary<std::string>(),
      rc::gen::element<std::string>("*", "?", "/", "..", "${", "${aws:username}", "${*}", "a*",
                                    "*/..", "alice/../bob", "\xc3\xa9", "", "bob/", "al?ce"));
}

RC_GTEST_PROP(PolicyProperty, NoUsernameReachesOutsideItsPrefix, ()) {
  const auto policy = CompileText(kPerUserPrefix, "per-user", PolicyKind::kIdentity);
  RC_ASSERT(policy.has_value());
  const std::string user = GenUsername();
  const std::string other = *rc::gen::element<std::string>("bob", "alice", "admin", "");
  const std::string tail = *rc::gen::arbitrary<std::string>();
  const std::string key =
      *rc::gen::element(tail, other + "/" + tail, user + "/" + tail, user + tail,
                        user.substr(0, user.size() / 2) + "/" + tail, "/" + tail, user);
  const std::string action =
      *rc::gen::element<std::string>("s3:GetObject", "s3:PutObject", "s3:ListBucket");
  Context ctx;
  ctx.Add("aws:username", user);
  const std::string resource =
      action == "s3:ListBucket" ? "arn:aws:s3:::mybucket" : "arn:aws:s3:::mybucket/" + key;
  if (action == "s3:ListBucket") ctx.Add("s3:prefix", key);
  const CompiledPolicy* list[] = {policy->get()};
  PolicySet set;
  set.identity = list;
  const Request request{.action = action,
                        .resource = resource,
                        .principal = user,
                        .anonymous = false,
                        .context = &ctx};
  const Decision d = Evaluate(set, request);
  if (d.effect == Effect::kAllow) {
    RC_ASSERT(key.size() > user.size());
    RC_ASSERT(key.compare(0, user.size() + 1, user + "/") == 0);
  }
}

RC_GTEST_PROP(PolicyProperty, PrintIsANormalForm, ()) {
  const json doc = *rc::gen::arbitrary<bool>() ? GenPolicy(true) : GenPolicy(false);
  const auto parsed = Parse(doc.dump(*rc::gen::element(-1, 2)));
  RC_ASSERT(parsed.has_value());
  const std::string printed = Print(*parsed);
  const auto again = Parse(printed);
  RC_ASSERT(again.has_value());
  RC_ASSERT(Print(*again) == printed);
  // The canonical text means the same as the original: same statements, same values.
  RC_ASSERT(json::parse(printed)["Statement"].size() == doc["Statement"].size());
}

}  // namespace
}  // namespace coffer::policy
