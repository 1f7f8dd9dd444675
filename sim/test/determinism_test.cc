#include <set>

#include <gtest/gtest.h>

#include "coffer/sim/smoke_workload.h"

namespace coffer::sim {
namespace {

TEST(Determinism, SameSeedGivesTheSameTraceByteForByte) {
  SimEnv a(8482903616249937941ULL);
  SimEnv b(8482903616249937941ULL);
  const SmokeResult ra = RunSmokeWorkload(a, 500);
  const SmokeResult rb = RunSmokeWorkload(b, 500);
  EXPECT_EQ(ra.trace_hash, rb.trace_hash);
  EXPECT_EQ(a.trace().lines(), b.trace().lines());
  EXPECT_EQ(ra.ops_ok, rb.ops_ok);
  EXPECT_EQ(ra.faults_fired, rb.faults_fired);
}

TEST(Determinism, DifferentSeedsGiveDifferentTraces) {
  std::set<std::string> hashes;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimEnv env(seed);
    hashes.insert(RunSmokeWorkload(env, 200).trace_hash);
  }
  EXPECT_EQ(hashes.size(), 20u);
}

TEST(Determinism, TheWorkloadReallyExercisesFaultsAndTime) {
  SimEnv env(3);
  const SmokeResult r = RunSmokeWorkload(env, 2000);
  EXPECT_EQ(r.tasks_run >= 2000, true);
  EXPECT_GT(r.ops_failed, 0u);
  EXPECT_GT(r.ops_ok, r.ops_failed);
  EXPECT_GE(r.faults_fired.size(), 5u);  // Most fault kinds fired at least once.
  EXPECT_GT(env.clock().Monotonic(), std::chrono::seconds(10));
}

}  // namespace
}  // namespace coffer::sim
