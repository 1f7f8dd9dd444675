// The object handlers (objects.cc) through the whole request core: signed
// requests from the harness, S3Api::Serve, an erasure set over memory drives.

#include <gtest/gtest.h>

#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/sigv4.h"

#include "harness.h"

namespace coffer::core::s3 {
namespace {

using testing::AuthMode;
using testing::Response;
using testing::S3Harness;
using testing::SendOptions;

std::string Bytes(std::size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// alice may read and write objects but not list; bob may list as well;
// carol may delete only under "a/".
constexpr const char* kUsers = R"(
[users.alice]
secret = "env:ALICE"
policies = ["rw-objects"]
[users.bob]
secret = "env:BOB"
policies = ["rw-objects", "list"]
[users.carol]
secret = "env:CAROL"
policies = ["delete-a"]
[policies.rw-objects]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bkt/*"}]}'''
[policies.list]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt"}]}'''
[policies.delete-a]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/a/*"}]}'''
)";

SendOptions As(std::string user) {
  SendOptions o;
  o.access_key = user;
  o.secret_key = user + "-secret-key";
  return o;
}

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.MakeBucket("bkt"); }

  void InstallUsers() {
    auto s = h_.InstallConfig(
        kUsers,
        {{"ALICE", "alice-secret-key"}, {"BOB", "bob-secret-key"}, {"CAROL", "carol-secret-key"}});
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
  }

  // Whether bkt/key exists, asked of the object layer itself.
  bool Stored(std::string_view key) { return h_.objects().StatObject("bkt", key, "").has_value(); }

  std::string Sha256Checksum(std::string_view data) {
    auth::Checksummer c(h_.crypto(), auth::ChecksumAlgorithm::kSha256);
    c.Update(data);
    return c.FinalBase64();
  }

  std::string DeleteXml(const std::vector<std::string>& keys, bool quiet = false) {
    std::string xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    if (quiet) xml += "<Quiet>true</Quiet>";
    for (const auto& k : keys) xml += "<Object><Key>" + k + "</Key></Object>";
    return xml + "</Delete>";
  }

  Response DeleteObjects(const std::string& xml, SendOptions o = {}) {
    return h_.Send("POST", "/bkt?delete", {{"content-md5", h_.ContentMd5(xml)}}, xml, o);
  }

  S3Harness h_;
};

TEST_F(ObjectsTest, HarnessSignsRequestsTheVerifierAccepts) {
  const Response ok = h_.Send("HEAD", "/bkt/missing");
  EXPECT_NE(ok.status, 403u) << ok.body;
  EXPECT_TRUE(ok.finished);
  EXPECT_EQ(ok.violation, "");

  SendOptions wrong;
  wrong.secret_key = "not-the-secret";
  const Response bad = h_.Send("GET", "/bkt/missing", {}, "", wrong);
  EXPECT_EQ(bad.status, 403u);
  EXPECT_EQ(bad.Code(), "SignatureDoesNotMatch");

  SendOptions anonymous;
  anonymous.auth = AuthMode::kAnonymous;
  const Response denied = h_.Send("GET", "/bkt/missing", {}, "", anonymous);
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(denied.Code(), "AccessDenied");
}

// --- PutObject / GetObject ---

TEST_F(ObjectsTest, PutThenGetReturnsBodyAndEveryStoredHeader) {
  const Response put = h_.Put("/bkt/dir/hello.txt", "hello",
                              {{"content-type", "text/plain"},
                               {"x-amz-meta-color", "blue"},
                               {"x-amz-meta-Shape", "round"},
                               {"cache-control", "max-age=60"},
                               {"content-disposition", "attachment"},
                               {"content-language", "en"},
                               {"expires", "Thu, 01 Dec 2094 16:00:00 GMT"},
                               {"content-encoding", "identity"}});
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("etag"), "\"5d41402abc4b2a76b9719d911017c592\"");
  EXPECT_FALSE(put.HasHeader("x-amz-version-id"));  // Unversioned bucket.
  EXPECT_EQ(put.violation, "");

  const Response get = h_.Get("/bkt/dir/hello.txt");
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_EQ(get.body, "hello");
  EXPECT_EQ(get.content_length, 5u);
  EXPECT_EQ(get.Header("etag"), "\"5d41402abc4b2a76b9719d911017c592\"");
  EXPECT_EQ(get.Header("content-type"), "text/plain");
  EXPECT_EQ(get.Header("accept-ranges"), "bytes");
  EXPECT_EQ(get.Header("last-modified"), "Thu, 01 Jan 2026 00:00:00 GMT");
  EXPECT_EQ(get.Header("x-amz-meta-color"), "blue");
  EXPECT_EQ(get.Header("x-amz-meta-shape"), "round");
  EXPECT_EQ(get.Header("cache-control"), "max-age=60");
  EXPECT_EQ(get.Header("content-disposition"), "attachment");
  EXPECT_EQ(get.Header("content-language"), "en");
  EXPECT_EQ(get.Header("expires"), "Thu, 01 Dec 2094 16:00:00 GMT");
  EXPECT_EQ(get.Header("content-encoding"), "identity");
  EXPECT_FALSE(get.HasHeader("x-amz-tagging-count"));
  EXPECT_FALSE(get.HasHeader("x-amz-version-id"));
  EXPECT_TRUE(get.finished);
  EXPECT_EQ(get.violation, "");
}

TEST_F(ObjectsTest, ContentTypeDefaultsToBinaryOctetStream) {
  ASSERT_EQ(h_.Put("/bkt/k", "x").status, 200u);
  EXPECT_EQ(h_.Get("/bkt/k").Header("content-type"), "binary/octet-stream");
}

TEST_F(ObjectsTest, LargeBodiesStreamBothWays) {
  const std::string body = Bytes(300 * 1024 + 17);
  const Response put = h_.Put("/bkt/big", body);
  ASSERT_EQ(put.status, 200u) << put.body;
  const Response get = h_.Get("/bkt/big");
  ASSERT_EQ(get.status, 200u);
  EXPECT_EQ(get.body.size(), body.size());
  EXPECT_TRUE(get.body == body);
  EXPECT_EQ(get.violation, "");
  // Streamed block by block, not buffered whole.
  EXPECT_GT(get.writes, 1);
}

TEST_F(ObjectsTest, EmptyObject) {
  ASSERT_EQ(h_.Put("/bkt/empty", "").status, 200u);
  const Response get = h_.Get("/bkt/empty");
  EXPECT_EQ(get.status, 200u);
  EXPECT_EQ(get.body, "");
  EXPECT_EQ(get.content_length, 0u);
  EXPECT_EQ(get.Header("etag"), "\"d41d8cd98f00b204e9800998ecf8427e\"");
  // Any range of an empty object is unsatisfiable, as in S3.
  EXPECT_EQ(h_.Get("/bkt/empty", {{"range", "bytes=0-"}}).status, 416u);
}

TEST_F(ObjectsTest, EveryAuthModeCanPut) {
  const std::string body = Bytes(150 * 1024, 3);
  for (AuthMode mode :
       {AuthMode::kSigned, AuthMode::kUnsigned, AuthMode::kPresigned, AuthMode::kStreaming}) {
    SendOptions o;
    o.auth = mode;
    o.chunk_bytes = 64 * 1024;
    const std::string key = "/bkt/mode" + std::to_string(static_cast<int>(mode));
    const Response put = h_.Send("PUT", key, {}, body, o);
    ASSERT_EQ(put.status, 200u) << static_cast<int>(mode) << put.body;
    const Response get =
        h_.Send("GET", key, {}, "", o.auth == AuthMode::kPresigned ? o : SendOptions{});
    EXPECT_TRUE(get.body == body) << static_cast<int>(mode);
  }
}

TEST_F(ObjectsTest, StreamingUploadDoesNotStoreAwsChunkedEncoding) {
  SendOptions o;
  o.auth = AuthMode::kStreaming;
  ASSERT_EQ(h_.Send("PUT", "/bkt/s", {}, "streamed", o).status, 200u);
  const Response get = h_.Get("/bkt/s");
  EXPECT_EQ(get.body, "streamed");
  EXPECT_FALSE(get.HasHeader("content-encoding"));
}

TEST_F(ObjectsTest, ContentMd5IsChecked) {
  const Response ok = h_.Put("/bkt/m", "data", {{"content-md5", h_.ContentMd5("data")}});
  EXPECT_EQ(ok.status, 200u) << ok.body;
  const Response bad = h_.Put("/bkt/bad", "data", {{"content-md5", h_.ContentMd5("other")}});
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.Code(), "BadDigest");
  EXPECT_FALSE(Stored("bad"));
  EXPECT_EQ(h_.Get("/bkt/bad").Code(), "NoSuchKey");
  const Response malformed = h_.Put("/bkt/bad", "data", {{"content-md5", "not-base64"}});
  EXPECT_EQ(malformed.Code(), "InvalidDigest");
  EXPECT_FALSE(Stored("bad"));
}

TEST_F(ObjectsTest, TruncatedBodyStoresNothing) {
  SendOptions o;
  o.truncate_wire_to = 1000;
  const Response r = h_.Send("PUT", "/bkt/t", {}, Bytes(5000), o);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Code(), "IncompleteBody");
  EXPECT_FALSE(Stored("t"));

  SendOptions streaming;
  streaming.auth = AuthMode::kStreaming;
  streaming.truncate_wire_to = 3000;
  const Response s = h_.Send("PUT", "/bkt/t", {}, Bytes(5000), streaming);
  EXPECT_EQ(s.status / 100, 4u) << s.body;
  EXPECT_FALSE(Stored("t"));
}

TEST_F(ObjectsTest, SignedPayloadMismatchStoresNothing) {
  SendOptions o;
  o.payload_hash = std::string(64, 'a');
  const Response r = h_.Send("PUT", "/bkt/x", {}, "payload", o);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Code(), "XAmzContentSHA256Mismatch");
  EXPECT_FALSE(Stored("x"));
}

TEST_F(ObjectsTest, ChecksumHeaderIsVerifiedStoredAndEchoed) {
  const std::string sum = Sha256Checksum("checked");
  const Response put = h_.Put("/bkt/c", "checked", {{"x-amz-checksum-sha256", sum}});
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("x-amz-checksum-sha256"), sum);
  // S3 returns checksums only when asked.
  EXPECT_FALSE(h_.Get("/bkt/c").HasHeader("x-amz-checksum-sha256"));
  EXPECT_EQ(h_.Get("/bkt/c", {{"x-amz-checksum-mode", "ENABLED"}}).Header("x-amz-checksum-sha256"),
            sum);

  const Response bad =
      h_.Put("/bkt/c2", "checked", {{"x-amz-checksum-sha256", Sha256Checksum("x")}});
  EXPECT_EQ(bad.Code(), "BadDigest");
  EXPECT_FALSE(Stored("c2"));
}

TEST_F(ObjectsTest, PutLargerThanTheLimitIsEntityTooLarge) {
  S3ApiOptions options;
  options.max_put_size_bytes = 100;
  S3Harness small(options);
  small.MakeBucket("bkt");
  EXPECT_EQ(small.Put("/bkt/ok", Bytes(100)).status, 200u);
  const Response r = small.Put("/bkt/big", Bytes(101));
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Code(), "EntityTooLarge");
  SendOptions chunked;
  chunked.no_content_length = true;
  chunked.auth = AuthMode::kUnsigned;
  EXPECT_EQ(small.Send("PUT", "/bkt/big", {}, Bytes(5000), chunked).Code(), "EntityTooLarge");
  EXPECT_FALSE(small.objects().StatObject("bkt", "big", "").has_value());
}

TEST_F(ObjectsTest, TaggingHeaderIsValidatedAndCounted) {
  ASSERT_EQ(h_.Put("/bkt/t", "x", {{"x-amz-tagging", "a=1&b=two%20words"}}).status, 200u);
  EXPECT_EQ(h_.Get("/bkt/t").Header("x-amz-tagging-count"), "2");

  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += (i ? "&k" : "k") + std::to_string(i) + "=v";
  EXPECT_EQ(h_.Put("/bkt/t2", "x", {{"x-amz-tagging", eleven}}).Code(), "InvalidTag");
  EXPECT_EQ(h_.Put("/bkt/t2", "x", {{"x-amz-tagging", std::string(129, 'k') + "=v"}}).Code(),
            "InvalidTag");
  EXPECT_EQ(h_.Put("/bkt/t2", "x", {{"x-amz-tagging", "k=" + std::string(257, 'v')}}).Code(),
            "InvalidTag");
  EXPECT_EQ(h_.Put("/bkt/t2", "x", {{"x-amz-tagging", "k=1&k=2"}}).Code(), "InvalidTag");
  EXPECT_FALSE(Stored("t2"));
  // At the limits exactly: accepted.
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += (i ? "&k" : "k") + std::to_string(i) + "=v";
  EXPECT_EQ(h_.Put("/bkt/t3", "x", {{"x-amz-tagging", ten}}).status, 200u);
  EXPECT_EQ(h_.Put("/bkt/t4", "x",
                   {{"x-amz-tagging", std::string(128, 'k') + "=" + std::string(256, 'v')}})
                .status,
            200u);
}

// SSE itself is tested in sse_test.cc; without a key service an SSE-S3
// request is refused rather than stored as plaintext.
TEST_F(ObjectsTest, EncryptionWithoutKeyServiceIsUnavailableAndStoresNothing) {
  const Response r = h_.Put("/bkt/e", "x", {{"x-amz-server-side-encryption", "AES256"}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.Code(), "ServiceUnavailable");
  EXPECT_FALSE(Stored("e"));
}

TEST_F(ObjectsTest, MissingBucketIsNoSuchBucket) {
  EXPECT_EQ(h_.Put("/nobkt/k", "x").Code(), "NoSuchBucket");
  EXPECT_EQ(h_.Get("/nobkt/k").Code(), "NoSuchBucket");
}

// --- HEAD ---

TEST_F(ObjectsTest, HeadSendsHeadersOnly) {
  ASSERT_EQ(h_.Put("/bkt/h", "twelve bytes", {{"x-amz-meta-a", "b"}}).status, 200u);
  const Response head = h_.Send("HEAD", "/bkt/h");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.Header("x-amz-meta-a"), "b");
  EXPECT_EQ(head.Header("etag"), h_.Get("/bkt/h").Header("etag"));
  const Response missing = h_.Send("HEAD", "/bkt/none");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.body, "");
}

// --- Ranges ---

TEST_F(ObjectsTest, Ranges) {
  ASSERT_EQ(h_.Put("/bkt/r", "0123456789").status, 200u);
  struct Case {
    const char* range;
    unsigned status;
    const char* body;
    const char* content_range;
  };
  const Case cases[] = {
      {"bytes=2-5", 206, "2345", "bytes 2-5/10"}, {"bytes=5-", 206, "56789", "bytes 5-9/10"},
      {"bytes=-3", 206, "789", "bytes 7-9/10"},   {"bytes=-100", 206, "0123456789", "bytes 0-9/10"},
      {"bytes=8-100", 206, "89", "bytes 8-9/10"}, {"bytes=9-9", 206, "9", "bytes 9-9/10"},
      {"bytes=0-1,4-5", 200, "0123456789", ""},  // Several ranges: ignored.
      {"bytes=x-y", 200, "0123456789", ""},      // Malformed: ignored.
      {"bytes=5-2", 200, "0123456789", ""},       {"items=0-1", 200, "0123456789", ""},
  };
  for (const Case& c : cases) {
    const Response r = h_.Get("/bkt/r", {{"range", c.range}});
    EXPECT_EQ(r.status, c.status) << c.range;
    EXPECT_EQ(r.body, c.body) << c.range;
    EXPECT_EQ(r.Header("content-range"), c.content_range) << c.range;
    EXPECT_EQ(r.violation, "") << c.range;
  }
  for (const char* range : {"bytes=10-", "bytes=10-20", "bytes=-0"}) {
    const Response r = h_.Get("/bkt/r", {{"range", range}});
    EXPECT_EQ(r.status, 416u) << range;
    EXPECT_EQ(r.Code(), "InvalidRange") << range;
    EXPECT_EQ(r.Header("content-range"), "bytes */10") << range;
  }
  const Response head = h_.Send("HEAD", "/bkt/r", {{"range", "bytes=1-2"}});
  EXPECT_EQ(head.status, 206u);
  EXPECT_EQ(head.content_length, 2u);
}

TEST_F(ObjectsTest, RangeAcrossBlocks) {
  const std::string body = Bytes(200 * 1024, 9);
  ASSERT_EQ(h_.Put("/bkt/big", body).status, 200u);
  const Response r = h_.Get("/bkt/big", {{"range", "bytes=65000-140000"}});
  ASSERT_EQ(r.status, 206u);
  EXPECT_TRUE(r.body == body.substr(65000, 75001));
}

// --- Conditions ---

TEST_F(ObjectsTest, ConditionalGets) {
  ASSERT_EQ(h_.Put("/bkt/c", "hello").status, 200u);
  const std::string etag = "\"5d41402abc4b2a76b9719d911017c592\"";
  const std::string before = "Wed, 31 Dec 2025 00:00:00 GMT";
  const std::string at = "Thu, 01 Jan 2026 00:00:00 GMT";
  const std::string after = "Fri, 02 Jan 2026 00:00:00 GMT";
  struct Case {
    HeaderList headers;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {{{"if-match", etag}}, 200},
      {{{"if-match", "*"}}, 200},
      {{{"if-match", "\"other\", " + etag}}, 200},
      {{{"if-match", "\"other\""}}, 412},
      {{{"if-none-match", etag}}, 304},
      {{{"if-none-match", "*"}}, 304},
      {{{"if-none-match", "\"other\""}}, 200},
      {{{"if-modified-since", before}}, 200},
      {{{"if-modified-since", at}}, 304},
      {{{"if-modified-since", after}}, 304},
      {{{"if-unmodified-since", before}}, 412},
      {{{"if-unmodified-since", at}}, 200},
      {{{"if-modified-since", "not a date"}}, 200},
      // If-Match true wins over a failing If-Unmodified-Since.
      {{{"if-match", etag}, {"if-unmodified-since", before}}, 200},
      // If-None-Match false (matches) with If-Modified-Since true: 304.
      {{{"if-none-match", etag}, {"if-modified-since", before}}, 304},
      // If-None-Match true (no match) decides over If-Modified-Since false.
      {{{"if-none-match", "\"other\""}, {"if-modified-since", after}}, 200},
      // A failed If-Match beats If-None-Match.
      {{{"if-match", "\"other\""}, {"if-none-match", etag}}, 412},
  };
  for (const Case& c : cases) {
    const Response r = h_.Get("/bkt/c", c.headers);
    EXPECT_EQ(r.status, c.status) << c.headers[0].first << ": " << c.headers[0].second;
    if (r.status == 304) {
      EXPECT_EQ(r.body, "");
      EXPECT_EQ(r.Header("etag"), etag);
      EXPECT_TRUE(r.HasHeader("last-modified"));
    }
    if (r.status == 412) {
      EXPECT_EQ(r.Code(), "PreconditionFailed");
    }
  }
  EXPECT_EQ(h_.Send("HEAD", "/bkt/c", {{"if-none-match", etag}}).status, 304u);
  EXPECT_EQ(h_.Send("HEAD", "/bkt/c", {{"if-match", "\"x\""}}).status, 412u);
}

// --- Response overrides ---

TEST_F(ObjectsTest, ResponseHeaderOverrides) {
  ASSERT_EQ(h_.Put("/bkt/o", "x", {{"content-type", "text/plain"}}).status, 200u);
  const Response r = h_.Get(
      "/bkt/o?response-content-type=application%2Fjson&response-content-disposition="
      "attachment%3B%20filename%3D%22a.json%22&response-cache-control=no-cache&"
      "response-content-language=de&response-expires=0&response-content-encoding=gzip");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("content-disposition"), "attachment; filename=\"a.json\"");
  EXPECT_EQ(r.Header("cache-control"), "no-cache");
  EXPECT_EQ(r.Header("content-language"), "de");
  EXPECT_EQ(r.Header("expires"), "0");
  EXPECT_EQ(r.Header("content-encoding"), "gzip");
}

TEST_F(ObjectsTest, ResponseOverridesNeedASignedRequest) {
  ASSERT_EQ(h_.Put("/bkt/o", "x").status, 200u);
  auto s = h_.InstallConfig(R"(
[buckets.bkt]
anonymous = "download"
)",
                            {});
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  SendOptions anonymous;
  anonymous.auth = AuthMode::kAnonymous;
  EXPECT_EQ(h_.Send("GET", "/bkt/o", {}, "", anonymous).status, 200u);
  const Response r = h_.Send("GET", "/bkt/o?response-content-type=text%2Fhtml", {}, "", anonymous);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Code(), "InvalidRequest");
}

// --- The 403-instead-of-404 rule ---

TEST_F(ObjectsTest, MissingKeyIsAccessDeniedWithoutListBucket) {
  InstallUsers();
  ASSERT_EQ(h_.Send("PUT", "/bkt/k", {}, "x", As("alice")).status, 200u);
  EXPECT_EQ(h_.Send("GET", "/bkt/k", {}, "", As("alice")).status, 200u);
  const Response alice = h_.Send("GET", "/bkt/missing", {}, "", As("alice"));
  EXPECT_EQ(alice.status, 403u);
  EXPECT_EQ(alice.Code(), "AccessDenied");
  EXPECT_EQ(h_.Send("HEAD", "/bkt/missing", {}, "", As("alice")).status, 403u);
  const Response bob = h_.Send("GET", "/bkt/missing", {}, "", As("bob"));
  EXPECT_EQ(bob.status, 404u);
  EXPECT_EQ(bob.Code(), "NoSuchKey");
}

// --- Versions ---

TEST_F(ObjectsTest, VersionedPutGetAndDeleteMarkers) {
  h_.MakeBucket("ver", /*versioned=*/true);
  const Response v1 = h_.Put("/ver/k", "one");
  const Response v2 = h_.Put("/ver/k", "two");
  ASSERT_EQ(v1.status, 200u);
  const std::string id1 = v1.Header("x-amz-version-id");
  const std::string id2 = v2.Header("x-amz-version-id");
  ASSERT_FALSE(id1.empty());
  ASSERT_NE(id1, id2);
  EXPECT_EQ(h_.Get("/ver/k").body, "two");
  EXPECT_EQ(h_.Get("/ver/k").Header("x-amz-version-id"), id2);
  const Response old = h_.Get("/ver/k?versionId=" + id1);
  EXPECT_EQ(old.body, "one");
  EXPECT_EQ(old.Header("x-amz-version-id"), id1);
  EXPECT_EQ(h_.Get("/ver/k?versionId=").Code(), "InvalidArgument");

  const Response del = h_.Send("DELETE", "/ver/k");
  EXPECT_EQ(del.status, 204u);
  EXPECT_EQ(del.Header("x-amz-delete-marker"), "true");
  const std::string marker = del.Header("x-amz-version-id");
  ASSERT_FALSE(marker.empty());
  const Response gone = h_.Get("/ver/k");
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(gone.Code(), "NoSuchKey");
  EXPECT_EQ(gone.Header("x-amz-delete-marker"), "true");
  const Response on_marker = h_.Get("/ver/k?versionId=" + marker);
  EXPECT_EQ(on_marker.status, 405u);
  EXPECT_EQ(on_marker.Code(), "MethodNotAllowed");
  EXPECT_EQ(on_marker.Header("x-amz-delete-marker"), "true");
  EXPECT_EQ(on_marker.Header("x-amz-version-id"), marker);
  EXPECT_EQ(h_.Send("HEAD", "/ver/k?versionId=" + marker).status, 405u);
  EXPECT_EQ(h_.Get("/ver/k?versionId=" + id2).body, "two");

  // Removing the marker brings the object back.
  const Response unmark = h_.Send("DELETE", "/ver/k?versionId=" + marker);
  EXPECT_EQ(unmark.status, 204u);
  EXPECT_EQ(unmark.Header("x-amz-version-id"), marker);
  EXPECT_EQ(h_.Get("/ver/k").body, "two");
  // Removing a version for good.
  EXPECT_EQ(h_.Send("DELETE", "/ver/k?versionId=" + id2).status, 204u);
  EXPECT_EQ(h_.Get("/ver/k").body, "one");
}

// --- partNumber ---

TEST_F(ObjectsTest, PartNumberOfASinglePutObject) {
  ASSERT_EQ(h_.Put("/bkt/p", "whole").status, 200u);
  const Response one = h_.Get("/bkt/p?partNumber=1");
  EXPECT_EQ(one.status, 200u);
  EXPECT_EQ(one.body, "whole");
  EXPECT_EQ(h_.Get("/bkt/p?partNumber=2").status, 416u);
  EXPECT_EQ(h_.Get("/bkt/p?partNumber=0").Code(), "InvalidArgument");
  EXPECT_EQ(h_.Get("/bkt/p?partNumber=1", {{"range", "bytes=0-1"}}).Code(), "InvalidRequest");
}

TEST_F(ObjectsTest, PartNumberOfAMultipartObject) {
  S3ApiOptions options;
  options.min_part_size_bytes = 1000;
  S3Harness h(options);
  h.MakeBucket("bkt");
  auto& objects = h.objects();
  auto upload = objects.NewMultipartUpload("bkt", "mp", {});
  ASSERT_TRUE(upload.has_value());
  const std::string p1 = Bytes(1500, 1), p2 = Bytes(700, 2);
  std::vector<storage::CompletePart> parts;
  for (std::uint32_t n : {1u, 2u}) {
    storage::StringSource src(n == 1 ? p1 : p2);
    auto part = objects.PutObjectPart("bkt", "mp", *upload, n, src);
    ASSERT_TRUE(part.has_value()) << part.error().ToString();
    parts.push_back({n, part->etag});
  }
  auto done = objects.CompleteMultipartUpload("bkt", "mp", *upload, parts);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();

  const Response second = h.Get("/bkt/mp?partNumber=2");
  ASSERT_EQ(second.status, 206u) << second.body;
  EXPECT_TRUE(second.body == p2);
  EXPECT_EQ(second.Header("x-amz-mp-parts-count"), "2");
  EXPECT_EQ(second.Header("content-range"), "bytes 1500-2199/2200");
  EXPECT_EQ(second.Header("etag"), "\"" + done->etag + "\"");
  EXPECT_EQ(h.Get("/bkt/mp?partNumber=3").status, 416u);
  EXPECT_TRUE(h.Get("/bkt/mp").body == p1 + p2);
}

// --- DeleteObject ---

TEST_F(ObjectsTest, DeleteObject) {
  ASSERT_EQ(h_.Put("/bkt/d", "x").status, 200u);
  const Response del = h_.Send("DELETE", "/bkt/d");
  EXPECT_EQ(del.status, 204u);
  EXPECT_FALSE(del.HasHeader("x-amz-delete-marker"));
  EXPECT_FALSE(del.HasHeader("x-amz-version-id"));
  EXPECT_FALSE(Stored("d"));
  EXPECT_EQ(h_.Send("DELETE", "/bkt/d").status, 204u);  // Missing: still 204.
  EXPECT_EQ(h_.Send("DELETE", "/nobkt/d").Code(), "NoSuchBucket");
}

// --- DeleteObjects ---

TEST_F(ObjectsTest, DeleteObjectsReportsEachKey) {
  for (const char* k : {"a/1", "a/2", "b"})
    ASSERT_EQ(h_.Put(std::string("/bkt/") + k, "x").status, 200u);
  const Response r = DeleteObjects(DeleteXml({"a/1", "a/2", "missing"}));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<DeleteResult"), std::string::npos);
  EXPECT_NE(r.body.find("<Deleted><Key>a/1</Key></Deleted>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<Deleted><Key>a/2</Key></Deleted>"), std::string::npos);
  EXPECT_NE(r.body.find("<Deleted><Key>missing</Key></Deleted>"), std::string::npos);
  EXPECT_EQ(r.body.find("<Error>"), std::string::npos);
  EXPECT_FALSE(Stored("a/1"));
  EXPECT_FALSE(Stored("a/2"));
  EXPECT_TRUE(Stored("b"));

  const Response quiet = DeleteObjects(DeleteXml({"b"}, /*quiet=*/true));
  ASSERT_EQ(quiet.status, 200u);
  EXPECT_EQ(quiet.body.find("<Deleted>"), std::string::npos) << quiet.body;
  EXPECT_FALSE(Stored("b"));
}

TEST_F(ObjectsTest, DeleteObjectsInAVersionedBucketReportsMarkers) {
  h_.MakeBucket("ver", /*versioned=*/true);
  const std::string id = h_.Put("/ver/k", "x").Header("x-amz-version-id");
  const std::string xml = "<Delete><Object><Key>k</Key></Object></Delete>";
  const Response r = h_.Send("POST", "/ver?delete", {{"content-md5", h_.ContentMd5(xml)}}, xml);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.XmlText("DeleteMarker"), "true");
  EXPECT_FALSE(r.XmlText("DeleteMarkerVersionId").empty());
  const std::string by_version =
      "<Delete><Object><Key>k</Key><VersionId>" + id + "</VersionId></Object></Delete>";
  const Response v =
      h_.Send("POST", "/ver?delete", {{"content-md5", h_.ContentMd5(by_version)}}, by_version);
  ASSERT_EQ(v.status, 200u);
  EXPECT_EQ(v.XmlText("VersionId"), id);
  EXPECT_FALSE(h_.objects().StatObject("ver", "k", id).has_value());
}

TEST_F(ObjectsTest, DeleteObjectsNeedsAnIntegrityHeader) {
  ASSERT_EQ(h_.Put("/bkt/k", "x").status, 200u);
  const std::string xml = DeleteXml({"k"});
  const Response none = h_.Send("POST", "/bkt?delete", {}, xml);
  EXPECT_EQ(none.status, 400u);
  EXPECT_EQ(none.Code(), "InvalidRequest");
  const Response wrong = h_.Send("POST", "/bkt?delete", {{"content-md5", h_.ContentMd5("x")}}, xml);
  EXPECT_EQ(wrong.Code(), "BadDigest");
  EXPECT_TRUE(Stored("k"));
  const Response sha =
      h_.Send("POST", "/bkt?delete", {{"x-amz-checksum-sha256", Sha256Checksum(xml)}}, xml);
  EXPECT_EQ(sha.status, 200u) << sha.body;
  EXPECT_FALSE(Stored("k"));
}

TEST_F(ObjectsTest, DeleteObjectsRefusesBadDocuments) {
  EXPECT_EQ(DeleteObjects("<Delete><Object><Key>k</Key></Object>").Code(), "MalformedXML");
  EXPECT_EQ(DeleteObjects("<Delete></Delete>").Code(), "MalformedXML");
  EXPECT_EQ(DeleteObjects("<Other><Object><Key>k</Key></Object></Other>").Code(), "MalformedXML");
  EXPECT_EQ(DeleteObjects("<Delete><Object><VersionId>1</VersionId></Object></Delete>").Code(),
            "MalformedXML");
  std::vector<std::string> keys;
  for (int i = 0; i < 1001; ++i) keys.push_back("k" + std::to_string(i));
  EXPECT_EQ(DeleteObjects(DeleteXml(keys)).Code(), "MalformedXML");
  keys.pop_back();
  EXPECT_EQ(DeleteObjects(DeleteXml(keys, /*quiet=*/true)).status, 200u);
}

TEST_F(ObjectsTest, DeleteObjectsAuthorizesEachKey) {
  InstallUsers();
  for (const char* k : {"a/1", "b/1"})
    ASSERT_EQ(h_.Put(std::string("/bkt/") + k, "x").status, 200u);
  const Response r = DeleteObjects(DeleteXml({"a/1", "b/1"}), As("carol"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<Deleted><Key>a/1</Key></Deleted>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<Error><Key>b/1</Key><Code>AccessDenied</Code>"), std::string::npos)
      << r.body;
  EXPECT_FALSE(Stored("a/1"));
  EXPECT_TRUE(Stored("b/1"));
  // A named version needs s3:DeleteObjectVersion, which carol lacks.
  ASSERT_EQ(h_.Put("/bkt/a/2", "x").status, 200u);
  const std::string xml =
      "<Delete><Object><Key>a/2</Key><VersionId>null</VersionId></Object></Delete>";
  const Response v = DeleteObjects(xml, As("carol"));
  ASSERT_EQ(v.status, 200u) << v.body;
  EXPECT_EQ(v.XmlText("Code"), "AccessDenied") << v.body;
  EXPECT_TRUE(Stored("a/2"));
}

// --- CopyObject ---

TEST_F(ObjectsTest, CopyKeepsOrReplacesMetadata) {
  const Response put =
      h_.Put("/bkt/src%20key", "source",
             {{"content-type", "text/plain"}, {"x-amz-meta-a", "1"}, {"x-amz-tagging", "t=1"}});
  ASSERT_EQ(put.status, 200u) << put.body;
  const std::string etag = put.Header("etag");
  // The target is encoded as a client would; so is the copy source.
  const Response copy = h_.Send("PUT", "/bkt/dst", {{"x-amz-copy-source", "/bkt/src%20key"}});
  ASSERT_EQ(copy.status, 200u) << copy.body;
  EXPECT_EQ(copy.XmlText("ETag"), "&quot;" + etag.substr(1, etag.size() - 2) + "&quot;");
  EXPECT_FALSE(copy.XmlText("LastModified").empty());
  const Response got = h_.Get("/bkt/dst");
  EXPECT_EQ(got.body, "source");
  EXPECT_EQ(got.Header("content-type"), "text/plain");
  EXPECT_EQ(got.Header("x-amz-meta-a"), "1");
  EXPECT_EQ(got.Header("x-amz-tagging-count"), "1");

  const Response replace = h_.Send("PUT", "/bkt/dst2",
                                   {{"x-amz-copy-source", "bkt/src%20key"},
                                    {"x-amz-metadata-directive", "REPLACE"},
                                    {"x-amz-tagging-directive", "REPLACE"},
                                    {"x-amz-meta-b", "2"}});
  ASSERT_EQ(replace.status, 200u) << replace.body;
  const Response got2 = h_.Get("/bkt/dst2");
  EXPECT_EQ(got2.body, "source");
  EXPECT_EQ(got2.Header("content-type"), "binary/octet-stream");
  EXPECT_FALSE(got2.HasHeader("x-amz-meta-a"));
  EXPECT_EQ(got2.Header("x-amz-meta-b"), "2");
  EXPECT_FALSE(got2.HasHeader("x-amz-tagging-count"));
  EXPECT_EQ(h_.Send("PUT", "/bkt/dst3",
                    {{"x-amz-copy-source", "bkt/src%20key"}, {"x-amz-metadata-directive", "MOVE"}})
                .Code(),
            "InvalidArgument");
}

TEST_F(ObjectsTest, CopyOntoItselfNeedsReplace) {
  ASSERT_EQ(h_.Put("/bkt/self", "x", {{"x-amz-meta-a", "1"}}).status, 200u);
  EXPECT_EQ(h_.Send("PUT", "/bkt/self", {{"x-amz-copy-source", "bkt/self"}}).Code(),
            "InvalidRequest");
  const Response r = h_.Send("PUT", "/bkt/self",
                             {{"x-amz-copy-source", "bkt/self"},
                              {"x-amz-metadata-directive", "REPLACE"},
                              {"x-amz-meta-a", "2"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  const Response got = h_.Get("/bkt/self");
  EXPECT_EQ(got.body, "x");
  EXPECT_EQ(got.Header("x-amz-meta-a"), "2");
}

TEST_F(ObjectsTest, CopySourceConditions) {
  ASSERT_EQ(h_.Put("/bkt/s", "hello").status, 200u);
  const std::string etag = "\"5d41402abc4b2a76b9719d911017c592\"";
  const HeaderList source = {{"x-amz-copy-source", "bkt/s"}};
  auto copy = [&](HeaderList extra) {
    HeaderList h = source;
    for (auto& e : extra) h.push_back(e);
    return h_.Send("PUT", "/bkt/d", h);
  };
  EXPECT_EQ(copy({{"x-amz-copy-source-if-match", etag}}).status, 200u);
  EXPECT_EQ(copy({{"x-amz-copy-source-if-match", "\"nope\""}}).Code(), "PreconditionFailed");
  EXPECT_EQ(copy({{"x-amz-copy-source-if-none-match", etag}}).status, 412u);
  EXPECT_EQ(copy({{"x-amz-copy-source-if-modified-since", "Fri, 02 Jan 2026 00:00:00 GMT"}}).status,
            412u);
  EXPECT_EQ(
      copy({{"x-amz-copy-source-if-unmodified-since", "Wed, 31 Dec 2025 00:00:00 GMT"}}).status,
      412u);
  EXPECT_EQ(copy({{"x-amz-copy-source-if-match", etag},
                  {"x-amz-copy-source-if-unmodified-since", "Wed, 31 Dec 2025 00:00:00 GMT"}})
                .status,
            200u);
}

TEST_F(ObjectsTest, CopyErrors) {
  EXPECT_EQ(h_.Send("PUT", "/bkt/d", {{"x-amz-copy-source", "bkt/missing"}}).Code(), "NoSuchKey");
  EXPECT_EQ(h_.Send("PUT", "/bkt/d", {{"x-amz-copy-source", "nobkt/k"}}).Code(), "NoSuchBucket");
  EXPECT_EQ(h_.Send("PUT", "/bkt/d", {{"x-amz-copy-source", "bkt"}}).Code(), "InvalidArgument");
  EXPECT_EQ(h_.Send("PUT", "/bkt/d", {{"x-amz-copy-source", "bkt/"}}).Code(), "InvalidArgument");
}

TEST_F(ObjectsTest, CopyOfALargeObjectAndOfAVersion) {
  h_.MakeBucket("ver", /*versioned=*/true);
  const std::string big = Bytes(2 * 1024 * 1024 + 12345, 5);
  const std::string id1 = h_.Put("/ver/src", big).Header("x-amz-version-id");
  ASSERT_EQ(h_.Put("/ver/src", "newer").status, 200u);
  const Response copy =
      h_.Send("PUT", "/bkt/copy", {{"x-amz-copy-source", "/ver/src?versionId=" + id1}});
  ASSERT_EQ(copy.status, 200u) << copy.body;
  EXPECT_EQ(copy.Header("x-amz-copy-source-version-id"), id1);
  EXPECT_TRUE(h_.Get("/bkt/copy").body == big);
  const Response latest = h_.Send("PUT", "/ver/copy", {{"x-amz-copy-source", "ver/src"}});
  ASSERT_EQ(latest.status, 200u);
  EXPECT_FALSE(latest.Header("x-amz-version-id").empty());
  EXPECT_EQ(h_.Get("/ver/copy").body, "newer");
}

TEST_F(ObjectsTest, CopyNeedsReadAccessToTheSource) {
  InstallUsers();
  h_.MakeBucket("other");
  ASSERT_EQ(h_.Put("/other/secret", "x").status, 200u);
  const Response r =
      h_.Send("PUT", "/bkt/stolen", {{"x-amz-copy-source", "other/secret"}}, "", As("alice"));
  EXPECT_EQ(r.Code(), "AccessDenied");
  EXPECT_FALSE(Stored("stolen"));
}

// --- GetObjectAcl ---

TEST_F(ObjectsTest, GetObjectAclIsOwnerFullControl) {
  ASSERT_EQ(h_.Put("/bkt/k", "x").status, 200u);
  const Response r = h_.Get("/bkt/k?acl");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<AccessControlPolicy"), std::string::npos);
  EXPECT_EQ(r.XmlText("Permission"), "FULL_CONTROL");
  EXPECT_EQ(h_.Get("/bkt/none?acl").Code(), "NoSuchKey");
}

}  // namespace
}  // namespace coffer::core::s3
