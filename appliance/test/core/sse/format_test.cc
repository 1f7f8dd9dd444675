#include "coffer/core/sse/format.h"

#include <gtest/gtest.h>

#include "coffer/core/storage/object_layer.h"

namespace coffer::core::sse {
namespace {

constexpr std::uint64_t kP = kPackagePlaintextBytes;

TEST(Format, CiphertextSizeAddsOverheadPerPackage) {
  EXPECT_EQ(CiphertextSize(0), kPackageOverheadBytes);
  EXPECT_EQ(CiphertextSize(1), 1 + kPackageOverheadBytes);
  EXPECT_EQ(CiphertextSize(kP), kPackageBytes);
  EXPECT_EQ(CiphertextSize(kP + 1), kPackageBytes + 1 + kPackageOverheadBytes);
  EXPECT_EQ(CiphertextSize(10 * kP), 10 * kPackageBytes);
}

TEST(Format, PlaintextSizeInvertsCiphertextSize) {
  for (std::uint64_t n :
       std::initializer_list<std::uint64_t>{0, 1, 100, kP - 1, kP, kP + 1, 3 * kP, 3 * kP + 7}) {
    auto back = PlaintextSize(CiphertextSize(n));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, n);
  }
}

TEST(Format, PlaintextSizeRejectsSizesNoStreamHas) {
  EXPECT_EQ(PlaintextSize(0).error().code(), base::ErrorCode::kDataLoss);
  EXPECT_EQ(PlaintextSize(kPackageOverheadBytes - 1).error().code(), base::ErrorCode::kDataLoss);
  // A full package followed by an empty one is never written.
  EXPECT_FALSE(PlaintextSize(kPackageBytes + kPackageOverheadBytes).has_value());
  // Cut inside the overhead of a second package.
  EXPECT_FALSE(PlaintextSize(kPackageBytes + 5).has_value());
}

TEST(Format, RangeTouchesOnlyItsPackages) {
  auto layout = ObjectLayout::Single(CiphertextSize(5 * kP + 10));
  ASSERT_TRUE(layout.has_value());
  auto plan = PlanRange(*layout, kP + 5, 10);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ciphertext_offset, kPackageBytes);
  EXPECT_EQ(plan->ciphertext_length, kPackageBytes);
  EXPECT_EQ(plan->plaintext_offset, kP + 5);
  EXPECT_EQ(plan->plaintext_length, 10u);
  // Across a package boundary: two packages.
  plan = PlanRange(*layout, kP - 1, 2);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ciphertext_offset, 0u);
  EXPECT_EQ(plan->ciphertext_length, 2 * kPackageBytes);
  // The tail: the short last package.
  plan = PlanRange(*layout, 5 * kP + 3, std::nullopt);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ciphertext_offset, 5 * kPackageBytes);
  EXPECT_EQ(plan->ciphertext_length, 10 + kPackageOverheadBytes);
  EXPECT_EQ(plan->plaintext_length, 7u);
}

TEST(Format, RangeBeyondTheEndIsOutOfRange) {
  auto layout = ObjectLayout::Single(CiphertextSize(100));
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(PlanRange(*layout, 100, std::nullopt).error().code(), base::ErrorCode::kOutOfRange);
  auto clamped = PlanRange(*layout, 90, 1000);
  ASSERT_TRUE(clamped.has_value());
  EXPECT_EQ(clamped->plaintext_length, 10u);
}

TEST(Format, EmptyObjectPlansItsEmptyPackage) {
  auto layout = ObjectLayout::Single(CiphertextSize(0));
  ASSERT_TRUE(layout.has_value());
  auto plan = PlanRange(*layout, 0, std::nullopt);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ciphertext_length, kPackageOverheadBytes);
  EXPECT_EQ(plan->plaintext_length, 0u);
}

TEST(Format, MultipartLayoutFromObjectInfo) {
  storage::ObjectInfo info;
  info.part_sizes = {CiphertextSize(5 * kP), CiphertextSize(3)};
  info.part_numbers = {2, 7};
  info.size_bytes = info.part_sizes[0] + info.part_sizes[1];
  auto layout = ObjectLayout::FromObjectInfo(info);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->plaintext_bytes(), 5 * kP + 3);
  ASSERT_EQ(layout->streams().size(), 2u);
  EXPECT_EQ(layout->streams()[1].part_number, 7u);
  EXPECT_EQ(layout->streams()[1].ciphertext_offset, 5 * kPackageBytes);
  auto plan = PlanRange(*layout, 5 * kP - 1, 2);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ciphertext_offset, 4 * kPackageBytes);
  EXPECT_EQ(plan->ciphertext_length, kPackageBytes + 3 + kPackageOverheadBytes);

  info.part_numbers = {7, 2};
  EXPECT_FALSE(ObjectLayout::FromObjectInfo(info).has_value());
  info.part_numbers = {2};
  EXPECT_EQ(ObjectLayout::FromObjectInfo(info).error().code(), base::ErrorCode::kDataLoss);
}

TEST(Format, PreferredAlgorithmIsStable) {
  EXPECT_EQ(PreferredAlgorithm(), PreferredAlgorithm());
  EXPECT_NE(AlgorithmName(PreferredAlgorithm()), "unknown");
}

}  // namespace
}  // namespace coffer::core::sse
