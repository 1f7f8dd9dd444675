#include "coffer/core/storage/xl_meta.h"

#include <gtest/gtest.h>

namespace coffer::core::storage {
namespace {

XlMeta Sample() {
  XlMeta meta;
  ObjectVersion v;
  v.version_id = "2f1d4a8e-0000-4000-8000-000000000001";
  v.mod_time_ns = 1767225600000000001;
  v.size_bytes = 3 << 20;
  v.etag = "9e107d9d372bb6826bd81d3542a419d6";
  v.content_type = "text/plain";
  v.user_metadata = {{"color", "blue"}, {"owner", "ops"}};
  v.encryption = std::string("\0\1\2", 3);
  v.data_dir = "d-abc";
  v.erasure = ErasureMeta{2, 2, 1 << 20, 3, 1};
  v.parts = {PartMeta{1, 3 << 20, "9e107d9d372bb6826bd81d3542a419d6"}};
  meta.versions.push_back(v);
  ObjectVersion marker;
  marker.kind = VersionKind::kDeleteMarker;
  marker.mod_time_ns = 5;
  meta.versions.push_back(marker);
  ObjectVersion small;
  small.inlined = true;
  small.inline_shard = "shard bytes";
  meta.versions.push_back(small);
  return meta;
}

TEST(XlMeta, RoundTrips) {
  const XlMeta meta = Sample();
  const std::string bytes = EncodeXlMeta(meta);
  auto back = DecodeXlMeta(bytes);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  ASSERT_EQ(back->versions.size(), 3u);
  EXPECT_EQ(EncodeXlMeta(*back), bytes);
  EXPECT_EQ(back->versions[0].user_metadata, meta.versions[0].user_metadata);
  EXPECT_EQ(back->versions[0].encryption, meta.versions[0].encryption);
  EXPECT_EQ(back->versions[1].kind, VersionKind::kDeleteMarker);
  EXPECT_EQ(back->versions[2].inline_shard, "shard bytes");
}

TEST(XlMeta, EveryTruncationIsDataLoss) {
  const std::string bytes = EncodeXlMeta(Sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeXlMeta(bytes.substr(0, n));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code(), base::ErrorCode::kDataLoss);
  }
}

TEST(XlMeta, EveryBitFlipIsDataLoss) {
  const std::string bytes = EncodeXlMeta(Sample());
  for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string copy = bytes;
    copy[bit / 8] = static_cast<char>(copy[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(DecodeXlMeta(copy).has_value()) << bit;
  }
}

TEST(XlMeta, SignatureIgnoresPerDriveFields) {
  ObjectVersion a = Sample().versions[0];
  ObjectVersion b = a;
  b.erasure.shard_index = 3;
  b.inline_shard = "other";
  EXPECT_EQ(VersionSignature(a), VersionSignature(b));
  b.etag = "x";
  EXPECT_NE(VersionSignature(a), VersionSignature(b));
}

}  // namespace
}  // namespace coffer::core::storage
