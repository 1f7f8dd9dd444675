#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/sim/sim_env.h"

#include "../../appliance/test/env/drive_contract.h"

namespace coffer::sim {

// The in-memory drive must honour the same contract as the POSIX drive.
struct SimDriveFactory {
  std::unique_ptr<env::Drive> Make() {
    auto d = env_.OpenDrive("disk1");
    COFFER_ASSERT(d.has_value());
    return std::move(d).value();
  }
  SimEnv env_{1};
};

namespace {

struct Fixture {
  SimEnv env{99};
  std::unique_ptr<env::Drive> drive;
  Fixture() { drive = std::move(env.OpenDrive("d1")).value(); }
};

TEST(SimDrive, ReadEioFaultFailsWithDataLoss) {
  Fixture f;
  ASSERT_TRUE(f.drive->WriteAtomic("a", base::AsBytes("x")).has_value());
  f.env.sim_faults().SetRate("drive.read.eio", 1.0);
  auto r = f.drive->ReadAll("a");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kDataLoss);
}

TEST(SimDrive, WriteEioChangesNothing) {
  Fixture f;
  ASSERT_TRUE(f.drive->WriteAtomic("a", base::AsBytes("old")).has_value());
  f.env.sim_faults().SetRate("drive.write.eio", 1.0);
  EXPECT_FALSE(f.drive->WriteAtomic("a", base::AsBytes("new")).has_value());
  f.env.sim_faults().set_enabled(false);
  EXPECT_EQ(*f.drive->ReadAll("a"), "old");
}

TEST(SimDrive, TornWriteLeavesAStrictPrefix) {
  Fixture f;
  f.env.sim_faults().SetRate("drive.write.torn", 1.0);
  const std::string data(1000, 'z');
  EXPECT_FALSE(f.drive->WriteAtomic("a", base::AsBytes(data)).has_value());
  f.env.sim_faults().set_enabled(false);
  auto got = f.drive->ReadAll("a");
  ASSERT_TRUE(got.has_value());
  EXPECT_LT(got->size(), data.size());
  EXPECT_EQ(*got, data.substr(0, got->size()));
}

TEST(SimDrive, BitflipPersistsExactlyOneFlippedBit) {
  Fixture f;
  f.env.sim_faults().SetRate("drive.write.bitflip", 1.0);
  const std::string data(64, '\0');
  ASSERT_TRUE(f.drive->WriteAtomic("a", base::AsBytes(data)).has_value());
  f.env.sim_faults().set_enabled(false);
  const std::string got = *f.drive->ReadAll("a");
  ASSERT_EQ(got.size(), data.size());
  int bits = 0;
  for (char c : got) bits += __builtin_popcount(static_cast<unsigned char>(c));
  EXPECT_EQ(bits, 1);
}

TEST(SimDrive, FullDiskRefusesWritesBeyondCapacity) {
  Fixture f;
  f.env.Disk("d1")->capacity_bytes = 10;
  EXPECT_TRUE(f.drive->WriteAtomic("a", base::AsBytes("12345")).has_value());
  auto r = f.drive->WriteAtomic("b", base::AsBytes("1234567"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kResourceExhausted);
  f.env.sim_faults().SetRate("drive.full", 1.0);
  EXPECT_EQ(f.drive->WriteAtomic("c", base::AsBytes("1")).error().code(),
            base::ErrorCode::kResourceExhausted);
}

TEST(SimDrive, VanishedFileIsNotFound) {
  Fixture f;
  ASSERT_TRUE(f.drive->WriteAtomic("a", base::AsBytes("x")).has_value());
  f.env.sim_faults().SetRate("drive.vanish", 1.0);
  EXPECT_EQ(f.drive->ReadAll("a").error().code(), base::ErrorCode::kNotFound);
}

TEST(SimDrive, SlowOperationTakesVirtualTime) {
  Fixture f;
  f.env.sim_faults().SetRate("drive.slow", 1.0);
  const auto before = f.env.clock().Monotonic();
  ASSERT_TRUE(f.drive->WriteAtomic("a", base::AsBytes("x")).has_value());
  EXPECT_GE(f.env.clock().Monotonic() - before, std::chrono::milliseconds(1));
}

TEST(SimDrive, OfflineDriveIsUnavailable) {
  Fixture f;
  f.env.Disk("d1")->offline = true;
  EXPECT_EQ(f.drive->ReadAll("a").error().code(), base::ErrorCode::kUnavailable);
  EXPECT_EQ(f.drive->WriteAtomic("a", base::AsBytes("x")).error().code(),
            base::ErrorCode::kUnavailable);
}

TEST(SimDrive, DisksOutliveDrivesLikeRealDisksOutliveProcesses) {
  SimEnv env(5);
  {
    auto d = std::move(env.OpenDrive("d1")).value();
    ASSERT_TRUE(d->WriteAtomic("persist", base::AsBytes("yes")).has_value());
  }
  auto again = std::move(env.OpenDrive("d1")).value();
  EXPECT_EQ(*again->ReadAll("persist"), "yes");
}

}  // namespace
}  // namespace coffer::sim

namespace coffer::env::testing {
using SimBindings = ::testing::Types<coffer::sim::SimDriveFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sim, DriveContract, SimBindings);
}  // namespace coffer::env::testing
