// The multipart handlers (multipart.cc) through the whole request core:
// create, upload (from the body and copied from another object), complete,
// abort and list parts, with S3's checks on bad input.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/core/storage/object_layer.h"

#include "harness.h"

namespace coffer::core::s3 {
namespace {

using testing::Response;
using testing::S3Harness;
using testing::SendOptions;

constexpr std::uint64_t kMinPart = 1024;

S3ApiOptions SmallParts() {
  S3ApiOptions options;
  options.min_part_size_bytes = kMinPart;
  return options;
}

// Bytes that differ at every offset modulo a large prime, so a misplaced
// range shows.
std::string Pattern(std::size_t n, unsigned seed = 1) {
  std::string out(n, '\0');
  std::uint32_t x = seed * 2654435761u;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

struct Part {
  int number;
  std::string etag;
};

std::string CompleteBody(const std::vector<Part>& parts) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const Part& p : parts) {
    body += "<Part><ETag>" + p.etag + "</ETag><PartNumber>" + std::to_string(p.number) +
            "</PartNumber></Part>";
  }
  return body + "</CompleteMultipartUpload>";
}

class MultipartTest : public ::testing::Test {
 protected:
  MultipartTest() : h_(SmallParts()) {}
  void SetUp() override { h_.MakeBucket("bkt"); }

  std::string Create(std::string_view key, HeaderList headers = {}) {
    const Response r = h_.Send("POST", "/bkt/" + std::string(key) + "?uploads", headers);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.XmlText("Key"), key);
    return r.XmlText("UploadId");
  }
  Response UploadPart(std::string_view key, const std::string& id, std::string_view number,
                      std::string data) {
    return h_.Put(
        "/bkt/" + std::string(key) + "?partNumber=" + std::string(number) + "&uploadId=" + id,
        std::move(data));
  }
  Response Complete(std::string_view key, const std::string& id, const std::vector<Part>& parts) {
    return h_.Send("POST", "/bkt/" + std::string(key) + "?uploadId=" + id, {}, CompleteBody(parts));
  }
  std::string Read(std::string_view bucket, std::string_view key) {
    storage::StringSink sink;
    auto r = h_.objects().GetObject(bucket, key, {}, sink);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return sink.data();
  }
  S3Harness h_;
};

TEST_F(MultipartTest, CreateUploadCompleteJoinsThePartsWithMetadata) {
  const std::string id = Create("dir/obj", {{"content-type", "text/plain"},
                                            {"x-amz-meta-color", "blue"},
                                            {"cache-control", "no-cache"},
                                            {"content-disposition", "inline"},
                                            {"x-amz-tagging", "a=1&b=two"}});
  ASSERT_EQ(id.size(), 36u);
  const std::string p1 = Pattern(3000, 1), p2 = Pattern(700, 2);
  const Response r1 = UploadPart("dir/obj", id, "1", p1);
  ASSERT_EQ(r1.status, 200u) << r1.body;
  const std::string etag1 = r1.Header("etag");
  ASSERT_EQ(etag1.size(), 34u);
  EXPECT_EQ(etag1.front(), '"');
  EXPECT_EQ(etag1.back(), '"');
  const std::string etag2 = UploadPart("dir/obj", id, "2", p2).Header("etag");

  const Response done = Complete("dir/obj", id, {{1, etag1}, {2, etag2}});
  ASSERT_EQ(done.status, 200u) << done.body;
  EXPECT_EQ(done.XmlText("Location"), "http://127.0.0.1:9000/bkt/dir/obj");
  EXPECT_EQ(done.XmlText("Bucket"), "bkt");
  EXPECT_EQ(done.XmlText("Key"), "dir/obj");
  const std::string etag = done.XmlText("ETag");
  EXPECT_TRUE(etag.starts_with("&quot;") && etag.ends_with("-2&quot;")) << etag;
  EXPECT_FALSE(done.HasHeader("x-amz-version-id"));  // Unversioned bucket.

  EXPECT_EQ(Read("bkt", "dir/obj"), p1 + p2);
  auto info = h_.objects().StatObject("bkt", "dir/obj", "");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ("&quot;" + info->etag + "&quot;", etag);
  EXPECT_EQ(info->part_count, 2u);
  EXPECT_EQ(info->content_type, "text/plain");
  EXPECT_EQ(info->user_metadata.at("color"), "blue");
  EXPECT_EQ(info->headers.at("cache-control"), "no-cache");
  EXPECT_EQ(info->headers.at("content-disposition"), "inline");
  EXPECT_EQ(info->tags, "a=1&b=two");
  // The upload is gone once completed.
  EXPECT_EQ(h_.Get("/bkt/dir/obj?uploadId=" + id).Code(), "NoSuchUpload");
}

TEST_F(MultipartTest, CreateStoresTheDefaultContentTypeAndDropsAwsChunked) {
  const std::string id = Create("k", {{"content-encoding", "aws-chunked,gzip"}});
  const std::string etag = UploadPart("k", id, "1", "body").Header("etag");
  ASSERT_EQ(Complete("k", id, {{1, etag}}).status, 200u);
  auto info = h_.objects().StatObject("bkt", "k", "");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->content_type, "binary/octet-stream");
  EXPECT_EQ(info->headers.at("content-encoding"), "gzip");
}

TEST_F(MultipartTest, CompleteInAVersionedBucketAnswersTheVersionId) {
  h_.MakeBucket("vbkt", /*versioned=*/true);
  const Response created = h_.Send("POST", "/vbkt/k?uploads");
  const std::string id = created.XmlText("UploadId");
  const Response part = h_.Put("/vbkt/k?partNumber=1&uploadId=" + id, "only part");
  const Response done =
      h_.Send("POST", "/vbkt/k?uploadId=" + id, {}, CompleteBody({{1, part.Header("etag")}}));
  ASSERT_EQ(done.status, 200u) << done.body;
  auto info = h_.objects().StatObject("vbkt", "k", "");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(done.Header("x-amz-version-id"), info->version_id);
  EXPECT_NE(info->version_id, "null");
}

TEST_F(MultipartTest, CreateRefusesBadTagsAndMissingBuckets) {
  EXPECT_EQ(h_.Send("POST", "/bkt/k?uploads", {{"x-amz-tagging", "a=1&a=2"}}).Code(), "InvalidTag");
  EXPECT_EQ(h_.Send("POST", "/bkt/k?uploads", {{"x-amz-tagging", "=v"}}).Code(), "InvalidTag");
  EXPECT_EQ(
      h_.Send("POST", "/bkt/k?uploads", {{"x-amz-tagging", std::string(129, 'k') + "=v"}}).Code(),
      "InvalidTag");
  // Without a key service SSE is refused, not silently dropped.
  EXPECT_EQ(h_.Send("POST", "/bkt/k?uploads", {{"x-amz-server-side-encryption", "AES256"}}).Code(),
            "ServiceUnavailable");
  EXPECT_EQ(h_.Send("POST", "/nope-bkt/k?uploads").Code(), "NoSuchBucket");
  auto uploads = h_.objects().ListMultipartUploads("bkt", "");
  ASSERT_TRUE(uploads.has_value());
  EXPECT_TRUE(uploads->empty());
}

TEST_F(MultipartTest, UploadPartRefusesBadPartNumbersAndUnknownUploads) {
  const std::string id = Create("k");
  for (const char* bad : {"0", "10001", "abc", "-1", "", "1.0", "99999999999999999999"}) {
    const Response r = UploadPart("k", id, bad, "data");
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.Code(), "InvalidArgument") << bad;
  }
  EXPECT_EQ(UploadPart("k", id, "10000", "data").status, 200u);
  EXPECT_EQ(h_.Put("/bkt/k?partNumber=1", "data").Code(), "InvalidArgument");
  EXPECT_EQ(UploadPart("k", "00000000-0000-0000-0000-000000000000", "1", "x").Code(),
            "NoSuchUpload");
  EXPECT_EQ(UploadPart("other", id, "1", "x").Code(), "NoSuchUpload");

  const Response bad_md5 = h_.Put("/bkt/k?partNumber=2&uploadId=" + id, "data",
                                  {{"content-md5", h_.ContentMd5("other")}});
  EXPECT_EQ(bad_md5.Code(), "BadDigest");
  const Response listed = h_.Get("/bkt/k?uploadId=" + id);
  EXPECT_EQ(testing::XmlTexts(listed.body, "PartNumber"), std::vector<std::string>{"10000"});
}

TEST_F(MultipartTest, CompleteRefusesBadPartLists) {
  const std::string id = Create("k");
  const std::string big = Pattern(kMinPart, 3), small = Pattern(kMinPart - 1, 4);
  const std::string e1 = UploadPart("k", id, "1", big).Header("etag");
  const std::string e2 = UploadPart("k", id, "2", small).Header("etag");
  const std::string e3 = UploadPart("k", id, "3", small).Header("etag");

  EXPECT_EQ(h_.Send("POST", "/bkt/k?uploadId=" + id, {}, "<CompleteMultipartUpload><Part>").Code(),
            "MalformedXML");
  EXPECT_EQ(h_.Send("POST", "/bkt/k?uploadId=" + id, {}, "<Other/>").Code(), "MalformedXML");
  EXPECT_EQ(Complete("k", id, {}).Code(), "MalformedXML");
  EXPECT_EQ(h_.Send("POST", "/bkt/k?uploadId=" + id, {},
                    "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag>"
                    "</Part></CompleteMultipartUpload>")
                .Code(),
            "MalformedXML");
  EXPECT_EQ(Complete("k", id, {{0, e1}}).Code(), "InvalidArgument");
  EXPECT_EQ(Complete("k", id, {{2, e2}, {1, e1}}).Code(), "InvalidPartOrder");
  EXPECT_EQ(Complete("k", id, {{1, e1}, {1, e1}}).Code(), "InvalidPartOrder");
  EXPECT_EQ(Complete("k", id, {{1, e2}}).Code(), "InvalidPart");  // Wrong ETag.
  EXPECT_EQ(Complete("k", id, {{1, "\"0123456789abcdef0123456789abcdef\""}}).Code(), "InvalidPart");
  EXPECT_EQ(Complete("k", id, {{1, e1}, {4, e3}}).Code(), "InvalidPart");  // Never uploaded.
  const Response small_part = Complete("k", id, {{1, e1}, {2, e2}, {3, e3}});
  EXPECT_EQ(small_part.status, 400u);
  EXPECT_EQ(small_part.Code(), "EntityTooSmall");
  EXPECT_EQ(Complete("nope", id, {{1, e1}}).Code(), "NoSuchUpload");

  // Every refusal left the upload intact; a good list (the small part last,
  // ETags without quotes) completes it.
  std::string unquoted = e2.substr(1, e2.size() - 2);
  const Response done = Complete("k", id, {{1, e1}, {2, unquoted}});
  ASSERT_EQ(done.status, 200u) << done.body;
  EXPECT_EQ(Read("bkt", "k"), big + small);
}

TEST_F(MultipartTest, AbortRemovesTheUpload) {
  const std::string id = Create("k");
  ASSERT_EQ(UploadPart("k", id, "1", "data").status, 200u);
  const Response aborted = h_.Send("DELETE", "/bkt/k?uploadId=" + id);
  EXPECT_EQ(aborted.status, 204u) << aborted.body;
  const Response again = h_.Send("DELETE", "/bkt/k?uploadId=" + id);
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(again.Code(), "NoSuchUpload");
  EXPECT_EQ(h_.Get("/bkt/k?uploadId=" + id).Code(), "NoSuchUpload");
  EXPECT_EQ(Complete("k", id, {{1, "\"x\""}}).Code(), "NoSuchUpload");
}

TEST_F(MultipartTest, ListPartsPagesByPartNumber) {
  const std::string id = Create("k");
  for (const char* n : {"1", "2", "3", "5", "8"}) {
    ASSERT_EQ(UploadPart("k", id, n, std::string("part") + n).status, 200u);
  }
  const Response all = h_.Get("/bkt/k?uploadId=" + id);
  ASSERT_EQ(all.status, 200u) << all.body;
  EXPECT_NE(all.body.find("<ListPartsResult"), std::string::npos);
  EXPECT_EQ(testing::XmlTexts(all.body, "PartNumber"),
            (std::vector<std::string>{"1", "2", "3", "5", "8"}));
  EXPECT_EQ(all.XmlText("UploadId"), id);
  EXPECT_EQ(all.XmlText("IsTruncated"), "false");
  EXPECT_EQ(testing::XmlTexts(all.body, "Size")[3], "5");
  EXPECT_EQ(testing::XmlTexts(all.body, "ETag").front().substr(0, 6), "&quot;");

  std::vector<std::string> seen;
  std::string marker = "0";
  for (int page = 0; page < 10; ++page) {
    const Response r =
        h_.Get("/bkt/k?uploadId=" + id + "&max-parts=2&part-number-marker=" + marker);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.XmlText("PartNumberMarker"), marker);
    EXPECT_EQ(r.XmlText("MaxParts"), "2");
    for (const auto& n : testing::XmlTexts(r.body, "PartNumber")) seen.push_back(n);
    if (r.XmlText("IsTruncated") == "false") break;
    marker = r.XmlText("NextPartNumberMarker");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3", "5", "8"}));
  EXPECT_EQ(h_.Get("/bkt/k?uploadId=" + id + "&max-parts=-1").Code(), "InvalidArgument");
  EXPECT_EQ(h_.Get("/bkt/k?uploadId=" + id + "&part-number-marker=x").Code(), "InvalidArgument");
}

TEST_F(MultipartTest, UploadPartCopyCopiesRangesAcrossWindows) {
  // Bigger than the 4 MiB copy window, so the copy takes several reads.
  const std::string source = Pattern((9u << 20) + 123, 7);
  storage::StringSource body(source);
  ASSERT_TRUE(h_.objects().PutObject("bkt", "src key", body, {}).has_value());
  const std::string id = Create("dst");
  const Response whole = h_.Send("PUT", "/bkt/dst?partNumber=1&uploadId=" + id,
                                 {{"x-amz-copy-source", "/bkt/src%20key"}});
  ASSERT_EQ(whole.status, 200u) << whole.body;
  EXPECT_NE(whole.body.find("<CopyPartResult"), std::string::npos);
  const std::string e1 = whole.XmlText("ETag");
  ASSERT_TRUE(e1.starts_with("&quot;")) << e1;
  const Response range = h_.Send(
      "PUT", "/bkt/dst?partNumber=2&uploadId=" + id,
      {{"x-amz-copy-source", "bkt/src%20key"}, {"x-amz-copy-source-range", "bytes=1000-200999"}});
  ASSERT_EQ(range.status, 200u) << range.body;
  const std::string e2 = range.XmlText("ETag");
  auto unescape = [](std::string s) { return "\"" + s.substr(6, s.size() - 12) + "\""; };
  const Response done = Complete("dst", id, {{1, unescape(e1)}, {2, unescape(e2)}});
  ASSERT_EQ(done.status, 200u) << done.body;
  const std::string got = Read("bkt", "dst");
  ASSERT_EQ(got.size(), source.size() + 200000);
  EXPECT_TRUE(got == source + source.substr(1000, 200000));
}

TEST_F(MultipartTest, UploadPartCopyRefusesBadSourcesRangesAndConditions) {
  storage::StringSource body("0123456789");
  auto src = h_.objects().PutObject("bkt", "src", body, {});
  ASSERT_TRUE(src.has_value());
  const std::string id = Create("dst");
  auto copy = [&](HeaderList headers) {
    return h_.Send("PUT", "/bkt/dst?partNumber=1&uploadId=" + id, std::move(headers));
  };
  EXPECT_EQ(copy({{"x-amz-copy-source", "nobucketkey"}}).Code(), "InvalidArgument");
  EXPECT_EQ(copy({{"x-amz-copy-source", "/bkt/"}}).Code(), "InvalidArgument");
  EXPECT_EQ(copy({{"x-amz-copy-source", "/bkt/missing"}}).Code(), "NoSuchKey");
  EXPECT_EQ(copy({{"x-amz-copy-source", "/nope-bkt/src"}}).Code(), "NoSuchBucket");
  EXPECT_EQ(copy({{"x-amz-copy-source", "/bkt/src?versionId=nope"}}).Code(), "NoSuchVersion");
  EXPECT_EQ(
      copy({{"x-amz-copy-source", "/bkt/src"}, {"x-amz-copy-source-range", "bytes=5-2"}}).Code(),
      "InvalidArgument");
  EXPECT_EQ(
      copy({{"x-amz-copy-source", "/bkt/src"}, {"x-amz-copy-source-range", "bytes=3-"}}).Code(),
      "InvalidArgument");
  EXPECT_EQ(
      copy({{"x-amz-copy-source", "/bkt/src"}, {"x-amz-copy-source-range", "bytes=5-10"}}).Code(),
      "InvalidRange");
  EXPECT_EQ(
      copy({{"x-amz-copy-source", "/bkt/src"}, {"x-amz-copy-source-if-match", "\"abc\""}}).Code(),
      "PreconditionFailed");
  EXPECT_EQ(copy({{"x-amz-copy-source", "/bkt/src"},
                  {"x-amz-copy-source-if-none-match", "\"" + src->etag + "\""}})
                .Code(),
            "PreconditionFailed");
  const Response ok = copy({{"x-amz-copy-source", "/bkt/src"},
                            {"x-amz-copy-source-if-match", "\"" + src->etag + "\""},
                            {"x-amz-copy-source-range", "bytes=2-4"}});
  ASSERT_EQ(ok.status, 200u) << ok.body;
  const Response listed = h_.Get("/bkt/dst?uploadId=" + id);
  EXPECT_EQ(listed.XmlText("Size"), "3");
}

constexpr std::string_view kWriterConfig = R"(
[users.writer]
secret = "env:WRITER_SECRET"
policies = ["write-dst"]

[policies.write-dst]
json = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::bkt/dst"]}]}'''
)";

TEST_F(MultipartTest, UploadPartCopyNeedsReadAccessToTheSource) {
  storage::StringSource body("secret bytes");
  ASSERT_TRUE(h_.objects().PutObject("bkt", "src", body, {}).has_value());
  const std::string id = Create("dst");
  ASSERT_TRUE(
      h_.InstallConfig(kWriterConfig, {{"WRITER_SECRET", "writer-secret-0123456"}}).has_value());
  SendOptions writer;
  writer.access_key = "writer";
  writer.secret_key = "writer-secret-0123456";
  const Response own = h_.Send("PUT", "/bkt/dst?partNumber=1&uploadId=" + id, {}, "mine", writer);
  EXPECT_EQ(own.status, 200u) << own.body;
  const Response copy = h_.Send("PUT", "/bkt/dst?partNumber=2&uploadId=" + id,
                                {{"x-amz-copy-source", "/bkt/src"}}, "", writer);
  EXPECT_EQ(copy.status, 403u);
  EXPECT_EQ(copy.Code(), "AccessDenied");
  // Even a missing source answers AccessDenied: nothing about it leaks.
  EXPECT_EQ(h_.Send("PUT", "/bkt/dst?partNumber=2&uploadId=" + id,
                    {{"x-amz-copy-source", "/bkt/missing"}}, "", writer)
                .Code(),
            "AccessDenied");
}

}  // namespace
}  // namespace coffer::core::s3
