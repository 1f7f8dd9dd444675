// Authorization through the S3 API: the examples of the security overview
// (readwrite on a bucket, the per-user prefix policy with ${aws:username},
// readonly, writeonly, anonymous download, a bucket policy that needs TLS, one
// that allows a source IP range, a Deny on a prefix that beats an Allow), and
// bucket policies set through the S3 API on runtime buckets versus repo ones.

#include <gtest/gtest.h>

#include "../../../src/core/s3/authorize.h"
#include "harness.h"

namespace coffer::core::s3::testing {
namespace {

constexpr const char* kConfig = R"(
[users.alice]
secret = "env:ALICE"
policies = ["mybucket-rw"]
[users.bob]
secret = "env:BOB"
policies = ["home"]
[users.viewer]
secret = "env:VIEWER"
policies = ["readonly"]
[users.writer]
secret = "env:WRITER"
policies = ["writeonly"]
[users.off]
secret = "env:OFF"
enabled = false
policies = ["readwrite"]
[policies.mybucket-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::mybucket","arn:aws:s3:::mybucket/*"]}]}'''
[policies.home]
json = '''{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home",
   "Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}},
  {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],
   "Resource":"arn:aws:s3:::home/${aws:username}/*"}]}'''
[buckets.mybucket]
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
  "Action":"s3:PutObject","Resource":"arn:aws:s3:::mybucket/locked/*"}]}'''
[buckets.home]
[buckets.public]
anonymous = "download"
[buckets.tlsonly]
policy = '''{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::tlsonly/*"},
  {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::tlsonly/*",
   "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'''
[buckets.lan]
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::lan/*",
  "Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}]}'''
)";

SendOptions As(const std::string& user) {
  SendOptions o;
  o.access_key = user;
  o.secret_key = user + "-secret-key";
  return o;
}

SendOptions Anonymous() {
  SendOptions o;
  o.auth = AuthMode::kAnonymous;
  return o;
}

class AuthzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* b : {"mybucket", "home", "public", "tlsonly", "lan", "scratch"}) {
      h_.MakeBucket(b);
    }
    auto s = h_.InstallConfig(kConfig, {{"ALICE", "alice-secret-key"},
                                        {"BOB", "bob-secret-key"},
                                        {"VIEWER", "viewer-secret-key"},
                                        {"WRITER", "writer-secret-key"},
                                        {"OFF", "off-secret-key"}});
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    for (const char* target : {"/mybucket/a", "/home/bob/x", "/home/carol/x", "/public/p",
                               "/tlsonly/t", "/lan/l", "/scratch/s"}) {
      ASSERT_EQ(h_.Put(target, "data").status, 200u) << target;
    }
  }

  unsigned Status(std::string_view method, std::string_view target, const SendOptions& o,
                  std::string body = "") {
    return h_.Send(method, target, {}, std::move(body), o).status;
  }

  S3Harness h_;
};

TEST_F(AuthzTest, ReadWriteOnOneBucketOnly) {
  EXPECT_EQ(Status("GET", "/mybucket/a", As("alice")), 200u);
  EXPECT_EQ(Status("PUT", "/mybucket/b", As("alice"), "x"), 200u);
  EXPECT_EQ(Status("GET", "/mybucket?list-type=2", As("alice")), 200u);
  EXPECT_EQ(Status("GET", "/home/bob/x", As("alice")), 403u);
  EXPECT_EQ(Status("PUT", "/scratch/b", As("alice"), "x"), 403u);
}

TEST_F(AuthzTest, BucketDenyOnAPrefixBeatsTheUsersAllow) {
  EXPECT_EQ(Status("PUT", "/mybucket/locked/x", As("alice"), "x"), 403u);
  EXPECT_FALSE(h_.objects().StatObject("mybucket", "locked/x", "").has_value());
  // Root is not subject to policies, as MinIO's root.
  EXPECT_EQ(h_.Put("/mybucket/locked/x", "x").status, 200u);
}

TEST_F(AuthzTest, PerUserPrefixWithUsernameVariable) {
  EXPECT_EQ(Status("GET", "/home/bob/x", As("bob")), 200u);
  EXPECT_EQ(Status("PUT", "/home/bob/y", As("bob"), "x"), 200u);
  EXPECT_EQ(Status("GET", "/home/carol/x", As("bob")), 403u);
  EXPECT_EQ(Status("PUT", "/home/carol/y", As("bob"), "x"), 403u);
  EXPECT_EQ(Status("GET", "/home?list-type=2&prefix=bob%2F", As("bob")), 200u);
  EXPECT_EQ(Status("GET", "/home?list-type=2&prefix=carol%2F", As("bob")), 403u);
  EXPECT_EQ(Status("GET", "/home?list-type=2", As("bob")), 403u);
}

TEST_F(AuthzTest, ReadonlyAndWriteonlyBuiltins) {
  EXPECT_EQ(Status("GET", "/scratch/s", As("viewer")), 200u);
  EXPECT_EQ(Status("PUT", "/scratch/v", As("viewer"), "x"), 403u);
  EXPECT_EQ(Status("DELETE", "/scratch/s", As("viewer")), 403u);
  EXPECT_EQ(Status("PUT", "/scratch/w", As("writer"), "x"), 200u);
  EXPECT_EQ(Status("GET", "/scratch/s", As("writer")), 403u);
}

TEST_F(AuthzTest, DisabledUserAndUnknownKeyAreRefused) {
  const Response off = h_.Send("GET", "/scratch/s", {}, "", As("off"));
  EXPECT_EQ(off.status, 403u);
  EXPECT_EQ(off.Code(), "InvalidAccessKeyId");
  const Response wrong = h_.Send("GET", "/scratch/s", {}, "", [] {
    SendOptions o = As("alice");
    o.secret_key = "not-alices-secret";
    return o;
  }());
  EXPECT_EQ(wrong.Code(), "SignatureDoesNotMatch");
}

TEST_F(AuthzTest, AnonymousDownloadShortcut) {
  EXPECT_EQ(Status("GET", "/public/p", Anonymous()), 200u);
  EXPECT_EQ(Status("GET", "/public?list-type=2", Anonymous()), 200u);
  EXPECT_EQ(Status("PUT", "/public/q", Anonymous(), "x"), 403u);
  EXPECT_EQ(Status("GET", "/scratch/s", Anonymous()), 403u);
  // ListBuckets needs credentials.
  EXPECT_EQ(Status("GET", "/", Anonymous()), 403u);
}

TEST_F(AuthzTest, BucketPolicyDeniesPlainHttp) {
  SendOptions tls = Anonymous();
  tls.secure = true;
  EXPECT_EQ(Status("GET", "/tlsonly/t", tls), 200u);
  const Response plain = h_.Send("GET", "/tlsonly/t", {}, "", Anonymous());
  EXPECT_EQ(plain.status, 403u);
  EXPECT_EQ(plain.Code(), "AccessDenied");
  // The client learns nothing about the policy.
  EXPECT_EQ(plain.body.find("SecureTransport"), std::string::npos);
}

TEST_F(AuthzTest, BucketPolicyAllowsASourceIpRange) {
  SendOptions inside = Anonymous();
  inside.remote_address = "10.1.2.3:40000";
  SendOptions outside = Anonymous();
  outside.remote_address = "10.2.0.1:40000";
  SendOptions v6 = Anonymous();
  v6.remote_address = "[::1]:40000";
  EXPECT_EQ(Status("GET", "/lan/l", inside), 200u);
  EXPECT_EQ(Status("GET", "/lan/l", outside), 403u);
  EXPECT_EQ(Status("GET", "/lan/l", v6), 403u);
}

TEST_F(AuthzTest, BucketPolicyThroughTheS3ApiOnARuntimeBucket) {
  EXPECT_EQ(h_.Send("GET", "/scratch?policy").Code(), "NoSuchBucketPolicy");
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::scratch/*"}]})";
  EXPECT_EQ(Status("GET", "/scratch/s", Anonymous()), 403u);
  ASSERT_EQ(h_.Send("PUT", "/scratch?policy", {}, policy).status, 204u);
  // Hot: the very next request sees it.
  EXPECT_EQ(Status("GET", "/scratch/s", Anonymous()), 200u);
  const Response got = h_.Send("GET", "/scratch?policy");
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.body, policy);
  ASSERT_EQ(h_.Send("DELETE", "/scratch?policy").status, 204u);
  EXPECT_EQ(Status("GET", "/scratch/s", Anonymous()), 403u);
}

TEST_F(AuthzTest, BucketPolicyOfARepoBucketIsTheReposToChange) {
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::mybucket/*"}]})";
  const Response put = h_.Send("PUT", "/mybucket?policy", {}, policy);
  EXPECT_EQ(put.status, 403u);
  EXPECT_EQ(put.Code(), "AccessDenied");
  EXPECT_NE(put.XmlText("Message").find("config repo (revision harness"), std::string::npos)
      << put.body;
  EXPECT_EQ(h_.Send("DELETE", "/mybucket?policy").status, 403u);
  // Reading shows the repo's policy.
  const Response got = h_.Send("GET", "/mybucket?policy");
  EXPECT_EQ(got.status, 200u);
  EXPECT_NE(got.body.find("locked"), std::string::npos);
}

TEST_F(AuthzTest, MalformedBucketPoliciesAreRefused) {
  EXPECT_EQ(h_.Send("PUT", "/scratch?policy", {}, "{not json").Code(), "MalformedPolicy");
  const std::string other_bucket =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::mybucket/*"}]})";
  EXPECT_EQ(h_.Send("PUT", "/scratch?policy", {}, other_bucket).Code(), "MalformedPolicy");
  EXPECT_EQ(h_.Send("PUT", "/scratch?policy", {}, std::string(21 * 1024, ' ')).Code(),
            "MalformedPolicy");
  EXPECT_EQ(h_.Send("GET", "/scratch?policy").Code(), "NoSuchBucketPolicy");
  EXPECT_EQ(h_.Send("PUT", "/nosuchbucket?policy", {}, other_bucket).Code(), "NoSuchBucket");
}

TEST_F(AuthzTest, UsersNeedPutBucketPolicyToSetOne) {
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::scratch/*"}]})";
  EXPECT_EQ(h_.Send("PUT", "/scratch?policy", {}, policy, As("viewer")).status, 403u);
  EXPECT_EQ(Status("GET", "/scratch/s", Anonymous()), 403u);
}

TEST_F(AuthzTest, DefaultEncryptionSettingRoundTrips) {
  EXPECT_EQ(h_.Send("GET", "/scratch?encryption").Code(),
            "ServerSideEncryptionConfigurationNotFoundError");
  const std::string sse =
      "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
      "<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
      "</ServerSideEncryptionConfiguration>";
  ASSERT_EQ(h_.Send("PUT", "/scratch?encryption", {}, sse).status, 200u);
  EXPECT_EQ(h_.Send("GET", "/scratch?encryption").XmlText("SSEAlgorithm"), "AES256");
  EXPECT_EQ(h_.Send("PUT", "/mybucket?encryption", {}, sse).status, 403u);
  EXPECT_EQ(h_.Send("PUT", "/scratch?encryption", {}, "<x/>").Code(), "MalformedXML");
  ASSERT_EQ(h_.Send("DELETE", "/scratch?encryption").status, 204u);
  EXPECT_EQ(h_.Send("GET", "/scratch?encryption").status, 404u);
}

TEST(SourceIp, ForwardedForOnlyFromTrustedProxies) {
  HttpRequest r;
  r.remote_address = "10.0.0.5:3456";
  r.headers = {{"x-forwarded-for", "203.0.113.7, 10.0.0.9"}};
  const std::vector<std::string> none;
  const std::vector<std::string> proxies = {"10.0.0.0/24"};
  // Untrusted peer (or no proxies configured): the header is ignored.
  EXPECT_EQ(SourceIp(r, none), "10.0.0.5");
  r.remote_address = "192.0.2.1:1";
  EXPECT_EQ(SourceIp(r, proxies), "192.0.2.1");
  // Trusted peer: the right-most hop that is not itself a trusted proxy.
  r.remote_address = "10.0.0.5:3456";
  EXPECT_EQ(SourceIp(r, proxies), "203.0.113.7");
  // A client cannot smuggle an address past an untrusted hop.
  r.headers = {{"x-forwarded-for", "1.2.3.4, 198.51.100.2"}};
  EXPECT_EQ(SourceIp(r, proxies), "198.51.100.2");
  // Garbage stops the walk at the last good hop; IPv6 peers work too.
  r.headers = {{"x-forwarded-for", "not-an-ip"}};
  EXPECT_EQ(SourceIp(r, proxies), "10.0.0.5");
  r.remote_address = "[fd00::1]:99";
  r.headers = {{"x-forwarded-for", "2001:db8::7"}};
  const std::vector<std::string> v6 = {"fd00::/8"};
  EXPECT_EQ(SourceIp(r, v6), "2001:db8::7");
}

}  // namespace
}  // namespace coffer::core::s3::testing
