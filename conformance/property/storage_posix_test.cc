// The storage engine on real POSIX drives (folders in a temporary directory):
// round trips, a drive folder replaced by an empty one, bit rot in a real
// shard file, a missing drive folder (offline, never made) against an empty
// one (adopted), and leftovers of interrupted writes cleaned at open.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "coffer/core/storage/erasure_set.h"
#include "coffer/posix/posix_env.h"

namespace coffer::core::storage {
namespace {

namespace fs = std::filesystem;

class StoragePosix : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "coffer-storage-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    for (int i = 0; i < 4; ++i)
      options_.drive_locations.push_back((root_ / ("d" + std::to_string(i))).string());
    for (const auto& d : options_.drive_locations) fs::create_directories(d);
    options_.block_size_bytes = 64 * 1024;
    Open();
  }
  void TearDown() override {
    set_.reset();
    fs::remove_all(root_);
  }
  void Open() {
    set_.reset();
    auto s = ErasureSet::Open(env_, options_);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    set_ = std::move(s).value();
  }
  std::string Get(const std::string& key) {
    StringSink sink;
    auto r = set_->GetObject("bkt1", key, {}, sink);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return sink.data();
  }

  boost::asio::io_context io_;
  posix::PosixEnv env_{io_, env::LogLevel::kWarn};
  fs::path root_;
  ErasureSetOptions options_;
  std::unique_ptr<ErasureSet> set_;
};

std::string Body(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919) >> 3);
  return s;
}

TEST_F(StoragePosix, RoundTripsAndSurvivesAReplacedDrive) {
  ASSERT_TRUE(set_->MakeBucket("bkt1").has_value());
  const std::string big = Body(1 << 20), small = Body(1000);
  StringSource a(big), b(small);
  ASSERT_TRUE(set_->PutObject("bkt1", "dir/big", a, PutOptions{}).has_value());
  ASSERT_TRUE(set_->PutObject("bkt1", "small", b, PutOptions{}).has_value());
  set_.reset();
  fs::remove_all(options_.drive_locations[1]);
  fs::create_directories(options_.drive_locations[1]);
  Open();
  io_.run();  // The background heal of the adopted drive.
  io_.restart();
  auto check = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->healthy, 2u);
  fs::remove_all(options_.drive_locations[0]);
  fs::remove_all(options_.drive_locations[2]);
  EXPECT_EQ(Get("dir/big"), big);
  EXPECT_EQ(Get("small"), small);
}

TEST_F(StoragePosix, BitRotInAShardFileIsRepaired) {
  ASSERT_TRUE(set_->MakeBucket("bkt1").has_value());
  const std::string big = Body(300000);
  StringSource a(big);
  ASSERT_TRUE(set_->PutObject("bkt1", "rot", a, PutOptions{}).has_value());
  int flipped = 0;
  for (const auto& e : fs::recursive_directory_iterator(options_.drive_locations[3])) {
    if (e.path().filename() != "part.1") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
    ++flipped;
  }
  ASSERT_EQ(flipped, 1);
  auto report = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->healed, 1u);  // Dry run: would heal.
  EXPECT_EQ(Get("rot"), big);
  ASSERT_TRUE(set_->HealAll(HealOptions{}).has_value());
  EXPECT_EQ(set_->HealAll(HealOptions{true})->healthy, 1u);
}

// A missing drive folder is an unmounted disk: offline, never made, never
// formatted; the set serves from the others. Only an existing empty folder is
// a replaced disk, adopted and healed.
TEST_F(StoragePosix, MissingDriveFolderIsOfflineAndAnEmptyOneIsAdopted) {
  ASSERT_TRUE(set_->MakeBucket("bkt1").has_value());
  const std::string big = Body(200000);
  StringSource a(big);
  ASSERT_TRUE(set_->PutObject("bkt1", "a/big", a, PutOptions{}).has_value());
  set_.reset();
  const std::string gone = options_.drive_locations[2];
  fs::remove_all(gone);
  Open();
  io_.run();
  io_.restart();
  bool reported = false;
  for (const DriveStatus& d : set_->Drives()) {
    if (d.location != gone) continue;
    EXPECT_EQ(d.state, DriveState::kMissing);
    reported = true;
  }
  EXPECT_TRUE(reported);
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_EQ(Get("a/big"), big);
  StringSource b(big);
  ASSERT_TRUE(set_->PutObject("bkt1", "b/new", b, PutOptions{}).has_value());
  auto report = set_->HealAll(HealOptions{});
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(fs::exists(gone));

  // The operator mounts a new, empty disk there.
  set_.reset();
  fs::create_directories(gone);
  Open();
  io_.run();  // The background heal of the adopted drive.
  io_.restart();
  bool adopted = false;
  for (const DriveStatus& d : set_->Drives()) {
    if (d.location == gone) adopted = d.state == DriveState::kReplaced;
  }
  EXPECT_TRUE(adopted);
  EXPECT_TRUE(fs::exists(fs::path(gone) / ".coffer.sys/format"));
  auto check = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->healthy, 2u);
  EXPECT_EQ(check->healed, 0u);
  // Two other drives gone: the adopted one carries its shards.
  fs::remove_all(options_.drive_locations[0]);
  fs::remove_all(options_.drive_locations[1]);
  EXPECT_EQ(Get("a/big"), big);
  EXPECT_EQ(Get("b/new"), big);
}

TEST_F(StoragePosix, StagingLeftoversAreRemovedAtOpen) {
  const fs::path stray = fs::path(options_.drive_locations[0]) / ".coffer.sys/staging/x/part.1";
  fs::create_directories(stray.parent_path());
  std::ofstream(stray) << "half";
  Open();
  EXPECT_FALSE(fs::exists(stray));
}

}  // namespace
}  // namespace coffer::core::storage
