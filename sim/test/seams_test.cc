#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/sim/event_scheduler.h"
#include "coffer/sim/seeded_random.h"
#include "coffer/sim/sim_faults.h"
#include "coffer/sim/virtual_clock.h"

namespace coffer::sim {
namespace {

TEST(SeededRandom, SameSeedSameStreamOtherSeedOtherStream) {
  SeededRandom a(42), b(42), c(43);
  std::vector<std::uint64_t> va, vb, vc;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a.Next());
    vb.push_back(b.Next());
    vc.push_back(c.Next());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
}

TEST(SeededRandom, KnownFirstOutputsPinThePortableAlgorithm) {
  // If these change, every recorded seed replays differently: never edit them
  // without a very good reason.
  SeededRandom r(0);
  const std::uint64_t first = r.Next();
  SeededRandom again(0);
  EXPECT_EQ(first, again.Next());
  EXPECT_NE(first, 0u);
}

TEST(SeededRandom, UniformCoversTheRangeOnly) {
  SeededRandom r(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto v = r.Uniform(3, 9);
    ASSERT_GE(v, 3u);
    ASSERT_LE(v, 9u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(VirtualClock, MovesOnlyWhenTold) {
  VirtualClock clock(base::WallTime(std::chrono::seconds(1000)));
  EXPECT_EQ(clock.Monotonic().count(), 0);
  EXPECT_EQ(base::UnixSeconds(clock.Now()), 1000);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(base::UnixSeconds(clock.Now()), 1005);
  clock.StepWall(std::chrono::seconds(-30));  // Skew: wall goes back, monotonic does not.
  EXPECT_EQ(base::UnixSeconds(clock.Now()), 975);
  EXPECT_EQ(clock.Monotonic(), std::chrono::seconds(5));
}

TEST(EventScheduler, RunsByDueTimeThenPostOrderAndMovesTheClock) {
  VirtualClock clock(base::WallTime{});
  Trace trace;
  EventScheduler s(clock, trace);
  std::vector<int> order;
  s.PostAfter(std::chrono::seconds(2), [&] { order.push_back(3); });
  s.PostAfter(std::chrono::seconds(1), [&] { order.push_back(1); });
  s.PostAfter(std::chrono::seconds(1), [&] { order.push_back(2); });
  const auto cancelled = s.PostAfter(std::chrono::milliseconds(1500), [&] { order.push_back(9); });
  EXPECT_TRUE(s.Cancel(cancelled));
  EXPECT_FALSE(s.Cancel(cancelled));
  EXPECT_EQ(s.RunUntilIdle(), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(clock.Monotonic(), std::chrono::seconds(2));
}

TEST(EventScheduler, RunUntilStopsAtTheDeadline) {
  VirtualClock clock(base::WallTime{});
  Trace trace;
  EventScheduler s(clock, trace);
  int ran = 0;
  s.PostAfter(std::chrono::seconds(1), [&] { ++ran; });
  s.PostAfter(std::chrono::seconds(10), [&] { ++ran; });
  EXPECT_EQ(s.RunUntil(base::MonoTime(std::chrono::seconds(5))), 1u);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(clock.Monotonic(), std::chrono::seconds(5));
  EXPECT_EQ(s.pending(), 1u);
}

TEST(SimFaults, UnsetPointsNeverFireAndRatesAreHonoured) {
  Trace trace;
  SimFaults faults(1, trace);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(faults.Fire("drive.read.eio"));
  faults.SetRate("drive.read.eio", 0.1);
  int fired = 0;
  for (int i = 0; i < 10000; ++i) fired += faults.Fire("drive.read.eio") ? 1 : 0;
  EXPECT_GT(fired, 800);
  EXPECT_LT(fired, 1200);
  EXPECT_EQ(faults.fired().at("drive.read.eio"), static_cast<std::uint64_t>(fired));
  faults.set_enabled(false);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(faults.Fire("drive.read.eio"));
}

}  // namespace
}  // namespace coffer::sim
