#include "coffer/state/store.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::state {
namespace {

using testing::TempDir;

TEST(Store, ReopeningRunsNoMigrationAndKeepsTheFile) {
  TempDir dir;
  std::string path = dir.Path("iam.db");
  { ASSERT_TRUE(Store::Open(path, {}).has_value()); }
  std::string bytes = testing::ReadAll(path);
  {
    auto store = Store::Open(path, {});
    ASSERT_TRUE(store.has_value());
    EXPECT_EQ((*store)->schema_version(), 1);
  }
  EXPECT_EQ(testing::ReadAll(path), bytes);
}

TEST(Store, RefusesASchemaFromANewerCoffer) {
  TempDir dir;
  std::string path = dir.Path("iam.db");
  {
    auto store = *Store::Open(path, {});
#if defined(COFFER_TESTING)
    ASSERT_TRUE(store->ExecForTest("PRAGMA user_version = 99;").has_value());
#endif
  }
  base::Result<std::unique_ptr<Store>> store = Store::Open(path, {});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), base::ErrorCode::kFailedPrecondition);
}

TEST(Store, MissingFileWithoutCreateIsAnError) {
  TempDir dir;
  StoreOptions options;
  options.create_if_missing = false;
  EXPECT_FALSE(Store::Open(dir.Path("nope.db"), options).has_value());
  EXPECT_FALSE(std::filesystem::exists(dir.Path("nope.db")));
}

TEST(Store, UnknownVfsIsAnError) {
  TempDir dir;
  StoreOptions options;
  options.vfs_name = "no-such-vfs";
  EXPECT_FALSE(Store::Open(dir.Path("iam.db"), options).has_value());
}

TEST(Store, FailedAttemptIsDegradedAndKeepsTheAppliedRevision) {
  TempDir dir;
  auto store = *Store::Open(dir.Path("iam.db"), {});
  Revision rev;
  rev.id = "deadbeef";
  base::WallTime at(std::chrono::seconds(42));
  ASSERT_TRUE(store->RecordFailedAttempt(rev, at, "InvalidConfig", "main.toml:1:1: x").has_value());
  ReconcileStatus status = *store->ReadStatus();
  EXPECT_EQ(status.condition, Condition::kDegraded);
  EXPECT_EQ(status.reason, "InvalidConfig");
  EXPECT_EQ(status.message, "main.toml:1:1: x");
  EXPECT_EQ(status.last_attempted_revision, "deadbeef");
  EXPECT_EQ(status.last_attempted_at, at);
  EXPECT_TRUE(status.last_applied.id.empty());
}

TEST(Store, ForeignKeysAreEnforced) {
  TempDir dir;
  auto store = *Store::Open(dir.Path("iam.db"), {});
#if defined(COFFER_TESTING)
  base::Status orphan =
      store->ExecForTest("INSERT INTO user_policies VALUES ('ghost', 'readonly');");
  EXPECT_FALSE(orphan.has_value());
#endif
}

}  // namespace
}  // namespace coffer::state
