// The state benchmark (issue #4): a generated repo with 10,000 users, 1,000 policies and 1,000
// buckets. Targets (Release): validate + plan <= 1 s; apply into an empty store <= 2 s;
// no-change plan <= 300 ms; snapshot rebuild <= 200 ms; peak RSS <= 300 MiB.
// Run: build/h-state-rel/conformance/coffer_state_bench --benchmark_min_time=1

#include <sys/resource.h>

#include <filesystem>
#include <sstream>

#include <benchmark/benchmark.h>

#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace coffer::state {
namespace {

constexpr int kUsers = 10000;
constexpr int kPolicies = 1000;
constexpr int kBuckets = 1000;
constexpr int kGroups = 100;

// Users spread over 10 files, as a real repo would split them.
ConfigTree GenerateRepo() {
  ConfigTree tree;
  std::ostringstream policies, buckets, groups;
  for (int p = 0; p < kPolicies; ++p) {
    policies << "[policies.p" << p << "]\njson = '{\"Version\": \"2012-10-17\", \"Statement\": "
             << "[{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], "
             << "\"Resource\": [\"arn:aws:s3:::bucket-" << p << "/*\"]}]}'\n";
  }
  for (int b = 0; b < kBuckets; ++b) {
    buckets << "[buckets.bucket-" << b << "]\nversioning = " << (b % 2 ? "true" : "false")
            << "\nencryption = \"sse-s3\"\n";
  }
  for (int g = 0; g < kGroups; ++g) {
    groups << "[groups.g" << g << "]\npolicies = [\"p" << g << "\", \"p" << g + 100 << "\"]\n";
  }
  for (int f = 0; f < 10; ++f) {
    std::ostringstream users;
    for (int u = f * (kUsers / 10); u < (f + 1) * (kUsers / 10); ++u) {
      users << "[users.user" << u << "]\nsecret = \"env:SECRET_" << u % 100 << "\"\n"
            << "policies = [\"p" << u % kPolicies << "\"]\ngroups = [\"g" << u % kGroups << "\"]\n";
    }
    tree.files["users/users-" + std::to_string(f) + ".toml"] = users.str();
  }
  tree.files["users/admin.toml"] =
      "[users.admin]\nsecret = \"env:SECRET_0\"\npolicies = [\"consoleAdmin\"]\n";
  tree.files["policies.toml"] = policies.str();
  tree.files["buckets.toml"] = buckets.str();
  tree.files["groups.toml"] = groups.str();
  return tree;
}

std::map<std::string, std::string> Env() {
  std::map<std::string, std::string> env;
  for (int i = 0; i < 100; ++i)
    env["SECRET_" + std::to_string(i)] = "secret-value-" + std::to_string(i);
  return env;
}

struct Fixture {
  testing::TestRandom random;
  MasterKey key = MasterKey::Generate(random);
  ConfigTree tree = GenerateRepo();
  testing::TempDir dir;

  DesiredRecords Desired() {
    ConfigLoad load = LoadConfig(tree);
    COFFER_ASSERT(load.ok());
    StandardSecretResolver resolver = testing::MapResolver(Env());
    return *BuildDesiredRecords(load.state, resolver, key);
  }
};

Fixture& Shared() {
  static Fixture* fixture = new Fixture();  // Lives for the process; benchmarks share it.
  return *fixture;
}

void ReportRss(benchmark::State& state) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void BM_ValidateAndPlanAgainstEmptyStore(benchmark::State& state) {
  Fixture& f = Shared();
  auto store = *Store::Open(f.dir.Path("empty.db"), {});
  for (auto _ : state) {
    DesiredRecords desired = f.Desired();
    Plan plan = *PlanChanges(*store, desired);
    benchmark::DoNotOptimize(plan.changes.size());
  }
  ReportRss(state);
}

void BM_ApplyIntoEmptyStore(benchmark::State& state) {
  Fixture& f = Shared();
  DesiredRecords desired = f.Desired();
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string path = f.dir.Path("apply-" + std::to_string(n++) + ".db");
    auto store = *Store::Open(path, {});
    state.ResumeTiming();
    ApplyOptions options;
    options.revision.id = "bench";
    ApplyResult r = *Apply(*store, desired, f.key, f.random, options);
    benchmark::DoNotOptimize(r.generation);
  }
  ReportRss(state);
}

std::unique_ptr<Store> AppliedStore(Fixture& f) {
  auto store = *Store::Open(f.dir.Path("applied.db"), {});
  ApplyOptions options;
  options.revision.id = "bench";
  COFFER_ASSERT(Apply(*store, f.Desired(), f.key, f.random, options).has_value());
  return store;
}

void BM_NoChangePlanFull(benchmark::State& state) {
  Fixture& f = Shared();
  auto store = AppliedStore(f);
  for (auto _ : state) {
    DesiredRecords desired = f.Desired();
    Plan plan = *PlanChanges(*store, desired);
    COFFER_ASSERT(plan.empty());
  }
  ReportRss(state);
}

void BM_NoChangePlanDiffOnly(benchmark::State& state) {
  Fixture& f = Shared();
  auto store = AppliedStore(f);
  DesiredRecords desired = f.Desired();
  for (auto _ : state) {
    Plan plan = *PlanChanges(*store, desired);
    COFFER_ASSERT(plan.empty());
  }
  ReportRss(state);
}

void BM_SnapshotRebuild(benchmark::State& state) {
  Fixture& f = Shared();
  auto store = AppliedStore(f);
  std::uint64_t generation = 0;
  for (auto _ : state) {
    auto snap = *BuildSnapshot(*store, f.key, ++generation, base::WallTime{});
    benchmark::DoNotOptimize(snap->credential_count());
  }
  ReportRss(state);
}

BENCHMARK(BM_ValidateAndPlanAgainstEmptyStore)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ApplyIntoEmptyStore)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_NoChangePlanFull)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NoChangePlanDiffOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotRebuild)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace coffer::state

BENCHMARK_MAIN();
