// The simulated appliance itself, and regressions the simulator found.

#include "coffer/sim/world.h"

#include <gtest/gtest.h>

namespace coffer::sim {
namespace {

TEST(WorldTest, ServesSignedRequestsAndRefusesUnknownKeys) {
  SimEnv env(1, env::LogLevel::kWarn);
  WorldOptions options;
  options.repo_files["buckets.toml"] = "[buckets.data]\n";
  World world(env, options);
  EXPECT_TRUE(world.health().Ready());
  Request put;
  put.method = "PUT";
  put.target = "/data/k";
  put.body = "hello";
  EXPECT_TRUE(world.Send(put).ok());
  Request get;
  get.target = "/data/k";
  Reply r = world.Send(get);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.body, "hello");
  SendOptions stranger;
  stranger.credentials = {"nobody", "nobody-secret-0123456789", ""};
  Reply refused = world.Send(get, stranger);
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(refused.Code(), "InvalidAccessKeyId");
}

// Found by the durability swarm (seed 29): an inline object whose xl.meta
// rotted on three of four drives. Heal took the rotted copies for "no such
// object", deleted the last good copy as debris of an interrupted write and
// reported the object healed. A rotted copy is no evidence of absence: the
// object is unrecoverable, and heal must say so and keep what is left.
TEST(WorldTest, HealKeepsTheLastCopyWhenTheOthersRotted) {
  SimEnv env(2, env::LogLevel::kWarn);
  WorldOptions options;
  options.repo_files["buckets.toml"] = "[buckets.data]\n";
  World world(env, options);
  Request put;
  put.method = "PUT";
  put.target = "/data/small";
  put.body = "inline object";
  ASSERT_TRUE(world.Send(put).ok());
  int rotted = 0;
  std::string meta_path;
  for (int d : {0, 2, 3}) {
    auto disk = env.Disk("drive" + std::to_string(d));
    ASSERT_NE(disk, nullptr);
    for (auto& [path, bytes] : disk->files) {
      if (path.find("/xl.meta") != std::string::npos && path.find("buckets/data/o/") == 0) {
        meta_path = path;
        // Several bits, so no single-bit correction could hide it.
        for (std::uint64_t bit : {9u, 77u, 130u}) FlipBitForTest(*disk, path, bit);
        ++rotted;
      }
    }
  }
  ASSERT_EQ(rotted, 3);
  auto report = world.objects().HealAll({});
  ASSERT_TRUE(report.has_value());
  ASSERT_EQ(report->objects.size(), 1u);
  EXPECT_EQ(report->objects[0].outcome, core::storage::HealOutcome::kUnrecoverable);
  EXPECT_TRUE(env.Disk("drive1")->files.contains(meta_path)) << "heal deleted the last copy";
}

}  // namespace
}  // namespace coffer::sim
