#pragma once
// The Drive contract as a typed test suite, run against every Drive binding
// (POSIX here, the simulator's in-memory drive in sim/test/) so that both
// behave the same. A binding instantiates it with a fixture type that has
// `std::unique_ptr<coffer::env::Drive> Make()`.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/env/drive.h"

namespace coffer::env::testing {

template <typename Factory>
class DriveContract : public ::testing::Test {
 protected:
  void SetUp() override { drive_ = factory_.Make(); }
  Factory factory_;
  std::unique_ptr<Drive> drive_;
};

TYPED_TEST_SUITE_P(DriveContract);

TYPED_TEST_P(DriveContract, WriteThenReadBack) {
  Drive& d = *this->drive_;
  ASSERT_TRUE(d.WriteAtomic("b/o/xl.meta", base::AsBytes("hello")).has_value());
  auto got = d.ReadAll("b/o/xl.meta");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, "hello");
  auto info = d.Stat("b/o/xl.meta");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size_bytes, 5u);
  EXPECT_FALSE(info->is_dir);
}

TYPED_TEST_P(DriveContract, OverwriteReplacesWholeContent) {
  Drive& d = *this->drive_;
  ASSERT_TRUE(d.WriteAtomic("f", base::AsBytes("long old content")).has_value());
  ASSERT_TRUE(d.WriteAtomic("f", base::AsBytes("new")).has_value());
  EXPECT_EQ(*d.ReadAll("f"), "new");
}

TYPED_TEST_P(DriveContract, ReadAtReadsARange) {
  Drive& d = *this->drive_;
  ASSERT_TRUE(d.WriteAtomic("f", base::AsBytes("0123456789")).has_value());
  std::string buf(4, '\0');
  auto n = d.ReadAt("f", 3, base::AsWritableBytes(buf));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(buf, "3456");
  n = d.ReadAt("f", 8, base::AsWritableBytes(buf));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2u);
}

TYPED_TEST_P(DriveContract, MissingFileIsNotFound) {
  Drive& d = *this->drive_;
  auto got = d.ReadAll("nope");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), base::ErrorCode::kNotFound);
  auto st = d.Stat("nope");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), base::ErrorCode::kNotFound);
}

TYPED_TEST_P(DriveContract, StreamingWriterIsInvisibleUntilCommit) {
  Drive& d = *this->drive_;
  auto w = d.CreateWriter("big/part.1");
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->Append(base::AsBytes("abc")).has_value());
  ASSERT_TRUE((*w)->Append(base::AsBytes("def")).has_value());
  EXPECT_FALSE(d.ReadAll("big/part.1").has_value());
  ASSERT_TRUE((*w)->Commit().has_value());
  EXPECT_EQ(*d.ReadAll("big/part.1"), "abcdef");
}

TYPED_TEST_P(DriveContract, AbandonedWriterLeavesNothing) {
  Drive& d = *this->drive_;
  ASSERT_TRUE(d.WriteAtomic("keep", base::AsBytes("old")).has_value());
  {
    auto w = d.CreateWriter("keep");
    ASSERT_TRUE(w.has_value());
    ASSERT_TRUE((*w)->Append(base::AsBytes("partial")).has_value());
  }
  EXPECT_EQ(*d.ReadAll("keep"), "old");
}

TYPED_TEST_P(DriveContract, ListIsSortedAndMarksDirectories) {
  Drive& d = *this->drive_;
  ASSERT_TRUE(d.WriteAtomic("dir/b", base::AsBytes("1")).has_value());
  ASSERT_TRUE(d.WriteAtomic("dir/a", base::AsBytes("2")).has_value());
  ASSERT_TRUE(d.WriteAtomic("dir/sub/c", base::AsBytes("3")).has_value());
  auto names = d.List("dir");
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "sub/"}));
  auto missing = d.List("nodir");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kNotFound);
}

TYPED_TEST_P(DriveContract, RenameMovesAndRemoveDeletes) {
  Drive& d = *this->drive_;
  ASSERT_TRUE(d.WriteAtomic("tmp/x", base::AsBytes("v")).has_value());
  ASSERT_TRUE(d.Rename("tmp/x", "final/y").has_value());
  EXPECT_FALSE(d.ReadAll("tmp/x").has_value());
  EXPECT_EQ(*d.ReadAll("final/y"), "v");
  ASSERT_TRUE(d.Remove("final/y").has_value());
  EXPECT_FALSE(d.Stat("final/y").has_value());
  ASSERT_TRUE(d.WriteAtomic("tree/a/b", base::AsBytes("v")).has_value());
  ASSERT_TRUE(d.RemoveAll("tree").has_value());
  EXPECT_FALSE(d.Stat("tree").has_value());
  EXPECT_TRUE(d.RemoveAll("tree").has_value());
}

TYPED_TEST_P(DriveContract, RefusesPathsThatEscape) {
  Drive& d = *this->drive_;
  auto r = d.WriteAtomic("../escape", base::AsBytes("x"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(d.ReadAll("/etc/passwd").has_value());
}

REGISTER_TYPED_TEST_SUITE_P(DriveContract, WriteThenReadBack, OverwriteReplacesWholeContent,
                            ReadAtReadsARange, MissingFileIsNotFound,
                            StreamingWriterIsInvisibleUntilCommit, AbandonedWriterLeavesNothing,
                            ListIsSortedAndMarksDirectories, RenameMovesAndRemoveDeletes,
                            RefusesPathsThatEscape);

}  // namespace coffer::env::testing
