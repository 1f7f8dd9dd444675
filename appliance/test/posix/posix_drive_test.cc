#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
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
