// The listing handlers (listing.cc) through the whole request core: V1, V2,
// versions and multipart uploads, their markers, limits and URL encoding.

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/core/storage/object_layer.h"

#include "harness.h"

namespace coffer::core::s3 {
namespace {

using testing::Response;
using testing::S3Harness;

// Percent-encodes a query value (everything but unreserved characters).
std::string Enc(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class ListingTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.MakeBucket("bkt"); }
  void Put(std::string_view key, std::string_view data = "data", std::string_view bucket = "bkt") {
    storage::StringSource body(data);
    auto r = h_.objects().PutObject(bucket, key, body, {});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
  std::vector<std::string> Keys(int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "dir%d/key-%02d", i % 3, i);
      keys.emplace_back(name);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  S3Harness h_;
};

TEST_F(ListingTest, V1ListsContentsAndCommonPrefixes) {
  Put("a", "hello");
  Put("b/1");
  Put("b/2");
  Put("c");
  const Response r = h_.Get("/bkt?delimiter=%2F");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(testing::XmlTexts(r.body, "Key"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(testing::XmlTexts(r.body, "Prefix"), (std::vector<std::string>{"", "b/"}));
  EXPECT_EQ(r.XmlText("Name"), "bkt");
  EXPECT_EQ(r.XmlText("Delimiter"), "/");
  EXPECT_EQ(r.XmlText("MaxKeys"), "1000");
  EXPECT_EQ(r.XmlText("IsTruncated"), "false");
  EXPECT_EQ(r.XmlText("ETag"), "&quot;5d41402abc4b2a76b9719d911017c592&quot;");
  EXPECT_EQ(r.XmlText("Size"), "5");
  EXPECT_EQ(r.XmlText("StorageClass"), "STANDARD");
  EXPECT_EQ(r.XmlText("DisplayName"), "coffer");
  EXPECT_TRUE(testing::IsIso8601Millis(r.XmlText("LastModified")));
  EXPECT_EQ(r.body.find("<NextMarker>"), std::string::npos);

  const Response prefixed = h_.Get("/bkt?prefix=b%2F");
  EXPECT_EQ(testing::XmlTexts(prefixed.body, "Key"), (std::vector<std::string>{"b/1", "b/2"}));
}

TEST_F(ListingTest, V1PaginationVisitsEveryKeyOnce) {
  const auto keys = Keys(23);
  for (const auto& k : keys) Put(k);
  std::vector<std::string> seen;
  std::string marker;
  for (int page = 0; page < 20; ++page) {
    const Response r = h_.Get("/bkt?max-keys=5&marker=" + Enc(marker));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.XmlText("Marker"), marker);
    const auto got = testing::XmlTexts(r.body, "Key");
    EXPECT_LE(got.size(), 5u);
    seen.insert(seen.end(), got.begin(), got.end());
    if (r.XmlText("IsTruncated") == "false") break;
    ASSERT_FALSE(got.empty());
    marker = got.back();  // No delimiter: no NextMarker, continue from the last key.
    EXPECT_EQ(r.body.find("<NextMarker>"), std::string::npos);
  }
  EXPECT_EQ(seen, keys);
}

TEST_F(ListingTest, V1PaginationWithDelimiterUsesNextMarker) {
  for (const auto& k : {"a", "b/1", "b/2", "b/3", "c", "d/x/1", "d/y", "e"}) Put(k);
  std::vector<std::string> seen;
  std::string marker;
  int pages = 0;
  for (; pages < 20; ++pages) {
    const Response r = h_.Get("/bkt?max-keys=2&delimiter=%2F&marker=" + Enc(marker));
    ASSERT_EQ(r.status, 200u) << r.body;
    for (const auto& k : testing::XmlTexts(r.body, "Key")) seen.push_back(k);
    for (const auto& p : testing::XmlTexts(r.body, "Prefix")) {
      if (!p.empty()) seen.push_back(p);
    }
    if (r.XmlText("IsTruncated") == "false") break;
    marker = r.XmlText("NextMarker");
    ASSERT_FALSE(marker.empty()) << r.body;
  }
  EXPECT_EQ(pages, 2);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b/", "c", "d/", "e"}));
}

TEST_F(ListingTest, V2PaginationVisitsEveryKeyOnceWithOpaqueTokens) {
  const auto keys = Keys(17);
  for (const auto& k : keys) Put(k);
  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 20; ++page) {
    std::string target = "/bkt?list-type=2&max-keys=4";
    if (!token.empty()) target += "&continuation-token=" + Enc(token);
    const Response r = h_.Get(target);
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto got = testing::XmlTexts(r.body, "Key");
    EXPECT_EQ(r.XmlText("KeyCount"), std::to_string(got.size()));
    EXPECT_EQ(r.XmlText("ContinuationToken"), token);
    EXPECT_EQ(r.body.find("<Owner>"), std::string::npos);  // Only with fetch-owner.
    seen.insert(seen.end(), got.begin(), got.end());
    if (r.XmlText("IsTruncated") == "false") {
      EXPECT_EQ(r.body.find("<NextContinuationToken>"), std::string::npos);
      break;
    }
    token = r.XmlText("NextContinuationToken");
    ASSERT_FALSE(token.empty());
    // Opaque: the marker is not visible as such.
    EXPECT_EQ(token.find("key-"), std::string::npos);
  }
  EXPECT_EQ(seen, keys);
}

TEST_F(ListingTest, V2StartAfterFetchOwnerAndKeyCountWithPrefixes) {
  for (const auto& k : {"a", "b/1", "b/2", "c", "d"}) Put(k);
  const Response r = h_.Get("/bkt?list-type=2&start-after=a&delimiter=%2F&fetch-owner=true");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(testing::XmlTexts(r.body, "Key"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(r.XmlText("StartAfter"), "a");
  EXPECT_EQ(r.XmlText("KeyCount"), "3");  // c, d and the prefix b/.
  EXPECT_EQ(testing::XmlTexts(r.body, "Owner").size(), 2u);

  const Response bad = h_.Get("/bkt?list-type=2&continuation-token=not-a-token");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.Code(), "InvalidArgument");
}

TEST_F(ListingTest, EncodingTypeUrlEncodesKeysWithSpacesAndUnicode) {
  const std::string key = "dir one/f\xC3\xBC r+&.txt";  // "dir one/für+&.txt" with a space.
  Put(key);
  Put("plain");
  const Response v1 = h_.Get("/bkt?encoding-type=url&prefix=" + Enc("dir one/"));
  ASSERT_EQ(v1.status, 200u) << v1.body;
  EXPECT_EQ(v1.XmlText("EncodingType"), "url");
  EXPECT_EQ(v1.XmlText("Key"), "dir%20one/f%C3%BC%20r%2B%26.txt");
  EXPECT_EQ(v1.XmlText("Prefix"), "dir%20one/");

  const Response v2 = h_.Get("/bkt?list-type=2&encoding-type=url&delimiter=%20");
  ASSERT_EQ(v2.status, 200u) << v2.body;
  EXPECT_EQ(testing::XmlTexts(v2.body, "Prefix"), (std::vector<std::string>{"", "dir%20"}));
  EXPECT_EQ(v2.XmlText("Delimiter"), "%20");

  const Response plain = h_.Get("/bkt?prefix=" + Enc("dir one/"));
  EXPECT_EQ(plain.XmlText("Key"), "dir one/f\xC3\xBC r+&amp;.txt");

  EXPECT_EQ(h_.Get("/bkt?encoding-type=base64").Code(), "InvalidArgument");
}

TEST_F(ListingTest, MaxKeysMustBeANonNegativeNumber) {
  Put("a");
  for (const char* bad : {"-1", "abc", "", "1.5", "+3"}) {
    const Response r = h_.Get("/bkt?max-keys=" + Enc(bad));
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.Code(), "InvalidArgument") << bad;
    EXPECT_EQ(h_.Get("/bkt?list-type=2&max-keys=" + Enc(bad)).Code(), "InvalidArgument");
    EXPECT_EQ(h_.Get("/bkt?versions&max-keys=" + Enc(bad)).Code(), "InvalidArgument");
  }
  const Response zero = h_.Get("/bkt?max-keys=0");
  ASSERT_EQ(zero.status, 200u) << zero.body;
  EXPECT_TRUE(testing::XmlTexts(zero.body, "Key").empty());
  EXPECT_EQ(zero.XmlText("MaxKeys"), "0");
  const Response big = h_.Get("/bkt?max-keys=5000");
  EXPECT_EQ(big.XmlText("MaxKeys"), "1000");
  EXPECT_EQ(testing::XmlTexts(big.body, "Key").size(), 1u);
}

TEST_F(ListingTest, ListingAMissingBucketIsNoSuchBucket) {
  EXPECT_EQ(h_.Get("/nope-bkt").Code(), "NoSuchBucket");
  EXPECT_EQ(h_.Get("/nope-bkt?list-type=2").Code(), "NoSuchBucket");
  EXPECT_EQ(h_.Get("/nope-bkt?max-keys=0").Code(), "NoSuchBucket");
  EXPECT_EQ(h_.Get("/nope-bkt?versions").Code(), "NoSuchBucket");
  EXPECT_EQ(h_.Get("/nope-bkt?uploads").Code(), "NoSuchBucket");
}

TEST_F(ListingTest, VersionsShowVersionsAndDeleteMarkersNewestFirst) {
  h_.MakeBucket("vbkt", /*versioned=*/true);
  Put("k", "one", "vbkt");
  Put("k", "two", "vbkt");
  ASSERT_TRUE(h_.objects().DeleteObject("vbkt", "k", "").has_value());
  Put("plain", "x", "bkt");
  const Response r = h_.Get("/vbkt?versions");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<ListVersionsResult"), std::string::npos);
  const auto marker_at = r.body.find("<DeleteMarker>");
  const auto version_at = r.body.find("<Version>");
  ASSERT_NE(marker_at, std::string::npos);
  EXPECT_LT(marker_at, version_at);  // Newest first: the marker leads.
  EXPECT_EQ(testing::XmlTexts(r.body, "IsLatest"),
            (std::vector<std::string>{"true", "false", "false"}));
  EXPECT_EQ(testing::XmlTexts(r.body, "ETag").size(), 2u);
  const auto ids = testing::XmlTexts(r.body, "VersionId");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u);

  const Response unversioned = h_.Get("/bkt?versions");
  EXPECT_EQ(testing::XmlTexts(unversioned.body, "VersionId"), std::vector<std::string>{"null"});
  EXPECT_EQ(unversioned.XmlText("IsLatest"), "true");
}

TEST_F(ListingTest, VersionsPaginationVisitsEveryVersionOnce) {
  h_.MakeBucket("vbkt", /*versioned=*/true);
  std::set<std::string> all;
  for (const char* k : {"a", "b", "c"}) {
    for (int i = 0; i < 3; ++i) Put(k, std::to_string(i), "vbkt");
  }
  std::vector<std::string> seen;
  std::string key_marker, version_marker;
  for (int page = 0; page < 20; ++page) {
    std::string target = "/vbkt?versions&max-keys=2";
    if (!key_marker.empty()) target += "&key-marker=" + Enc(key_marker);
    if (!version_marker.empty()) target += "&version-id-marker=" + Enc(version_marker);
    const Response r = h_.Get(target);
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto keys = testing::XmlTexts(r.body, "Key");
    const auto ids = testing::XmlTexts(r.body, "VersionId");
    ASSERT_EQ(keys.size(), ids.size());
    for (std::size_t i = 0; i < keys.size(); ++i) seen.push_back(keys[i] + "@" + ids[i]);
    if (r.XmlText("IsTruncated") == "false") break;
    key_marker = r.XmlText("NextKeyMarker");
    version_marker = r.XmlText("NextVersionIdMarker");
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 9u);

  EXPECT_EQ(h_.Get("/vbkt?versions&version-id-marker=abc").Code(), "InvalidArgument");
}

TEST_F(ListingTest, MultipartUploadsAreListedByPrefixAndPaged) {
  std::vector<std::string> ids;
  for (const char* k : {"docs/a", "docs/b", "img/c", "top"}) {
    auto id = h_.objects().NewMultipartUpload("bkt", k, {});
    ASSERT_TRUE(id.has_value());
    ids.push_back(*id);
  }
  const Response all = h_.Get("/bkt?uploads");
  ASSERT_EQ(all.status, 200u) << all.body;
  EXPECT_NE(all.body.find("<ListMultipartUploadsResult"), std::string::npos);
  EXPECT_EQ(testing::XmlTexts(all.body, "Key"),
            (std::vector<std::string>{"docs/a", "docs/b", "img/c", "top"}));
  EXPECT_EQ(testing::XmlTexts(all.body, "UploadId"), ids);
  EXPECT_EQ(all.XmlText("IsTruncated"), "false");
  EXPECT_EQ(testing::XmlTexts(all.body, "Initiator").size(), 4u);

  const Response docs = h_.Get("/bkt?uploads&prefix=docs%2F");
  EXPECT_EQ(testing::XmlTexts(docs.body, "Key"), (std::vector<std::string>{"docs/a", "docs/b"}));

  const Response rolled = h_.Get("/bkt?uploads&delimiter=%2F");
  EXPECT_EQ(testing::XmlTexts(rolled.body, "Key"), std::vector<std::string>{"top"});
  EXPECT_EQ(testing::XmlTexts(rolled.body, "Prefix"),
            (std::vector<std::string>{"", "docs/", "img/"}));

  std::vector<std::string> seen;
  std::string key_marker, id_marker;
  for (int page = 0; page < 10; ++page) {
    const Response r = h_.Get("/bkt?uploads&max-uploads=3&key-marker=" + Enc(key_marker) +
                              "&upload-id-marker=" + Enc(id_marker));
    ASSERT_EQ(r.status, 200u) << r.body;
    for (const auto& id : testing::XmlTexts(r.body, "UploadId")) seen.push_back(id);
    if (r.XmlText("IsTruncated") == "false") break;
    key_marker = r.XmlText("NextKeyMarker");
    id_marker = r.XmlText("NextUploadIdMarker");
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(h_.Get("/bkt?uploads&max-uploads=x").Code(), "InvalidArgument");
}

}  // namespace
}  // namespace coffer::core::s3
