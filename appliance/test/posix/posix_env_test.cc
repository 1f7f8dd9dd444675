#include "coffer/posix/posix_env.h"

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace coffer::posix {
namespace {

TEST(SystemClock, MonotonicNeverGoesBack) {
  SystemClock clock;
  base::MonoTime last = clock.Monotonic();
  for (int i = 0; i < 1000; ++i) {
    const base::MonoTime now = clock.Monotonic();
    EXPECT_GE(now, last);
    last = now;
  }
  EXPECT_GT(base::UnixSeconds(clock.Now()), 1700000000);
}

TEST(OpenSslRandom, FillsDistinctBytes) {
  OpenSslRandom random;
  ASSERT_NE(random.LibCtx(), nullptr);
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) seen.insert(random.Bytes(16));
  EXPECT_EQ(seen.size(), 64u);
}

TEST(OpenSslRandom, UniformStaysInRangeAndCoversIt) {
  OpenSslRandom random;
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t v = random.Uniform(10, 15);
    ASSERT_GE(v, 10u);
    ASSERT_LE(v, 15u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 6u);
}

TEST(AsioScheduler, RunsPostedTasksInDelayOrderAndHonoursCancel) {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  std::vector<int> order;
  scheduler.PostAfter(std::chrono::milliseconds(30), [&] { order.push_back(3); });
  scheduler.PostAfter(std::chrono::milliseconds(10), [&] { order.push_back(2); });
  scheduler.Post([&] { order.push_back(1); });
  const env::TaskId cancelled =
      scheduler.PostAfter(std::chrono::milliseconds(20), [&] { order.push_back(99); });
  EXPECT_TRUE(scheduler.Cancel(cancelled));
  EXPECT_FALSE(scheduler.Cancel(cancelled));
  io.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace coffer::posix
