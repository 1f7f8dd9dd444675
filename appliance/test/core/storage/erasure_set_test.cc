#include "coffer/core/storage/erasure_set.h"

#include <gtest/gtest.h>

#include "mem_env.h"

namespace coffer::core::storage {
namespace {

using testing::MemEnv;

std::string Bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

ErasureSetOptions Options(int drives) {
  ErasureSetOptions o;
  for (int i = 0; i < drives; ++i) o.drive_locations.push_back("d" + std::to_string(i));
  o.block_size_bytes = 4096;
  o.inline_threshold_bytes = 1024;
  o.min_part_size_bytes = 5000;
  return o;
}

class ErasureSetTest : public ::testing::Test {
 protected:
  void Open(int drives = 4) {
    set_.reset();
    auto s = ErasureSet::Open(env_, Options(drives));
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    set_ = std::move(s).value();
  }
  void SetUp() override {
    Open();
    ASSERT_TRUE(set_->MakeBucket("bkt1").has_value());
  }
  base::Result<ObjectInfo> Put(const std::string& key, const std::string& body) {
    StringSource src(body);
    return set_->PutObject("bkt1", key, src, PutOptions{});
  }
  base::Result<std::string> Get(const std::string& key, GetOptions o = {}) {
    StringSink sink;
    COFFER_RETURN_IF_ERROR(set_->GetObject("bkt1", key, o, sink));
    return sink.data();
  }

  MemEnv env_;
  std::unique_ptr<ErasureSet> set_;
};

TEST_F(ErasureSetTest, DefaultLayoutIsTwoPlusTwo) {
  EXPECT_EQ(set_->data_shards(), 2);
  EXPECT_EQ(set_->parity_shards(), 2);
  EXPECT_EQ(DefaultParityShards(8), 2);
  EXPECT_EQ(DefaultParityShards(16), 4);
}

TEST_F(ErasureSetTest, RoundTripsEverySizeAroundBoundaries) {
  for (std::size_t n : {0ul, 1ul, 1023ul, 1024ul, 1025ul, 4095ul, 4096ul, 4097ul, 20000ul}) {
    const std::string body = Bytes(n, static_cast<unsigned>(n));
    auto info = Put("k" + std::to_string(n), body);
    ASSERT_TRUE(info.has_value()) << info.error().ToString();
    EXPECT_EQ(info->size_bytes, n);
    auto got = Get("k" + std::to_string(n));
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(*got, body) << n;
  }
}

TEST_F(ErasureSetTest, EtagIsMd5OfContent) {
  auto info = Put("hello", "hello world");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->etag, "5eb63bbbe01eeed093cb22bb8f5acdc3");
}

TEST_F(ErasureSetTest, StatReturnsMetadataContentTypeAndEncryptionSlot) {
  PutOptions o;
  o.content_type = "image/png";
  o.user_metadata = {{"x-amz-meta-owner", "ops"}, {"x-amz-meta-a", "1"}};
  o.encryption = std::string("\0sealed-key", 11);
  o.size_bytes = 5000;
  const std::string body = Bytes(5000, 6);
  StringSource src(body);
  auto put = set_->PutObject("bkt1", "img", src, o);
  ASSERT_TRUE(put.has_value());
  env_.Advance(std::chrono::seconds(5));
  auto st = set_->StatObject("bkt1", "img", "");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->content_type, "image/png");
  EXPECT_EQ(st->user_metadata, o.user_metadata);
  EXPECT_EQ(st->encryption, o.encryption);
  EXPECT_EQ(st->size_bytes, 5000u);
  EXPECT_EQ(st->version_id, "null");
  EXPECT_EQ(st->mod_time, put->mod_time);
  EXPECT_EQ(st->mod_time, env_.Now() - std::chrono::seconds(5));
  EXPECT_EQ(st->part_count, 0u);
  StringSource wrong(body);
  o.size_bytes = 4999;
  EXPECT_EQ(set_->PutObject("bkt1", "img", wrong, o).error().code(),
            base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(*Get("img"), body);
  EXPECT_EQ(set_->StatObject("bkt1", "nope", "").error().code(), base::ErrorCode::kNotFound);
  EXPECT_EQ(set_->StatObject("nobkt", "img", "").error().code(), base::ErrorCode::kNotFound);
}

TEST_F(ErasureSetTest, RangesReturnExactSlices) {
  const std::string body = Bytes(10000, 7);
  ASSERT_TRUE(Put("r", body).has_value());
  for (auto [off, len] : {std::pair{0ul, 1ul}, std::pair{4095ul, 2ul}, std::pair{9999ul, 5ul},
                          std::pair{100ul, 8000ul}}) {
    GetOptions o;
    o.offset = off;
    o.length = len;
    auto got = Get("r", o);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, body.substr(off, len));
  }
  GetOptions beyond;
  beyond.offset = 10000;
  EXPECT_EQ(Get("r", beyond).error().code(), base::ErrorCode::kOutOfRange);
}

TEST_F(ErasureSetTest, ReadsSurviveParityLostDrivesAndFailBeyond) {
  const std::string body = Bytes(9000, 3);
  ASSERT_TRUE(Put("x", body).has_value());
  env_.Disk("d0")->offline = true;
  env_.Disk("d3")->offline = true;
  auto got = Get("x");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, body);
  env_.Disk("d1")->offline = true;
  auto lost = Get("x");
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().code(), base::ErrorCode::kUnavailable);
}

TEST_F(ErasureSetTest, WriteWithoutQuorumFailsAndLeavesOldObject) {
  ASSERT_TRUE(Put("q", "old").has_value());
  env_.Disk("d0")->offline = true;
  env_.Disk("d1")->offline = true;
  auto put = Put("q", Bytes(5000, 1));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code(), base::ErrorCode::kUnavailable);
  env_.Disk("d0")->offline = false;
  env_.Disk("d1")->offline = false;
  EXPECT_EQ(*Get("q"), "old");
}

TEST_F(ErasureSetTest, VersioningKeepsVersionsAndDeleteMarkers) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  auto v1 = Put("v", "one");
  env_.Advance(std::chrono::seconds(1));
  auto v2 = Put("v", "two");
  ASSERT_TRUE(v1.has_value() && v2.has_value());
  EXPECT_NE(v1->version_id, v2->version_id);
  EXPECT_EQ(*Get("v"), "two");
  GetOptions old;
  old.version_id = v1->version_id;
  EXPECT_EQ(*Get("v", old), "one");
  auto del = set_->DeleteObject("bkt1", "v", "");
  ASSERT_TRUE(del.has_value());
  EXPECT_TRUE(del->delete_marker);
  EXPECT_EQ(Get("v").error().code(), base::ErrorCode::kNotFound);
  auto versions = set_->ListObjectVersions("bkt1", {});
  ASSERT_TRUE(versions.has_value());
  ASSERT_EQ(versions->versions.size(), 3u);
  EXPECT_TRUE(versions->versions[0].delete_marker);
  EXPECT_TRUE(versions->versions[0].is_latest);
  ASSERT_TRUE(set_->DeleteObject("bkt1", "v", del->version_id).has_value());
  EXPECT_EQ(*Get("v"), "two");
}

TEST_F(ErasureSetTest, PrefixOfOnlyDeletedObjectsIsHidden) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  ASSERT_TRUE(Put("gone/a", "x").has_value());
  ASSERT_TRUE(Put("kept/b", "y").has_value());
  ASSERT_TRUE(set_->DeleteObject("bkt1", "gone/a", "").has_value());
  ListOptions o;
  o.delimiter = "/";
  auto r = set_->ListObjects("bkt1", o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"kept/"}));
}

TEST_F(ErasureSetTest, UnversionedDeleteRemovesObject) {
  ASSERT_TRUE(Put("gone", "x").has_value());
  ASSERT_TRUE(set_->DeleteObject("bkt1", "gone", "").has_value());
  EXPECT_EQ(Get("gone").error().code(), base::ErrorCode::kNotFound);
  EXPECT_TRUE(set_->ListObjects("bkt1", {})->objects.empty());
}

TEST_F(ErasureSetTest, ListsSortedWithPrefixDelimiterAndPages) {
  const std::vector<std::string> all_keys = {
      "b/2", "a", "b/1", "c/x/y", "c", "d", std::string(600, 'z')};
  for (const std::string& k : all_keys) {
    ASSERT_TRUE(Put(k, k).has_value());
  }
  ListOptions o;
  o.delimiter = "/";
  auto all = set_->ListObjects("bkt1", o);
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> keys;
  for (const auto& obj : all->objects) keys.push_back(obj.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "d", std::string(600, 'z')}));
  EXPECT_EQ(all->common_prefixes, (std::vector<std::string>{"b/", "c/"}));
  ListOptions page;
  page.max_keys = 2;
  std::vector<std::string> paged;
  for (int i = 0; i < 10; ++i) {
    auto r = set_->ListObjects("bkt1", page);
    ASSERT_TRUE(r.has_value());
    for (const auto& obj : r->objects) paged.push_back(obj.key);
    if (!r->is_truncated) break;
    page.marker = r->next_marker;
  }
  EXPECT_EQ(paged.size(), 7u);
  EXPECT_TRUE(std::is_sorted(paged.begin(), paged.end()));
  ListOptions pre;
  pre.prefix = "b/";
  EXPECT_EQ(set_->ListObjects("bkt1", pre)->objects.size(), 2u);
}

TEST_F(ErasureSetTest, MultipartJoinsPartsWithMd5OfMd5sEtag) {
  auto id = set_->NewMultipartUpload("bkt1", "mp", PutOptions{});
  ASSERT_TRUE(id.has_value());
  const std::string p1 = Bytes(6000, 1), p2 = Bytes(100, 2);
  StringSource s1(p1), s2(p2), s1b(p1);
  auto part2 = set_->PutObjectPart("bkt1", "mp", *id, 2, s2);
  auto part1 = set_->PutObjectPart("bkt1", "mp", *id, 1, s1);
  ASSERT_TRUE(part1.has_value() && part2.has_value());
  ASSERT_TRUE(set_->PutObjectPart("bkt1", "mp", *id, 1, s1b).has_value());
  auto parts = set_->ListParts("bkt1", "mp", *id);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(set_->ListMultipartUploads("bkt1", "")->size(), 1u);
  auto done =
      set_->CompleteMultipartUpload("bkt1", "mp", *id, {{1, part1->etag}, {2, part2->etag}});
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_TRUE(done->etag.ends_with("-2"));
  EXPECT_EQ(*Get("mp"), p1 + p2);
  GetOptions o;
  o.offset = 5990;
  o.length = 20;
  EXPECT_EQ(*Get("mp", o), (p1 + p2).substr(5990, 20));
  EXPECT_TRUE(set_->ListMultipartUploads("bkt1", "")->empty());
}

TEST_F(ErasureSetTest, HealRepairsUploadsInProgress) {
  auto id = set_->NewMultipartUpload("bkt1", "mp", PutOptions{});
  ASSERT_TRUE(id.has_value());
  const std::string p1 = Bytes(6000, 1), p2 = Bytes(3000, 2);
  StringSource s1(p1), s2(p2);
  auto part1 = set_->PutObjectPart("bkt1", "mp", *id, 1, s1);
  auto part2 = set_->PutObjectPart("bkt1", "mp", *id, 2, s2);
  ASSERT_TRUE(part1.has_value() && part2.has_value());
  std::erase_if(env_.Disk("d1")->files,
                [](const auto& kv) { return kv.first.find("/u/") != std::string::npos; });
  auto dry = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(dry.has_value());
  EXPECT_EQ(dry->healed, 1u);
  ASSERT_TRUE(set_->HealAll(HealOptions{}).has_value());
  EXPECT_EQ(set_->HealAll(HealOptions{true})->healthy, 1u);
  env_.Disk("d0")->offline = true;
  env_.Disk("d2")->offline = true;
  auto done =
      set_->CompleteMultipartUpload("bkt1", "mp", *id, {{1, part1->etag}, {2, part2->etag}});
  ASSERT_FALSE(done.has_value());  // Two drives offline: no write quorum on 2+2.
  env_.Disk("d0")->offline = false;
  env_.Disk("d3")->offline = true;
  env_.Disk("d2")->offline = false;
  done = set_->CompleteMultipartUpload("bkt1", "mp", *id, {{1, part1->etag}, {2, part2->etag}});
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  env_.Disk("d3")->offline = false;
  EXPECT_EQ(*Get("mp"), p1 + p2);
}

TEST_F(ErasureSetTest, MultipartRejectsSmallPartsAndWrongEtags) {
  auto id = set_->NewMultipartUpload("bkt1", "mp", PutOptions{});
  StringSource a("tiny"), b("tail");
  auto p1 = set_->PutObjectPart("bkt1", "mp", *id, 1, a);
  auto p2 = set_->PutObjectPart("bkt1", "mp", *id, 2, b);
  EXPECT_EQ(set_->CompleteMultipartUpload("bkt1", "mp", *id, {{1, p1->etag}, {2, p2->etag}})
                .error()
                .code(),
            base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(set_->CompleteMultipartUpload("bkt1", "mp", *id, {{2, "0000"}}).error().code(),
            base::ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(set_->AbortMultipartUpload("bkt1", "mp", *id).has_value());
  EXPECT_EQ(set_->ListParts("bkt1", "mp", *id).error().code(), base::ErrorCode::kNotFound);
}

TEST_F(ErasureSetTest, BucketsAreListedAndOnlyEmptyOnesDeleted) {
  ASSERT_TRUE(set_->MakeBucket("bkt2").has_value());
  EXPECT_EQ(set_->MakeBucket("bkt2").error().code(), base::ErrorCode::kAlreadyExists);
  EXPECT_EQ(set_->MakeBucket("Bad_Name").error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(set_->ListBuckets()->size(), 2u);
  ASSERT_TRUE(Put("x", "y").has_value());
  EXPECT_EQ(set_->DeleteBucket("bkt1").error().code(), base::ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(set_->DeleteBucket("bkt2").has_value());
  EXPECT_EQ(set_->GetBucketInfo("bkt2").error().code(), base::ErrorCode::kNotFound);
}

TEST_F(ErasureSetTest, WipedDriveIsAdoptedAndHealedOnOpen) {
  const std::string big = Bytes(20000, 9), small = Bytes(500, 4);
  ASSERT_TRUE(Put("big", big).has_value());
  ASSERT_TRUE(Put("small", small).has_value());
  env_.Disk("d2")->files.clear();
  Open();
  EXPECT_GE(env_.RunTasks(), 1);
  auto report = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->healthy, 2u);
  EXPECT_TRUE(report->bucket_actions.empty());
  env_.Disk("d0")->offline = true;
  env_.Disk("d1")->offline = true;
  EXPECT_EQ(*Get("big"), big);
  EXPECT_EQ(*Get("small"), small);
}

TEST_F(ErasureSetTest, ReadOfCorruptShardSchedulesHeal) {
  const std::string body = Bytes(9000, 5);
  ASSERT_TRUE(Put("c", body).has_value());
  for (auto& [path, content] : env_.Disk("d1")->files) {
    if (path.find("/part.1") != std::string::npos) content[3] ^= 0x10;
  }
  EXPECT_EQ(*Get("c"), body);
  EXPECT_EQ(set_->HealObject("bkt1", "c", HealOptions{true})->outcome, HealOutcome::kWouldHeal);
  EXPECT_EQ(env_.RunTasks(), 1);
  EXPECT_EQ(set_->HealObject("bkt1", "c", HealOptions{true})->outcome, HealOutcome::kHealthy);
}

TEST_F(ErasureSetTest, ReadsWithAnOfflineDriveScheduleNoHeal) {
  ASSERT_TRUE(Put("o", Bytes(9000, 5)).has_value());
  env_.Disk("d2")->offline = true;
  EXPECT_TRUE(Get("o").has_value());
  EXPECT_EQ(env_.RunTasks(), 0);
}

TEST_F(ErasureSetTest, SwappedDrivesAreOrderedByFormat) {
  const std::string body = Bytes(9000, 8);
  ASSERT_TRUE(Put("s", body).has_value());
  set_.reset();
  auto o = Options(4);
  std::swap(o.drive_locations[0], o.drive_locations[3]);
  auto s = ErasureSet::Open(env_, o);
  ASSERT_TRUE(s.has_value());
  StringSink sink;
  ASSERT_TRUE((*s)->GetObject("bkt1", "s", {}, sink).has_value());
  EXPECT_EQ(sink.data(), body);
  EXPECT_EQ((*s)->HealAll(HealOptions{true})->healthy, 1u);
}

TEST_F(ErasureSetTest, ForeignDriveIsRefused) {
  MemEnv other(7);
  auto o = Options(4);
  auto s = ErasureSet::Open(other, o);
  ASSERT_TRUE(s.has_value());
  env_.Disk("d3")->files = other.Disk("d3")->files;
  Open();
  bool foreign = false;
  for (const DriveStatus& d : set_->Drives()) foreign |= d.state == DriveState::kForeign;
  EXPECT_TRUE(foreign);
}

// A sink that reads the object again while the first read is streaming: two
// readers of one key share its lock instead of deadlocking.
TEST_F(ErasureSetTest, ConcurrentReadersOfOneKeyShareTheLock) {
  ASSERT_TRUE(Put("shared", Bytes(9000, 2)).has_value());
  class Nested final : public ObjectSink {
   public:
    explicit Nested(ErasureSet& set) : set_(set) {}
    base::Status Write(std::span<const std::byte>) override {
      if (done_) return base::Ok();
      done_ = true;
      return set_.StatObject("bkt1", "shared", "").has_value()
                 ? base::Status(base::Ok())
                 : base::Status(base::Internal("nested read failed"));
    }
    ErasureSet& set_;
    bool done_ = false;
  };
  Nested sink(*set_);
  EXPECT_TRUE(set_->GetObject("bkt1", "shared", {}, sink).has_value());
}

}  // namespace
}  // namespace coffer::core::storage
