#include "coffer/core/storage/erasure_set.h"

#include <map>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_coder.h"
#include "coffer/core/storage/xl_meta.h"

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

// A body source that must not be read.
class UntouchedSource final : public BodySource {
 public:
  base::Result<std::size_t> Read(std::span<std::byte>) override {
    ADD_FAILURE() << "the body was read";
    return std::size_t{0};
  }
};

// S3's size limits (scaled down through the options): a single PUT and a
// part at most max_put_size_bytes, refused before reading when the size is
// announced; an object at most max_object_size_bytes; parts but the last at
// least min_part_size_bytes. Nothing is left behind by a refused upload.
TEST_F(ErasureSetTest, SizeLimitsAreEnforced) {
  set_.reset();
  ErasureSetOptions o = Options(4);
  o.max_put_size_bytes = 12000;
  o.max_object_size_bytes = 20000;
  auto opened = ErasureSet::Open(env_, o);
  ASSERT_TRUE(opened.has_value());
  set_ = std::move(opened).value();
  ASSERT_TRUE(Put("fits", Bytes(12000, 1)).has_value());
  auto big = Put("big", Bytes(12001, 2));
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(big.error().message().starts_with("EntityTooLarge")) << big.error().message();
  EXPECT_EQ(Get("big").error().code(), base::ErrorCode::kNotFound);
  UntouchedSource untouched;
  PutOptions announced;
  announced.size_bytes = 12001;
  auto refused = set_->PutObject("bkt1", "announced", untouched, announced);
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().message().starts_with("EntityTooLarge"));

  auto id = set_->NewMultipartUpload("bkt1", "mp", PutOptions{});
  ASSERT_TRUE(id.has_value());
  const std::string too_big = Bytes(12001, 3), part = Bytes(8000, 4);
  StringSource s0(too_big);
  auto p0 = set_->PutObjectPart("bkt1", "mp", *id, 1, s0);
  ASSERT_FALSE(p0.has_value());
  EXPECT_TRUE(p0.error().message().starts_with("EntityTooLarge"));
  std::vector<CompletePart> parts;
  for (std::uint32_t n = 1; n <= 3; ++n) {
    StringSource src(part);
    auto p = set_->PutObjectPart("bkt1", "mp", *id, n, src);
    ASSERT_TRUE(p.has_value()) << p.error().ToString();
    parts.push_back({n, p->etag});
  }
  auto done = set_->CompleteMultipartUpload("bkt1", "mp", *id, parts);  // 24000 > 20000.
  ASSERT_FALSE(done.has_value());
  EXPECT_TRUE(done.error().message().starts_with("EntityTooLarge")) << done.error().message();
  parts.pop_back();  // 16000 fits.
  done = set_->CompleteMultipartUpload("bkt1", "mp", *id, parts);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(*Get("mp"), part + part);
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    for (const auto& [path, content] : env_.Disk(d)->files) {
      EXPECT_EQ(path.find(".coffer.sys/staging/"), std::string::npos) << path;
    }
  }
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

// --- Stored response headers, tags and part sizes (ObjectInfo) ---

PutOptions TaggedOptions(const std::string& tags) {
  PutOptions o;
  o.content_type = "text/plain";
  o.headers = {{"cache-control", "max-age=60"},
               {"content-disposition", "attachment; filename=\"a.txt\""},
               {"content-encoding", "gzip"},
               {"content-language", "en"},
               {"expires", "Thu, 01 Jan 2027 00:00:00 GMT"},
               {"x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}};
  o.tags = tags;
  return o;
}

// Every way of reading an object's info reports what the PUT stored.
void ExpectStored(const ObjectInfo& info, const PutOptions& o, const std::string& what) {
  EXPECT_EQ(info.headers, o.headers) << what;
  EXPECT_EQ(info.tags, o.tags) << what;
  EXPECT_EQ(info.content_type, o.content_type) << what;
}

TEST_F(ErasureSetTest, HeadersAndTagsRoundTripThroughPutStatGetAndListings) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  // Inlined and erasure-coded bodies keep their metadata the same way.
  for (const std::size_t n : {std::size_t{10}, std::size_t{20000}}) {
    const std::string key = "h" + std::to_string(n);
    const PutOptions o = TaggedOptions("k1=v1&k2=v%202");
    const std::string body = Bytes(n, 3);
    StringSource src(body);
    auto put = set_->PutObject("bkt1", key, src, o);
    ASSERT_TRUE(put.has_value()) << put.error().ToString();
    ExpectStored(*put, o, "put");
    EXPECT_EQ(put->part_count, 0u);
    EXPECT_TRUE(put->part_sizes.empty());
    auto st = set_->StatObject("bkt1", key, "");
    ASSERT_TRUE(st.has_value());
    ExpectStored(*st, o, "stat");
    EXPECT_TRUE(st->part_sizes.empty());
    auto st_v = set_->StatObject("bkt1", key, put->version_id);
    ASSERT_TRUE(st_v.has_value());
    ExpectStored(*st_v, o, "stat version");
    StringSink sink;
    auto got = set_->GetObject("bkt1", key, {}, sink);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(sink.data(), body);
    ExpectStored(*got, o, "get");
  }
  // A later version without tags or headers has none; the old one keeps its.
  ASSERT_TRUE(Put("h10", "plain").has_value());
  auto listed = set_->ListObjects("bkt1", {});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->objects.size(), 2u);
  EXPECT_TRUE(listed->objects[0].tags.empty());
  EXPECT_TRUE(listed->objects[0].headers.empty());
  ExpectStored(listed->objects[1], TaggedOptions("k1=v1&k2=v%202"), "list");
  auto versions = set_->ListObjectVersions("bkt1", {});
  ASSERT_TRUE(versions.has_value());
  ASSERT_EQ(versions->versions.size(), 3u);
  EXPECT_EQ(versions->versions[0].key, "h10");
  EXPECT_TRUE(versions->versions[0].tags.empty());
  ExpectStored(versions->versions[1], TaggedOptions("k1=v1&k2=v%202"), "versions h10 old");
  ExpectStored(versions->versions[2], TaggedOptions("k1=v1&k2=v%202"), "versions h20000");
}

TEST_F(ErasureSetTest, MultipartCarriesHeadersTagsAndPartSizes) {
  const PutOptions o = TaggedOptions("release=2026");
  auto id = set_->NewMultipartUpload("bkt1", "mp", o);
  ASSERT_TRUE(id.has_value());
  const std::string p1 = Bytes(6000, 1), p2 = Bytes(5500, 2), p3 = Bytes(7, 3);
  StringSource s1(p1), s2(p2), s3(p3);
  auto part1 = set_->PutObjectPart("bkt1", "mp", *id, 1, s1);
  auto part2 = set_->PutObjectPart("bkt1", "mp", *id, 2, s2);
  auto part3 = set_->PutObjectPart("bkt1", "mp", *id, 4, s3);
  ASSERT_TRUE(part1.has_value() && part2.has_value() && part3.has_value());
  auto done = set_->CompleteMultipartUpload("bkt1", "mp", *id,
                                            {{1, part1->etag}, {2, part2->etag}, {4, part3->etag}});
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  const std::vector<std::uint64_t> sizes = {6000, 5500, 7};
  ExpectStored(*done, o, "complete");
  EXPECT_EQ(done->part_count, 3u);
  EXPECT_EQ(done->part_sizes, sizes);
  auto st = set_->StatObject("bkt1", "mp", "");
  ASSERT_TRUE(st.has_value());
  ExpectStored(*st, o, "stat");
  EXPECT_EQ(st->part_sizes, sizes);
  StringSink sink;
  auto got = set_->GetObject("bkt1", "mp", {}, sink);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(sink.data(), p1 + p2 + p3);
  EXPECT_EQ(got->part_sizes, sizes);
  auto listed = set_->ListObjects("bkt1", {});
  ASSERT_EQ(listed->objects.size(), 1u);
  ExpectStored(listed->objects[0], o, "list");
  EXPECT_EQ(listed->objects[0].part_sizes, sizes);
  auto versions = set_->ListObjectVersions("bkt1", {});
  ASSERT_EQ(versions->versions.size(), 1u);
  EXPECT_EQ(versions->versions[0].part_sizes, sizes);
  EXPECT_EQ(versions->versions[0].tags, o.tags);
}

TEST_F(ErasureSetTest, PutObjectTagsReplacesTagsOfLatestOrOfAGivenVersion) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  const std::string small = "old small body", big = Bytes(20000, 4);
  const PutOptions o = TaggedOptions("a=1");
  StringSource s1(small), s2(big);
  auto v1 = set_->PutObject("bkt1", "t", s1, o);
  env_.Advance(std::chrono::seconds(1));
  auto v2 = set_->PutObject("bkt1", "t", s2, o);
  ASSERT_TRUE(v1.has_value() && v2.has_value());
  env_.Advance(std::chrono::seconds(1));

  auto latest = set_->PutObjectTags("bkt1", "t", "", "b=2");
  ASSERT_TRUE(latest.has_value()) << latest.error().ToString();
  EXPECT_EQ(latest->tags, "b=2");
  EXPECT_EQ(latest->version_id, v2->version_id);
  EXPECT_TRUE(latest->is_latest);
  auto older = set_->PutObjectTags("bkt1", "t", v1->version_id, "c=3&d=");
  ASSERT_TRUE(older.has_value()) << older.error().ToString();
  EXPECT_EQ(older->tags, "c=3&d=");
  EXPECT_FALSE(older->is_latest);

  // Only the tags changed: data, ETag, time, headers and the version order
  // are those of the PUTs.
  for (const auto& [put, tags, body] :
       {std::tuple{*v2, "b=2", big}, std::tuple{*v1, "c=3&d=", small}}) {
    auto st = set_->StatObject("bkt1", "t", put.version_id);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->tags, tags);
    EXPECT_EQ(st->etag, put.etag);
    EXPECT_EQ(st->mod_time, put.mod_time);
    EXPECT_EQ(st->headers, o.headers);
    GetOptions g;
    g.version_id = put.version_id;
    EXPECT_EQ(*Get("t", g), body);
  }
  auto versions = set_->ListObjectVersions("bkt1", {});
  ASSERT_EQ(versions->versions.size(), 2u);
  EXPECT_EQ(versions->versions[0].version_id, v2->version_id);
  EXPECT_EQ(versions->versions[0].tags, "b=2");
  EXPECT_EQ(versions->versions[1].tags, "c=3&d=");
  // Clearing is replacing with the empty set.
  ASSERT_TRUE(set_->PutObjectTags("bkt1", "t", "", "").has_value());
  EXPECT_TRUE(set_->StatObject("bkt1", "t", "")->tags.empty());
  // Every copy of the metadata agrees: nothing for a heal to do.
  EXPECT_EQ(set_->HealObject("bkt1", "t", HealOptions{true})->outcome, HealOutcome::kHealthy);
}

TEST_F(ErasureSetTest, PutObjectTagsRefusesDeleteMarkersAndMissingTargets) {
  ASSERT_TRUE(Put("plain", "x").has_value());
  // Unversioned: the null version, by "" or by "null".
  EXPECT_EQ(set_->PutObjectTags("bkt1", "plain", "", "a=1")->tags, "a=1");
  EXPECT_EQ(set_->PutObjectTags("bkt1", "plain", "null", "a=2")->version_id, "null");
  EXPECT_EQ(set_->StatObject("bkt1", "plain", "")->tags, "a=2");
  EXPECT_EQ(set_->PutObjectTags("bkt1", "nope", "", "a=1").error().code(),
            base::ErrorCode::kNotFound);
  EXPECT_EQ(set_->PutObjectTags("nobkt", "plain", "", "a=1").error().code(),
            base::ErrorCode::kNotFound);
  EXPECT_EQ(set_->PutObjectTags("bkt1", "plain", "2f1d4a8e-0000-4000-8000-000000000001", "a=1")
                .error()
                .code(),
            base::ErrorCode::kNotFound);
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  auto del = set_->DeleteObject("bkt1", "plain", "");
  ASSERT_TRUE(del.has_value() && del->delete_marker);
  auto latest = set_->PutObjectTags("bkt1", "plain", "", "a=3");
  EXPECT_EQ(latest.error().code(), base::ErrorCode::kNotFound);
  EXPECT_TRUE(latest.error().message().starts_with("delete marker")) << latest.error().ToString();
  EXPECT_EQ(set_->PutObjectTags("bkt1", "plain", del->version_id, "a=3").error().code(),
            base::ErrorCode::kInvalidArgument);
  // The version under the marker can still be tagged by its id.
  EXPECT_EQ(set_->PutObjectTags("bkt1", "plain", "null", "a=4")->tags, "a=4");
  EXPECT_EQ(set_->StatObject("bkt1", "plain", "null")->tags, "a=4");
}

TEST_F(ErasureSetTest, PutObjectTagsWithADriveOfflineMeetsQuorumAndHeals) {
  for (const std::size_t n : {std::size_t{100}, std::size_t{20000}}) {
    const std::string key = "off" + std::to_string(n), body = Bytes(n, 7);
    StringSource src(body);
    ASSERT_TRUE(set_->PutObject("bkt1", key, src, TaggedOptions("a=1")).has_value());
    env_.Disk("d0")->offline = true;
    auto tagged = set_->PutObjectTags("bkt1", key, "", "a=2");
    ASSERT_TRUE(tagged.has_value()) << tagged.error().ToString();
    env_.Disk("d0")->offline = false;
    // d0's stale copy alone is below read quorum: the new tags win.
    EXPECT_EQ(set_->StatObject("bkt1", key, "")->tags, "a=2");
    auto heal = set_->HealObject("bkt1", key, HealOptions{});
    ASSERT_TRUE(heal.has_value());
    EXPECT_EQ(heal->outcome, HealOutcome::kHealed) << n;
    // After the heal d0 carries the new tags and its shard: it can stand in
    // for two other drives.
    env_.Disk("d1")->offline = true;
    env_.Disk("d2")->offline = true;
    StringSink sink;
    auto got = set_->GetObject("bkt1", key, {}, sink);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(sink.data(), body);
    EXPECT_EQ(got->tags, "a=2");
    env_.Disk("d1")->offline = false;
    env_.Disk("d2")->offline = false;
  }
}

TEST_F(ErasureSetTest, PutObjectTagsWithoutWriteQuorumChangesNothing) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  const std::string body = Bytes(9000, 8);
  StringSource src(body);
  auto put = set_->PutObject("bkt1", "q", src, TaggedOptions("a=1"));
  ASSERT_TRUE(put.has_value());
  std::vector<std::map<std::string, std::string, std::less<>>> before;
  for (const char* d : {"d0", "d1", "d2", "d3"}) before.push_back(env_.Disk(d)->files);
  // Two of four drives: enough to read (2), not to write (3).
  env_.Disk("d0")->offline = true;
  env_.Disk("d1")->offline = true;
  for (const std::string& version : {std::string(), put->version_id}) {
    auto tagged = set_->PutObjectTags("bkt1", "q", version, "a=2");
    ASSERT_FALSE(tagged.has_value());
    EXPECT_EQ(tagged.error().code(), base::ErrorCode::kUnavailable);
  }
  env_.Disk("d0")->offline = false;
  env_.Disk("d1")->offline = false;
  int i = 0;
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    EXPECT_EQ(env_.Disk(d)->files, before[static_cast<std::size_t>(i++)]) << d;
  }
  EXPECT_EQ(set_->StatObject("bkt1", "q", "")->tags, "a=1");
  EXPECT_EQ(*Get("q"), body);
}

// A crash part-way through a tag update can leave two read quorums that hold
// one version with different tags; the later update wins everywhere, and heal
// makes every drive agree on it.
TEST_F(ErasureSetTest, TornTagUpdateResolvesToTheNewerTags) {
  ASSERT_TRUE(Put("torn", "small body").has_value());
  const auto d2_before = env_.Disk("d2")->files;
  env_.Disk("d3")->offline = true;
  ASSERT_TRUE(set_->PutObjectTags("bkt1", "torn", "", "new=1").has_value());
  env_.Disk("d3")->offline = false;
  env_.Disk("d2")->files = d2_before;  // d2 "crashed" before its write.
  EXPECT_EQ(set_->StatObject("bkt1", "torn", "")->tags, "new=1");
  EXPECT_EQ(set_->ListObjects("bkt1", {})->objects.at(0).tags, "new=1");
  EXPECT_EQ(set_->HealObject("bkt1", "torn", HealOptions{})->outcome, HealOutcome::kHealed);
  env_.Disk("d0")->offline = true;
  env_.Disk("d1")->offline = true;
  auto st = set_->StatObject("bkt1", "torn", "");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->tags, "new=1");
  EXPECT_EQ(*Get("torn"), "small body");
}

// Encodes `meta` as format 1 (before headers and tags), as an older release
// wrote it: the layout of xl_meta.h without the format 2 fields.
std::string EncodeFormat1(const XlMeta& meta) {
  std::string body;
  auto fixed = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) body.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto str = [&](const std::string& s) {
    fixed(s.size(), 4);
    body += s;
  };
  fixed(meta.versions.size(), 4);
  for (const ObjectVersion& v : meta.versions) {
    EXPECT_TRUE(v.headers.empty() && v.tags.empty() && v.meta_mod_time_ns == 0);
    str(v.version_id);
    fixed(static_cast<std::uint8_t>(v.kind), 1);
    fixed(static_cast<std::uint64_t>(v.mod_time_ns), 8);
    fixed(v.size_bytes, 8);
    str(v.etag);
    str(v.content_type);
    fixed(v.user_metadata.size(), 4);
    for (const auto& [k, val] : v.user_metadata) {
      str(k);
      str(val);
    }
    str(v.encryption);
    str(v.data_dir);
    fixed(v.erasure.data_shards, 1);
    fixed(v.erasure.parity_shards, 1);
    fixed(v.erasure.block_size_bytes, 4);
    fixed(v.erasure.distribution_start, 1);
    fixed(v.parts.size(), 4);
    for (const PartMeta& p : v.parts) {
      fixed(p.number, 4);
      fixed(p.size_bytes, 8);
      str(p.etag);
    }
    fixed(v.inlined ? 1 : 0, 1);
    fixed(v.erasure.shard_index, 1);
    str(v.inline_shard);
  }
  std::string file = "CXLM";
  file += std::string("\1\0", 2);
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
  file += body;
  const std::uint64_t sum = ShardChecksum(base::AsBytes(file));
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  return file;
}

// Objects written before tags existed (format 1 xl.meta on every drive) read
// as before, are not "damage" to heal, and take tags, which upgrades them.
TEST_F(ErasureSetTest, Format1ObjectsReadHealCleanAndTakeTags) {
  const std::string small = "written by an older release", big = Bytes(20000, 11);
  ASSERT_TRUE(Put("old-small", small).has_value());
  ASSERT_TRUE(Put("old-big", big).has_value());
  int converted = 0;
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    for (auto& [path, content] : env_.Disk(d)->files) {
      if (!path.ends_with("/xl.meta")) continue;
      auto meta = DecodeXlMeta(content);
      ASSERT_TRUE(meta.has_value());
      content = EncodeFormat1(*meta);
      ASSERT_EQ(content[4], '\1');
      ++converted;
    }
  }
  ASSERT_EQ(converted, 8);
  EXPECT_EQ(*Get("old-small"), small);
  EXPECT_EQ(*Get("old-big"), big);
  EXPECT_TRUE(set_->StatObject("bkt1", "old-big", "")->tags.empty());
  auto report = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->healthy, 2u);
  for (const char* key : {"old-small", "old-big"}) {
    auto tagged = set_->PutObjectTags("bkt1", key, "", "upgraded=yes");
    ASSERT_TRUE(tagged.has_value()) << tagged.error().ToString();
  }
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    for (const auto& [path, content] : env_.Disk(d)->files) {
      if (!path.ends_with("/xl.meta")) continue;
      EXPECT_EQ(content[4], '\2') << d << " " << path;
    }
  }
  env_.Disk("d0")->offline = true;
  env_.Disk("d3")->offline = true;
  EXPECT_EQ(*Get("old-small"), small);
  EXPECT_EQ(*Get("old-big"), big);
  EXPECT_EQ(set_->StatObject("bkt1", "old-small", "")->tags, "upgraded=yes");
}

}  // namespace
}  // namespace coffer::core::storage
