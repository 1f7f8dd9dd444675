// The scenario runner's own contract: scenario files are checked (with
// FILE:LINE:COL), the same seed gives the same trace byte for byte, another
// seed another trace, and a planted bug is found and shrunk to a failing run
// that replays.

#include "coffer/sim/scenario.h"

#include <gtest/gtest.h>

#include "coffer/base/planted.h"
#include "coffer/sim/runner.h"

namespace coffer::sim {
namespace {

constexpr const char* kReplay = R"(
name = "replay"
threat = "8. replay attacks"
workload = "replay"
steps = 60
)";

RunOptions Seed(std::uint64_t seed) {
  RunOptions o;
  o.seed = seed;
  return o;
}

Scenario Load(const std::string& text) {
  auto s = LoadScenario("test.toml", text);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  return s.value_or(Scenario{});
}

TEST(ScenarioTest, ABadScenarioIsRefusedWithItsPosition) {
  auto unknown_key = LoadScenario("s.toml", "name = \"x\"\nworkload = \"replay\"\nstep = 3\n");
  ASSERT_FALSE(unknown_key.has_value());
  EXPECT_NE(unknown_key.error().message().find("s.toml:3:"), std::string::npos)
      << unknown_key.error().message();
  auto bad_workload = LoadScenario("s.toml", "name = \"x\"\nworkload = \"nope\"\n");
  ASSERT_FALSE(bad_workload.has_value());
  EXPECT_NE(bad_workload.error().message().find("unknown workload"), std::string::npos);
  auto bad_fault = LoadScenario(
      "s.toml", "name = \"x\"\nworkload = \"replay\"\n[faults]\n\"drive.melt\" = 0.1\n");
  ASSERT_FALSE(bad_fault.has_value());
  EXPECT_NE(bad_fault.error().message().find("s.toml:4:"), std::string::npos);
  auto bad_rate = LoadScenario(
      "s.toml", "name = \"x\"\nworkload = \"replay\"\n[faults]\n\"drive.slow\" = 2.0\n");
  EXPECT_FALSE(bad_rate.has_value());
  auto foreign_invariant =
      LoadScenario("s.toml", "name = \"x\"\nworkload = \"replay\"\ninvariants = [\"deny-wins\"]\n");
  ASSERT_FALSE(foreign_invariant.has_value());
  EXPECT_NE(foreign_invariant.error().message().find("deny-wins"), std::string::npos);
  auto syntax = LoadScenario("s.toml", "name = \n");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_NE(syntax.error().message().find("s.toml:1:"), std::string::npos);
}

TEST(ScenarioTest, TheInvariantsDefaultToEveryOneTheWorkloadChecks) {
  Scenario s = Load(kReplay);
  EXPECT_EQ(s.invariants, KnownWorkloads().at("replay"));
}

TEST(ScenarioTest, SameSeedSameTraceOtherSeedOtherTrace) {
  Scenario s = Load(kReplay);
  RunSummary a = RunScenario(s, Seed(7));
  RunSummary b = RunScenario(s, Seed(7));
  RunSummary c = RunScenario(s, Seed(8));
  EXPECT_TRUE(a.passed) << a.violation;
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.ToJson(), b.ToJson());
  EXPECT_NE(a.trace_hash, c.trace_hash);
  EXPECT_GT(a.invariants_checked, 0u);
}

#if defined(COFFER_TESTING)
TEST(ScenarioTest, APlantedBugIsFoundAndShrunkToARunThatReplays) {
  Scenario s = Load(kReplay);
  RunOptions planted = Seed(1);
  planted.planted = static_cast<unsigned>(base::PlantedBug::kSkipPresignExpiry);
  std::optional<RunSummary> failure;
  for (std::uint64_t seed = 1; seed <= 20 && !failure; ++seed) {
    planted.seed = seed;
    RunSummary r = RunScenario(s, planted);
    if (!r.passed) failure = r;
  }
  ASSERT_TRUE(failure.has_value()) << "20 seeds did not find a skipped presign expiry";
  EXPECT_NE(failure->violation.find("expired-presign-refused"), std::string::npos);
  RunOptions smallest = Shrink(s, planted, *failure);
  ASSERT_TRUE(smallest.steps.has_value());
  EXPECT_LE(*smallest.steps, *failure->failed_step + 1);
  RunSummary again = RunScenario(s, smallest);
  EXPECT_FALSE(again.passed);
  EXPECT_LE(again.steps_run, failure->steps_run);
  // Without the bug, the same seed passes: the failure is the bug's.
  RunOptions clean = planted;
  clean.planted = 0;
  EXPECT_TRUE(RunScenario(s, clean).passed);
}
#endif

}  // namespace
}  // namespace coffer::sim
