// Benchmarks for coffer::policy (issue #3 targets, Release build):
// - a principal with 10 attached policies of 10 statements each, with conditions and
//   variables: evaluation median <= 1 us;
// - 1,000 statements reachable for one principal: <= 5 us;
// - parse + validate + compile a 10-statement policy: <= 50 us;
// - zero heap allocations per evaluation, counted by replacing operator new in this file.

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "coffer/policy/compile.h"
#include "coffer/policy/evaluate.h"

namespace {

// The allocation counter the replaced operator new bumps. A namespace-scope atomic is the only
// way to observe allocations made inside the library.
std::atomic<uint64_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  std::abort();  // Project code never throws; out of memory in a benchmark is fatal.
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace coffer::policy {
namespace {

std::string Statement(int policy, int i) {
  const std::string n = std::to_string(policy) + "-" + std::to_string(i);
  switch (i % 5) {
    case 0:
      return R"({"Sid":"List)" + n +
             R"(","Effect":"Allow","Action":"s3:ListBucket",)"
             R"("Resource":"arn:aws:s3:::bucket)" +
             n +
             R"(",)"
             R"("Condition":{"StringLike":{"s3:prefix":["${aws:username}/*","shared/*"]}}})";
    case 1:
      return R"({"Sid":"Own)" + n +
             R"(","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],)"
             R"("Resource":"arn:aws:s3:::bucket)" +
             n +
             R"(/${aws:username}/*",)"
             R"("Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}})";
    case 2:
      return R"({"Sid":"Tls)" + n +
             R"(","Effect":"Deny","Action":"s3:*",)"
             R"("Resource":"arn:aws:s3:::bucket)" +
             n +
             R"(/*",)"
             R"("Condition":{"Bool":{"aws:SecureTransport":"false"}}})";
    case 3:
      return R"({"Sid":"Tags)" + n +
             R"(","Effect":"Allow","Action":"s3:Get*",)"
             R"("Resource":"arn:aws:s3:::bucket)" +
             n +
             R"(/*",)"
             R"("Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"${aws:username}"},)"
             R"("DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}})";
    default:
      return R"({"Sid":"Admin)" + n + R"(","Effect":"Allow","Action":"admin:ServerInfo"})";
  }
}

std::string PolicyText(int policy, int statements) {
  std::string out = R"({"Version":"2012-10-17","Statement":[)";
  for (int i = 0; i < statements; ++i) {
    if (i > 0) out += ",";
    out += Statement(policy, i);
  }
  return out + "]}";
}

Context RequestContext() {
  Context ctx;
  ctx.Add("aws:username", "alice");
  ctx.Add("aws:SourceIp", "10.1.2.3");
  ctx.Add("aws:SecureTransport", "true");
  ctx.Add("aws:CurrentTime", "2026-11-27T08:00:00Z");
  ctx.Add("s3:ExistingObjectTag/team", "alice");
  return ctx;
}

void Run(benchmark::State& state, const PolicySet& set, const Request& request, Effect expected) {
  if (Evaluate(set, request).effect != expected) {
    state.SkipWithError("unexpected decision");
    return;
  }
  const uint64_t before = g_allocations.load();
  for (auto _ : state) {
    Decision d = Evaluate(set, request);
    benchmark::DoNotOptimize(d);
  }
  const uint64_t allocations = g_allocations.load() - before;
  state.counters["allocs_per_eval"] =
      static_cast<double>(allocations) / static_cast<double>(state.iterations());
}

void BM_Evaluate10Policies10Statements(benchmark::State& state) {
  std::vector<std::shared_ptr<const CompiledPolicy>> owned;
  std::vector<const CompiledPolicy*> identity;
  for (int p = 0; p < 10; ++p) {
    owned.push_back(
        *CompileText(PolicyText(p, 10), "p" + std::to_string(p), PolicyKind::kIdentity));
    identity.push_back(owned.back().get());
  }
  PolicySet set;
  set.identity = identity;
  const Context ctx = RequestContext();
  // The only allowing statement is in the last policy: every policy is scanned.
  const Request request{"s3:GetObject", "arn:aws:s3:::bucket9-6/alice/report.pdf", "alice", false,
                        &ctx};
  Run(state, set, request, Effect::kAllow);
}
BENCHMARK(BM_Evaluate10Policies10Statements);

void BM_Evaluate1000ReachableStatements(benchmark::State& state) {
  std::string text = R"({"Version":"2012-10-17","Statement":[)";
  for (int i = 0; i < 1000; ++i) {
    if (i > 0) text += ",";
    text += R"({"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],)"
            R"("Resource":"arn:aws:s3:::bucket)" +
            std::to_string(i) + R"(/${aws:username}/*"})";
  }
  text += "]}";
  const auto policy = *CompileText(text, "big", PolicyKind::kIdentity);
  const CompiledPolicy* list[] = {policy.get()};
  PolicySet set;
  set.identity = list;
  const Context ctx = RequestContext();
  const bool allow = state.range(0) == 1;
  // Allow: the last statement matches. Deny: none does, after all 1,000 were tried.
  const Request request{"s3:GetObject",
                        allow ? "arn:aws:s3:::bucket999/alice/x" : "arn:aws:s3:::bucket999/bob/x",
                        "alice", false, &ctx};
  Run(state, set, request, allow ? Effect::kAllow : Effect::kDeny);
}
BENCHMARK(BM_Evaluate1000ReachableStatements)->Arg(1)->Arg(0);

void BM_ParseValidateCompile10Statements(benchmark::State& state) {
  const std::string text = PolicyText(0, 10);
  for (auto _ : state) {
    auto compiled = CompileText(text, "p", PolicyKind::kIdentity);
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_ParseValidateCompile10Statements);

}  // namespace
}  // namespace coffer::policy

BENCHMARK_MAIN();
