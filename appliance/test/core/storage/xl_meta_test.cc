#include "coffer/core/storage/xl_meta.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_coder.h"

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
  v.headers = {{"cache-control", "no-cache"},
               {"content-encoding", "gzip"},
               {"x-amz-checksum-crc32", "AAAAAA=="}};
  v.tags = "project=apollo&team=ops%20core";
  v.meta_mod_time_ns = 1767225600000000099;
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
  EXPECT_EQ(back->versions[0].headers, meta.versions[0].headers);
  EXPECT_EQ(back->versions[0].tags, meta.versions[0].tags);
  EXPECT_EQ(back->versions[0].meta_mod_time_ns, meta.versions[0].meta_mod_time_ns);
  EXPECT_EQ(back->versions[0].parts, meta.versions[0].parts);
  EXPECT_TRUE(back->versions[1].headers.empty());
  EXPECT_TRUE(back->versions[1].tags.empty());
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

// Tags and headers are shared by every drive, so drives that disagree on them
// do not agree on the version (a tag update that missed a drive is healed).
TEST(XlMeta, SignatureCoversHeadersTagsAndMetaTime) {
  const ObjectVersion a = Sample().versions[0];
  ObjectVersion b = a;
  b.tags = "project=gemini";
  EXPECT_NE(VersionSignature(a), VersionSignature(b));
  b = a;
  b.headers["content-language"] = "en";
  EXPECT_NE(VersionSignature(a), VersionSignature(b));
  b = a;
  b.meta_mod_time_ns += 1;
  EXPECT_NE(VersionSignature(a), VersionSignature(b));
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Rewrites the header's format version and the trailing checksum, so a test
// reaches the body parser with a body of its choosing.
std::string Reseal(std::string bytes, std::uint16_t format) {
  bytes[4] = static_cast<char>(format & 0xff);
  bytes[5] = static_cast<char>(format >> 8);
  bytes.resize(bytes.size() - 8);
  const std::uint64_t sum = ShardChecksum(base::AsBytes(bytes));
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  return bytes;
}

// A format 1 file as the engine wrote it before tags existed (the fuzz seed
// fixtures/fuzz/xlmeta/one_object): a null version of 9000 bytes, one part,
// user metadata a=1, b=2.
const std::string kFormat1File = FromHex(
    "43584c4d0100e00000000100000000000000010000faed5172861828230000000000002000000030"
    "31323334353637383961626364656630313233343536373839616263646566180000006170706c69"
    "636174696f6e2f6f637465742d73747265616d020000000100000061010000003101000000620100"
    "0000320000000026000000642d30663165326433632d303030302d343030302d383030302d303030"
    "30303030303030303002020000100001010000000100000028230000000000002000000030313233"
    "343536373839616263646566303132333435363738396162636465660003000000002fbc2fb1ed10"
    "9678");

TEST(XlMeta, Format1FilesStillDecodeWithEmptyNewFields) {
  ASSERT_EQ(kFormat1File[4], '\1');
  auto meta = DecodeXlMeta(kFormat1File);
  ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
  ASSERT_EQ(meta->versions.size(), 1u);
  const ObjectVersion& v = meta->versions[0];
  EXPECT_EQ(v.version_id, "");
  EXPECT_EQ(v.kind, VersionKind::kObject);
  EXPECT_EQ(v.size_bytes, 9000u);
  EXPECT_EQ(v.etag, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(v.content_type, "application/octet-stream");
  EXPECT_EQ(v.user_metadata, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(v.data_dir, "d-0f1e2d3c-0000-4000-8000-000000000000");
  EXPECT_EQ(v.erasure, (ErasureMeta{2, 2, 1u << 20, 1, 3}));
  ASSERT_EQ(v.parts.size(), 1u);
  EXPECT_EQ(v.parts[0], (PartMeta{1, 9000, "0123456789abcdef0123456789abcdef"}));
  EXPECT_TRUE(v.headers.empty());
  EXPECT_TRUE(v.tags.empty());
  EXPECT_EQ(v.meta_mod_time_ns, 0);
  // The next write upgrades the file to the current format, losing nothing.
  const std::string upgraded = EncodeXlMeta(*meta);
  EXPECT_EQ(upgraded[4], static_cast<char>(kXlMetaFormatVersion));
  auto again = DecodeXlMeta(upgraded);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(VersionSignature(again->versions[0]), VersionSignature(v));
  EXPECT_EQ(EncodeXlMeta(*again), upgraded);
}

TEST(XlMeta, EveryTruncationOfAFormat1FileIsDataLoss) {
  for (std::size_t n = 0; n < kFormat1File.size(); ++n) {
    auto r = DecodeXlMeta(kFormat1File.substr(0, n));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code(), base::ErrorCode::kDataLoss);
  }
}

TEST(XlMeta, FormatMustMatchTheBody) {
  const std::string v2 = EncodeXlMeta(Sample());
  // A format 2 body under a format 1 header has trailing bytes per version.
  EXPECT_EQ(DecodeXlMeta(Reseal(v2, 1)).error().code(), base::ErrorCode::kDataLoss);
  // A format 1 body under a format 2 header runs out of bytes.
  EXPECT_EQ(DecodeXlMeta(Reseal(kFormat1File, 2)).error().code(), base::ErrorCode::kDataLoss);
  // Unknown formats, older or newer, are refused.
  EXPECT_EQ(DecodeXlMeta(Reseal(v2, 0)).error().code(), base::ErrorCode::kDataLoss);
  EXPECT_EQ(DecodeXlMeta(Reseal(v2, 3)).error().code(), base::ErrorCode::kDataLoss);
  EXPECT_TRUE(DecodeXlMeta(Reseal(v2, 2)).has_value());
}

TEST(XlMeta, HeadersMustBeInCanonicalOrder) {
  XlMeta meta;
  ObjectVersion v;
  v.headers = {{"a", "1"}, {"b", "2"}};
  meta.versions.push_back(v);
  std::string bytes = EncodeXlMeta(meta);
  // Swap the two one-byte keys in place: "b" then "a" is not canonical.
  const auto at_a = bytes.find(std::string("\1\0\0\0a", 5));
  const auto at_b = bytes.find(std::string("\1\0\0\0b", 5));
  ASSERT_NE(at_a, std::string::npos);
  ASSERT_NE(at_b, std::string::npos);
  bytes[at_a + 4] = 'b';
  bytes[at_b + 4] = 'a';
  EXPECT_EQ(DecodeXlMeta(Reseal(bytes, kXlMetaFormatVersion)).error().code(),
            base::ErrorCode::kDataLoss);
}

// Random truncations and byte edits behind a valid envelope (so the body
// parser is reached, as in storage_meta_fuzz): each decodes to something that
// re-encodes to the same bytes, or is kDataLoss; never a crash.
TEST(XlMeta, MutatedBodiesDecodeExactlyOrAreDataLoss) {
  std::mt19937_64 rng(7);
  for (const std::string& base : {EncodeXlMeta(Sample()), kFormat1File}) {
    const std::uint16_t format = static_cast<std::uint8_t>(base[4]);
    int decoded = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string body = base.substr(10, base.size() - 18);
      const int edits = static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !body.empty(); ++e) {
        body[rng() % body.size()] = static_cast<char>(rng() % 256);
      }
      if (rng() % 2 == 0) body.resize(rng() % (body.size() + 1));
      std::string file = base.substr(0, 6);
      for (int b = 0; b < 4; ++b)
        file.push_back(static_cast<char>((body.size() >> (8 * b)) & 0xff));
      file += body;
      file.append(8, '\0');
      file = Reseal(file, format);
      auto r = DecodeXlMeta(file);
      if (!r.has_value()) {
        ASSERT_EQ(r.error().code(), base::ErrorCode::kDataLoss);
        continue;
      }
      ++decoded;
      if (format == kXlMetaFormatVersion) {
        ASSERT_EQ(EncodeXlMeta(*r), file) << i;
      } else {
        auto again = DecodeXlMeta(EncodeXlMeta(*r));
        ASSERT_TRUE(again.has_value()) << i;
        ASSERT_EQ(EncodeXlMeta(*again), EncodeXlMeta(*r)) << i;
      }
    }
    // Edits inside strings keep the file valid: the check above did run.
    EXPECT_GT(decoded, 0);
  }
}

}  // namespace
}  // namespace coffer::core::storage
