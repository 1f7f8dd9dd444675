// Listing (issue 5): ListObjects and ListObjectVersions against a model (a
// sorted set of live keys), their edge cases, the work a listing does (it
// follows what is returned, not the bucket's size), quorum, and the upgrade
// of format 1 drives to the folder-per-segment key layout.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_coder.h"
#include "coffer/core/storage/erasure_set.h"

#include "mem_env.h"

namespace coffer::core::storage {
namespace {

using testing::MemEnv;

ErasureSetOptions Options() {
  ErasureSetOptions o;
  for (int i = 0; i < 4; ++i) o.drive_locations.push_back("d" + std::to_string(i));
  o.block_size_bytes = 4096;
  o.inline_threshold_bytes = 1024;
  return o;
}

// S3's listing over a sorted set of live keys: the reference semantics.
ListResult ModelList(const std::set<std::string>& keys, const ListOptions& o) {
  ListResult out;
  std::string last;
  std::uint32_t count = 0;
  for (const std::string& key : keys) {
    if (!key.starts_with(o.prefix) || key <= o.marker) continue;
    std::string cp;
    if (!o.delimiter.empty()) {
      const std::size_t at = key.find(o.delimiter, o.prefix.size());
      if (at != std::string::npos) cp = key.substr(0, at + o.delimiter.size());
    }
    if (!cp.empty() && (cp == last || o.marker.starts_with(cp))) continue;
    if (count == o.max_keys) {
      out.is_truncated = true;
      break;
    }
    if (cp.empty()) {
      ObjectInfo info;
      info.key = key;
      out.objects.push_back(info);
      out.next_marker = key;
    } else {
      out.common_prefixes.push_back(cp);
      out.next_marker = cp;
      last = cp;
    }
    ++count;
  }
  if (!out.is_truncated) out.next_marker.clear();
  return out;
}

std::vector<std::string> Keys(const ListResult& r) {
  std::vector<std::string> out;
  for (const auto& o : r.objects) out.push_back(o.key);
  return out;
}

class StorageListingTest : public ::testing::Test {
 protected:
  void Open() {
    set_.reset();
    auto s = ErasureSet::Open(env_, Options());
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    set_ = std::move(s).value();
  }
  void SetUp() override {
    Open();
    ASSERT_TRUE(set_->MakeBucket("bkt1").has_value());
  }
  void Put(const std::string& key) {
    StringSource src(key);
    auto r = set_->PutObject("bkt1", key, src, PutOptions{});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    live_.insert(key);
  }
  void Delete(const std::string& key) {
    ASSERT_TRUE(set_->DeleteObject("bkt1", key, "").has_value());
    live_.erase(key);
  }
  void ExpectSameAsModel(const ListOptions& o) {
    auto got = set_->ListObjects("bkt1", o);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    const ListResult want = ModelList(live_, o);
    const std::string what = "prefix=" + o.prefix + " delimiter=" + o.delimiter +
                             " marker=" + o.marker + " max=" + std::to_string(o.max_keys);
    EXPECT_EQ(Keys(*got), Keys(want)) << what;
    EXPECT_EQ(got->common_prefixes, want.common_prefixes) << what;
    EXPECT_EQ(got->is_truncated, want.is_truncated) << what;
    EXPECT_EQ(got->next_marker, want.next_marker) << what;
  }
  void ResetCounters() {
    for (const char* d : {"d0", "d1", "d2", "d3"}) {
      env_.Disk(d)->lists = 0;
      env_.Disk(d)->reads = 0;
    }
  }
  std::uint64_t Lists() {
    std::uint64_t n = 0;
    for (const char* d : {"d0", "d1", "d2", "d3"}) n += env_.Disk(d)->lists;
    return n;
  }
  std::uint64_t Reads() {
    std::uint64_t n = 0;
    for (const char* d : {"d0", "d1", "d2", "d3"}) n += env_.Disk(d)->reads;
    return n;
  }

  MemEnv env_;
  std::unique_ptr<ErasureSet> set_;
  std::set<std::string> live_;
};

TEST_F(StorageListingTest, EdgeCasesMatchTheModel) {
  for (const std::string& k :
       {std::string("a"), std::string("a/"), std::string("a/b"), std::string("a//b"),
        std::string("a/b/c"), std::string("a-b"), std::string("a0"), std::string("ab/"),
        std::string("b"), std::string("b/x/"), std::string("b/x/y"), std::string("/lead"),
        std::string("c.d-e"), std::string(150, 'z') + "/tail", std::string(250, 'y'),
        std::string(99, 'w') + "/" + std::string(10, 'v'), std::string("\xff\x01/\xfe")}) {
    Put(k);
  }
  const std::vector<std::string> prefixes = {"", "a", "a/", "a/b", "b/x/", "z", "zz", "q", "\xff"};
  const std::vector<std::string> delimiters = {"", "/", "-", "b", "//", "/c"};
  const std::vector<std::string> markers = {"", "a", "a/", "a/b", "a/a", "b/x/", "b/x/y", "c", "~"};
  for (const auto& prefix : prefixes) {
    for (const auto& delimiter : delimiters) {
      for (const auto& marker : markers) {
        for (std::uint32_t max : {0u, 1u, 2u, 1000u}) {
          ListOptions o;
          o.prefix = prefix;
          o.delimiter = delimiter;
          o.marker = marker;
          o.max_keys = max;
          ExpectSameAsModel(o);
        }
      }
    }
  }
}

TEST_F(StorageListingTest, RandomBucketsMatchTheModelAndPagesJoinUp) {
  std::uint32_t x = 12345;
  auto next = [&](std::uint32_t n) {
    x = x * 1103515245u + 12345u;
    return (x >> 8) % n;
  };
  const std::string alphabet = "ab/-0.";
  auto key = [&] {
    std::string k;
    const std::uint32_t len = next(10) == 0 ? 95 + next(120) : 1 + next(8);
    for (std::uint32_t i = 0; i < len; ++i) k.push_back(alphabet[next(alphabet.size())]);
    return k;
  };
  auto random_options = [&] {
    ListOptions o;
    if (next(2) == 0) o.prefix = key().substr(0, next(4));
    const std::uint32_t d = next(4);
    o.delimiter = d == 0 ? "" : d == 1 ? "/" : d == 2 ? "-" : "b/";
    if (next(3) == 0) o.marker = key();
    o.max_keys = 1 + next(6);
    return o;
  };
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 40; ++i) Put(key());
    for (int i = 0; i < 10 && !live_.empty(); ++i) {
      auto it = live_.begin();
      std::advance(it, next(static_cast<std::uint32_t>(live_.size())));
      Delete(*it);
    }
    for (int q = 0; q < 30; ++q) ExpectSameAsModel(random_options());
    // Paging with next_marker returns what one unlimited listing returns.
    for (int q = 0; q < 5; ++q) {
      ListOptions o = random_options();
      o.marker.clear();
      ListOptions whole = o;
      whole.max_keys = 100000;
      const ListResult want = ModelList(live_, whole);
      std::vector<std::string> keys, prefixes;
      for (int page = 0; page < 1000; ++page) {
        auto r = set_->ListObjects("bkt1", o);
        ASSERT_TRUE(r.has_value());
        for (const auto& obj : r->objects) keys.push_back(obj.key);
        for (const auto& cp : r->common_prefixes) prefixes.push_back(cp);
        if (!r->is_truncated) break;
        o.marker = r->next_marker;
      }
      EXPECT_EQ(keys, Keys(want));
      EXPECT_EQ(prefixes, want.common_prefixes);
    }
  }
}

TEST_F(StorageListingTest, DeleteMarkersHideKeysAndEmptyPrefixes) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  for (const char* k : {"p/1", "p/2", "q/1", "r"}) Put(k);
  Delete("p/1");
  Delete("q/1");
  Delete("r");
  ListOptions o;
  o.delimiter = "/";
  ExpectSameAsModel(o);
  o.delimiter.clear();
  ExpectSameAsModel(o);
  // Versions still list every key, delete markers included.
  auto v = set_->ListObjectVersions("bkt1", ListVersionsOptions{});
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->versions.size(), 7u);
  ListVersionsOptions vd;
  vd.delimiter = "/";
  v = set_->ListObjectVersions("bkt1", vd);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->common_prefixes, (std::vector<std::string>{"p/", "q/"}));
  EXPECT_EQ(v->versions.size(), 2u);  // r: the marker and the object.
}

TEST_F(StorageListingTest, VersionPagesJoinUp) {
  ASSERT_TRUE(set_->SetBucketVersioning("bkt1", VersioningState::kEnabled).has_value());
  for (int round = 0; round < 3; ++round) {
    for (const char* k : {"a", "a/b", "b", "c/d/e", "c/d/f"}) Put(k);
  }
  auto all = set_->ListObjectVersions("bkt1", ListVersionsOptions{});
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->versions.size(), 15u);
  ListVersionsOptions o;
  o.max_keys = 2;
  std::vector<std::string> paged;
  for (int page = 0; page < 100; ++page) {
    auto r = set_->ListObjectVersions("bkt1", o);
    ASSERT_TRUE(r.has_value());
    for (const auto& v : r->versions) paged.push_back(v.key + "@" + v.version_id);
    if (!r->is_truncated) break;
    o.key_marker = r->next_key_marker;
    o.version_id_marker = r->next_version_id_marker;
  }
  std::vector<std::string> want;
  for (const auto& v : all->versions) want.push_back(v.key + "@" + v.version_id);
  EXPECT_EQ(paged, want);
}

// The work of a listing follows what it returns: 10 keys out of 1,000, or
// 10 common prefixes, cost a few folder listings and one metadata read per
// returned entry, not one per key in the bucket.
TEST_F(StorageListingTest, WorkFollowsWhatIsReturned) {
  char key[32];
  for (int p = 0; p < 10; ++p) {
    for (int k = 0; k < 100; ++k) {
      std::snprintf(key, sizeof key, "p%02d/k%03d", p, k);
      StringSource src("x");
      ASSERT_TRUE(set_->PutObject("bkt1", key, src, PutOptions{}).has_value());
    }
  }
  ResetCounters();
  ListOptions o;
  o.max_keys = 10;
  auto r = set_->ListObjects("bkt1", o);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->objects.size(), 10u);
  EXPECT_TRUE(r->is_truncated);
  EXPECT_LE(Lists(), 4u * 2);         // The bucket folder and p00/ on 4 drives.
  EXPECT_LE(Reads(), 4u * (1 + 11));  // bucket.meta and 11 keys' xl.meta.

  ResetCounters();
  o.marker = "p07/k050";
  r = set_->ListObjects("bkt1", o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->objects.front().key, "p07/k051");
  EXPECT_LE(Lists(), 4u * 2);
  EXPECT_LE(Reads(), 4u * (1 + 11));

  ResetCounters();
  ListOptions d;
  d.delimiter = "/";
  r = set_->ListObjects("bkt1", d);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->common_prefixes.size(), 10u);
  EXPECT_LE(Lists(), 4u * 11);        // Each prefix's folder, not its keys.
  EXPECT_LE(Reads(), 4u * (1 + 10));  // One live key per prefix.

  ResetCounters();
  ListOptions one;
  one.prefix = "p03/";
  r = set_->ListObjects("bkt1", one);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->objects.size(), 100u);
  EXPECT_LE(Lists(), 4u * 2);
  EXPECT_LE(Reads(), 4u * (1 + 100));
}

TEST_F(StorageListingTest, ListingNeedsAReadQuorumOfDrives) {
  for (const char* k : {"a/1", "a/2", "b"}) Put(k);
  env_.Disk("d1")->offline = true;
  env_.Disk("d2")->offline = true;
  ListOptions o;
  ExpectSameAsModel(o);
  o.delimiter = "/";
  ExpectSameAsModel(o);
  env_.Disk("d3")->offline = true;
  auto r = set_->ListObjects("bkt1", ListOptions{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kUnavailable);
}

TEST_F(StorageListingTest, DeletingPrunesEmptyFoldersButKeepsSiblings) {
  Put("x/y/z");
  Put("x/w");
  Delete("x/y/z");
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    for (const auto& [path, content] : env_.Disk(d)->files) {
      EXPECT_EQ(path.find("/792f/"), std::string::npos) << path;  // "y/" is gone.
    }
  }
  ExpectSameAsModel(ListOptions{});
  ListOptions o;
  o.delimiter = "/";
  o.prefix = "x/";
  ExpectSameAsModel(o);
}

// Drives formatted by an older release (format 1: keys cut every 100 bytes
// only) are moved to the folder-per-segment layout when the set opens.
TEST_F(StorageListingTest, Format1DrivesAreMigratedOnOpen) {
  const std::vector<std::string> keys = {
      "a/b/c", "a/b", "x", "dir/", std::string(120, 'k') + "/e", std::string(230, 'm')};
  for (const auto& k : keys) Put(k);
  {
    const std::string body(20000, 'B');
    StringSource big(body);
    ASSERT_TRUE(set_->PutObject("bkt1", "a/big", big, PutOptions{}).has_value());
    live_.insert("a/big");
  }
  set_.reset();
  const std::string root = "buckets/bkt1/o/";
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    auto disk = env_.Disk(d);
    std::map<std::string, std::string, std::less<>> files;
    for (auto& [path, content] : disk->files) {
      if (!path.starts_with(root)) {
        files[path] = content;
        continue;
      }
      // Concatenate the hex folders, then cut every 200 characters.
      std::string rest = path.substr(root.size()), hex, tail;
      while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string part = rest.substr(0, slash);
        if (part == "xl.meta" || part.starts_with("d-")) {
          tail = rest;
          break;
        }
        hex += part;
        rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
      }
      std::string old = root;
      for (std::size_t i = 0; i < hex.size(); i += 200) old += hex.substr(i, 200) + "/";
      files[old + tail] = content;
    }
    disk->files = std::move(files);
    std::string& format = disk->files[".coffer.sys/format"];
    ASSERT_TRUE(format.starts_with("coffer-format 2\n"));
    std::string body = "coffer-format 1\n" + format.substr(16, format.find("crc ") - 16);
    format = body + "crc " + std::to_string(ShardChecksum(base::AsBytes(body))) + "\n";
  }
  // The old layout of "a/b/c" is one folder.
  ASSERT_TRUE(env_.Disk("d0")->files.count(root + "612f622f63/xl.meta"));
  Open();
  for (const char* d : {"d0", "d1", "d2", "d3"}) {
    auto disk = env_.Disk(d);
    EXPECT_TRUE(disk->files.at(".coffer.sys/format").starts_with("coffer-format 2\n"));
    EXPECT_TRUE(disk->files.count(root + "612f/622f/63/xl.meta")) << d;
    EXPECT_FALSE(disk->files.count(root + "612f622f63/xl.meta")) << d;
  }
  ExpectSameAsModel(ListOptions{});
  ListOptions o;
  o.delimiter = "/";
  ExpectSameAsModel(o);
  for (const auto& k : keys) {
    StringSink sink;
    ASSERT_TRUE(set_->GetObject("bkt1", k, {}, sink).has_value()) << k;
    EXPECT_EQ(sink.data(), k);
  }
  StringSink sink;
  ASSERT_TRUE(set_->GetObject("bkt1", "a/big", {}, sink).has_value());
  EXPECT_EQ(sink.data(), std::string(20000, 'B'));
  auto report = set_->HealAll(HealOptions{true});
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->healthy, keys.size() + 1);
}

}  // namespace
}  // namespace coffer::core::storage
