#pragma once
// Helpers shared by the policy unit tests: compile a policy from text or die, and evaluate a
// request built from a few fields.

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/policy/compile.h"
#include "coffer/policy/evaluate.h"
#include "coffer/policy/parse.h"
#include "coffer/policy/validate.h"

namespace coffer::policy::testing {

inline std::shared_ptr<const CompiledPolicy> MustCompile(std::string_view json,
                                                         PolicyKind kind = PolicyKind::kIdentity,
                                                         std::string name = "p") {
  auto compiled = CompileText(json, std::move(name), kind);
  EXPECT_TRUE(compiled.has_value()) << compiled.error().ToString() << "\n" << json;
  if (!compiled.has_value()) return nullptr;
  return *compiled;
}

// Wraps statements into a 2012-10-17 policy document.
inline std::string Policy(std::string_view statements) {
  return R"({"Version":"2012-10-17","Statement":[)" + std::string(statements) + "]}";
}

struct Probe {
  std::string action = "s3:GetObject";
  std::string resource = "arn:aws:s3:::bucket/key";
  std::string principal = "alice";
  bool anonymous = false;
  std::vector<std::pair<std::string, std::string>> context;
};

inline Decision Decide(const PolicySet& set, const Probe& probe) {
  Context ctx;
  for (const auto& [k, v] : probe.context) ctx.Add(k, v);
  Request request;
  request.action = probe.action;
  request.resource = probe.resource;
  request.principal = probe.principal;
  request.anonymous = probe.anonymous;
  request.context = &ctx;
  return Evaluate(set, request);
}

// True when a single identity policy allows the probe.
inline bool Allows(const std::shared_ptr<const CompiledPolicy>& policy, const Probe& probe) {
  if (policy == nullptr) return false;
  const CompiledPolicy* list[] = {policy.get()};
  PolicySet set;
  set.identity = list;
  return Decide(set, probe).effect == Effect::kAllow;
}

// Compiles one Allow statement on s3:GetObject for every resource with the given condition
// block, and evaluates it against `context`.
inline bool ConditionHolds(std::string_view condition,
                           std::vector<std::pair<std::string, std::string>> context) {
  const auto policy = MustCompile(
      Policy(R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":)" +
             std::string(condition) + "}"));
  Probe probe;
  probe.context = std::move(context);
  return Allows(policy, probe);
}

inline std::vector<Diagnostic> Check(std::string_view json,
                                     PolicyKind kind = PolicyKind::kIdentity) {
  auto doc = Parse(json);
  EXPECT_TRUE(doc.has_value()) << doc.error().ToString();
  if (!doc.has_value()) return {};
  return Validate(*doc, {kind});
}

}  // namespace coffer::policy::testing
