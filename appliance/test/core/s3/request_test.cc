#include "../../../src/core/s3/request.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "coffer/core/auth/s3_errors.h"

#include "../../../src/core/s3/operations.h"

namespace coffer::core::s3 {
namespace {

HttpRequest Req(std::string method, std::string target, std::string host = "127.0.0.1:9000") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers.emplace_back("host", std::move(host));
  return r;
}

std::string CodeOf(const base::Error& e) { return std::string(auth::ToS3ErrorReply(e).info->name); }

TEST(ParseS3Request, PathStyleBucketKeyAndQuery) {
  auto r = ParseS3Request(Req("GET", "/bkt1/a%20b/c+d?prefix=x+y&max-keys=5&list-type=2"), {});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->bucket, "bkt1");
  EXPECT_EQ(r->key, "a b/c+d");  // '+' is literal in the path, a space in the query.
  EXPECT_EQ(r->Query("prefix"), "x y");
  EXPECT_EQ(r->Query("max-keys"), "5");
  EXPECT_FALSE(r->Query("marker").has_value());
}

TEST(ParseS3Request, VirtualHostStyle) {
  const std::vector<std::string> domains = {"s3.local"};
  auto r = ParseS3Request(Req("GET", "/dir/obj", "bkt1.s3.local:9000"), domains);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->virtual_host);
  EXPECT_EQ(r->bucket, "bkt1");
  EXPECT_EQ(r->key, "dir/obj");
  auto plain = ParseS3Request(Req("GET", "/bkt2/k", "s3.local"), domains);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->bucket, "bkt2");
}

TEST(ParseS3Request, RefusesBadNames) {
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "/AB/k"), {}).error()), "InvalidBucketName");
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "/bkt1/a/../b"), {}).error()), "InvalidArgument");
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "/bkt1/a%01b"), {}).error()), "InvalidArgument");
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "/bkt1/" + std::string(1025, 'k')), {}).error()),
            "KeyTooLongError");
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "/bkt1/%zz"), {}).error()), "InvalidURI");
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "/bkt1/a%2"), {}).error()), "InvalidURI");
  EXPECT_EQ(CodeOf(ParseS3Request(Req("GET", "http://x/bkt1"), {}).error()), "InvalidURI");
}

TEST(BucketNames, FollowS3Rules) {
  EXPECT_TRUE(IsValidBucketName("my-bucket.1"));
  EXPECT_FALSE(IsValidBucketName("ab"));
  EXPECT_FALSE(IsValidBucketName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidBucketName("a..b"));
  EXPECT_FALSE(IsValidBucketName("-abc"));
  EXPECT_FALSE(IsValidBucketName("192.168.1.1"));
  EXPECT_FALSE(IsValidBucketName("a_b_c"));
  EXPECT_FALSE(IsValidBucketName("xn--punycode"));
  EXPECT_FALSE(IsValidBucketName("sthree-bucket"));
  EXPECT_FALSE(IsValidBucketName("bucket-s3alias"));
  EXPECT_TRUE(IsValidBucketName("axn--b"));
}

TEST(Classify, MapsMethodsAndSubresources) {
  auto op = [](std::string method, std::string target, HeaderList extra = {}) {
    HttpRequest r = Req(std::move(method), std::move(target));
    for (auto& h : extra) r.headers.push_back(h);
    auto s3 = ParseS3Request(r, {});
    EXPECT_TRUE(s3.has_value());
    return Classify(r, *s3);
  };
  EXPECT_EQ(*op("GET", "/"), Op::kListBuckets);
  EXPECT_EQ(*op("PUT", "/bkt1"), Op::kCreateBucket);
  EXPECT_EQ(*op("GET", "/bkt1?list-type=2"), Op::kListObjectsV2);
  EXPECT_EQ(*op("GET", "/bkt1"), Op::kListObjects);
  EXPECT_EQ(*op("GET", "/bkt1?versions"), Op::kListObjectVersions);
  EXPECT_EQ(*op("POST", "/bkt1?delete"), Op::kDeleteObjects);
  EXPECT_EQ(*op("PUT", "/bkt1/k"), Op::kPutObject);
  EXPECT_EQ(*op("PUT", "/bkt1/k", {{"x-amz-copy-source", "/b/k"}}), Op::kCopyObject);
  EXPECT_EQ(*op("PUT", "/bkt1/k?partNumber=1&uploadId=u"), Op::kUploadPart);
  EXPECT_EQ(*op("PUT", "/bkt1/k?partNumber=1&uploadId=u", {{"x-amz-copy-source", "/b/k"}}),
            Op::kUploadPartCopy);
  EXPECT_EQ(*op("POST", "/bkt1/k?uploads"), Op::kCreateMultipartUpload);
  EXPECT_EQ(*op("POST", "/bkt1/k?uploadId=u"), Op::kCompleteMultipartUpload);
  EXPECT_EQ(*op("DELETE", "/bkt1/k?uploadId=u"), Op::kAbortMultipartUpload);
  EXPECT_EQ(*op("GET", "/bkt1/k?tagging"), Op::kGetObjectTagging);
  EXPECT_EQ(CodeOf(op("GET", "/bkt1?lifecycle").error()), "NotImplemented");
  EXPECT_EQ(CodeOf(op("PATCH", "/bkt1/k").error()), "MethodNotAllowed");
  EXPECT_EQ(CodeOf(op("PUT", "/").error()), "MethodNotAllowed");
}

TEST(OpTable, EveryOperationNamesAnAction) {
  for (const OpSpec& spec : AllOps()) {
    EXPECT_TRUE(spec.action.starts_with("s3:")) << spec.name;
    EXPECT_FALSE(spec.name.empty());
  }
  EXPECT_EQ(SpecOf(Op::kGetObject).version_action, "s3:GetObjectVersion");
  EXPECT_EQ(SpecOf(Op::kHeadBucket).action, "s3:ListBucket");
  EXPECT_EQ(SpecOf(Op::kCopyObject).source_action, "s3:GetObject");
}

// The README's authorization table is a copy of kOps; keep them equal.
TEST(OpTable, ReadmeTableMatchesTheCode) {
  std::ifstream in(std::string(COFFER_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  auto quoted = [](std::string_view s) {
    return s.empty() ? std::string("—") : "`" + std::string(s) + "`";
  };
  for (const OpSpec& spec : AllOps()) {
    const std::string row_start = "| " + std::string(spec.name) + " | " + quoted(spec.action) +
                                  " | " + quoted(spec.version_action) + " | ";
    const std::size_t at = readme.find(row_start);
    ASSERT_NE(at, std::string::npos) << "README lacks the row of " << spec.name;
    const std::string row = readme.substr(at, readme.find('\n', at) - at);
    EXPECT_TRUE(row.ends_with("| " + quoted(spec.source_action) + " |")) << row;
  }
}

}  // namespace
}  // namespace coffer::core::s3
