#include "coffer/core/storage/erasure_coder.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace coffer::core::storage {
namespace {

std::vector<std::byte> Pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((i * 131 + seed * 7) & 0xff);
  return out;
}

TEST(ErasureCoder, RejectsBadLayouts) {
  EXPECT_FALSE(ErasureCoder::Create(0, 2).has_value());
  EXPECT_FALSE(ErasureCoder::Create(2, 0).has_value());
  EXPECT_FALSE(ErasureCoder::Create(30, 3).has_value());
  EXPECT_TRUE(ErasureCoder::Create(12, 4).has_value());
}

TEST(ErasureCoder, ShardSizeRoundsUp) {
  auto coder = ErasureCoder::Create(3, 2);
  ASSERT_TRUE(coder.has_value());
  EXPECT_EQ(coder->ShardSize(9), 3u);
  EXPECT_EQ(coder->ShardSize(10), 4u);
  EXPECT_EQ(coder->ShardSize(1), 1u);
}

// Every loss pattern of up to `parity` shards is rebuilt to the exact bytes.
TEST(ErasureCoder, RebuildsEveryLossPatternUpToParity) {
  for (auto [k, m] : {std::pair{2, 2}, std::pair{4, 2}, std::pair{6, 2}, std::pair{5, 3}}) {
    auto coder = ErasureCoder::Create(k, m);
    ASSERT_TRUE(coder.has_value());
    const int n = k + m;
    const std::size_t len = 1000;
    std::vector<std::vector<std::byte>> original(static_cast<std::size_t>(n));
    for (int i = 0; i < k; ++i) original[static_cast<std::size_t>(i)] = Pattern(len, i);
    for (int i = k; i < n; ++i) original[static_cast<std::size_t>(i)].resize(len);
    std::vector<std::byte*> ptrs;
    for (auto& s : original) ptrs.push_back(s.data());
    coder->Encode(len, std::span(ptrs).first(k), std::span(ptrs).subspan(k));
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
      if (__builtin_popcount(mask) > m) continue;
      auto shards = original;
      std::vector<std::byte*> p;
      std::vector<bool> present_v;
      for (int i = 0; i < n; ++i) {
        const bool lost = (mask >> i) & 1;
        if (lost) std::fill(shards[i].begin(), shards[i].end(), std::byte{0x5a});
        p.push_back(shards[static_cast<std::size_t>(i)].data());
        present_v.push_back(!lost);
      }
      ASSERT_TRUE(coder->Reconstruct(len, p, present_v).has_value());
      EXPECT_EQ(shards, original) << k << "+" << m << " mask " << mask;
    }
  }
}

TEST(ErasureCoder, SlicedChecksumsEqualWholeShardChecksums) {
  auto coder = ErasureCoder::Create(4, 2);
  ASSERT_TRUE(coder.has_value());
  for (std::size_t len : {1ul, 100ul, 16384ul, 16385ul, 70000ul}) {
    std::vector<std::vector<std::byte>> shards(6);
    std::vector<std::byte*> p;
    for (int i = 0; i < 6; ++i) {
      shards[i] = Pattern(len, i);
      p.push_back(shards[i].data());
    }
    std::vector<std::uint64_t> sums(6);
    coder->EncodeWithChecksums(len, p, sums);
    auto copy = shards;
    std::vector<std::byte*> q;
    for (auto& s : copy) q.push_back(s.data());
    coder->Encode(len, std::span(q).first(4), std::span(q).subspan(4));
    EXPECT_EQ(copy, shards) << len;
    for (int i = 0; i < 6; ++i) EXPECT_EQ(sums[i], ShardChecksum(shards[i])) << len << " " << i;
  }
}

TEST(ErasureCoder, ParityPlusOneLossIsDataLoss) {
  auto coder = ErasureCoder::Create(2, 2);
  ASSERT_TRUE(coder.has_value());
  std::vector<std::byte> a(16), b(16), c(16), d(16);
  std::vector<std::byte*> p{a.data(), b.data(), c.data(), d.data()};
  const std::vector<bool> present = {true, false, false, false};
  auto status = coder->Reconstruct(16, p, present);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), base::ErrorCode::kDataLoss);
}

TEST(ShardChecksum, DetectsEverySingleBitFlip) {
  auto data = Pattern(256, 3);
  const std::uint64_t sum = ShardChecksum(data);
  for (std::size_t bit = 0; bit < data.size() * 8; ++bit) {
    data[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    EXPECT_NE(ShardChecksum(data), sum) << bit;
    data[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
  }
}

}  // namespace
}  // namespace coffer::core::storage
