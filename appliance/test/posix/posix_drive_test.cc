#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/posix/posix_env.h"

#include "../env/drive_contract.h"

namespace coffer::posix {
namespace {

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "coffer-drive-XXXXXX";
  COFFER_ASSERT(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

struct PosixDriveFactory {
  std::unique_ptr<env::Drive> Make() {
    auto d = OpenPosixDrive(MakeTempDir() + "/drive1");
    COFFER_ASSERT(d.has_value());
    return std::move(d).value();
  }
};

TEST(PosixDrive, CleansInterruptedWritesAtOpen) {
  const std::string root = MakeTempDir();
  ASSERT_TRUE(OpenPosixDrive(root).has_value());
  // A crash between write and rename leaves a temporary file behind.
  const std::string stray = root + "/.coffer.sys/tmp/4242-7";
  FILE* f = std::fopen(stray.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("torn", f);
  std::fclose(f);
  auto reopened = OpenPosixDrive(root);
  ASSERT_TRUE(reopened.has_value());
  auto names = (*reopened)->List(".coffer.sys/tmp");
  ASSERT_TRUE(names.has_value());
  EXPECT_TRUE(names->empty());
}

// An erasure set's drive folder that is missing is an unmounted disk: the
// drive refuses to open, and a drive whose folder vanishes later never makes
// it again for a write.
TEST(PosixDrive, KeepRootNeverMakesAMissingFolder) {
  const std::string parent = MakeTempDir();
  const std::string root = parent + "/drive1";
  auto missing = OpenPosixDrive(root, PosixDriveOptions{.create_root = false});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kUnavailable);
  struct stat st {};
  EXPECT_NE(::stat(root.c_str(), &st), 0);

  ASSERT_EQ(::mkdir(root.c_str(), 0750), 0);
  auto d = OpenPosixDrive(root, PosixDriveOptions{.create_root = false});
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE((*d)->WriteAtomic("a/b", base::AsBytes(std::string_view("x"))).has_value());
  std::filesystem::remove_all(root);
  auto write = (*d)->WriteAtomic("a/c", base::AsBytes(std::string_view("y")));
  EXPECT_FALSE(write.has_value());
  EXPECT_NE(::stat(root.c_str(), &st), 0);
}

TEST(PosixDrive, ReportsUsage) {
  auto d = OpenPosixDrive(MakeTempDir());
  ASSERT_TRUE(d.has_value());
  auto u = (*d)->Usage();
  ASSERT_TRUE(u.has_value());
  EXPECT_GT(u->total_bytes, 0u);
  EXPECT_LE(u->free_bytes, u->total_bytes);
}

}  // namespace
}  // namespace coffer::posix

namespace coffer::env::testing {
using PosixBindings = ::testing::Types<coffer::posix::PosixDriveFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Posix, DriveContract, PosixBindings);
}  // namespace coffer::env::testing
