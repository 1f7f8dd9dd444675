// The bucket handlers (buckets.cc) through the whole request core: signed
// requests from the harness, S3Api::Serve, an erasure set over memory drives.

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

// Every text of <name> elements (without attributes) in document order.
// alice may list bkt-a only; nobody may do anything.
constexpr std::string_view kConfig = R"(
[users.alice]
secret = "env:ALICE_SECRET"
policies = ["list-a"]

[users.nobody]
secret = "env:NOBODY_SECRET"
policies = ["get-nothing"]

[policies.list-a]
json = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::bkt-a"]}]}'''

[policies.get-nothing]
json = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::nowhere/*"]}]}'''

[buckets.repo-bkt]
versioning = true

[buckets.pub-bkt]
anonymous = "download"
)";

const std::map<std::string, std::string> kSecrets = {
    {"ALICE_SECRET", "alice-secret-value-0123"},
    {"NOBODY_SECRET", "nobody-secret-value-0123"},
};

SendOptions As(std::string user, std::string secret) {
  SendOptions o;
  o.access_key = std::move(user);
  o.secret_key = std::move(secret);
  return o;
}

std::string VersioningBody(std::string_view inner) {
  return "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
         std::string(inner) + "</VersioningConfiguration>";
}

std::string LocationBody(std::string_view region) {
  return "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<LocationConstraint>" +
         std::string(region) + "</LocationConstraint></CreateBucketConfiguration>";
}

TEST(Buckets, ListBucketsShowsOwnerAndEveryBucketByName) {
  S3Harness h;
  h.MakeBucket("bkt-b");
  h.MakeBucket("bkt-a");
  const Response r = h.Get("/");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/xml");
  EXPECT_EQ(testing::XmlTexts(r.body, "Name"), (std::vector<std::string>{"bkt-a", "bkt-b"}));
  EXPECT_EQ(r.XmlText("DisplayName"), "coffer");
  EXPECT_EQ(r.XmlText("ID").size(), 64u);
  const auto dates = testing::XmlTexts(r.body, "CreationDate");
  ASSERT_EQ(dates.size(), 2u);
  EXPECT_TRUE(testing::IsIso8601Millis(dates[0])) << dates[0];
}

TEST(Buckets, ListBucketsWithoutListAllMyBucketsShowsOnlyListableBuckets) {
  S3Harness h;
  h.MakeBucket("bkt-a");
  h.MakeBucket("bkt-b");
  ASSERT_TRUE(h.InstallConfig(kConfig, kSecrets).has_value());
  const Response alice = h.Send("GET", "/", {}, "", As("alice", "alice-secret-value-0123"));
  ASSERT_EQ(alice.status, 200u) << alice.body;
  EXPECT_EQ(testing::XmlTexts(alice.body, "Name"), std::vector<std::string>{"bkt-a"});

  const Response nobody = h.Send("GET", "/", {}, "", As("nobody", "nobody-secret-value-0123"));
  EXPECT_EQ(nobody.status, 403u);
  EXPECT_EQ(nobody.Code(), "AccessDenied");

  // Anonymous callers may list pub-bkt's objects, but never the bucket names.
  h.MakeBucket("pub-bkt");
  SendOptions anonymous;
  anonymous.auth = testing::AuthMode::kAnonymous;
  EXPECT_EQ(h.Send("GET", "/pub-bkt", {}, "", anonymous).status, 200u);
  EXPECT_EQ(h.Send("GET", "/", {}, "", anonymous).Code(), "AccessDenied");
}

TEST(Buckets, CreateBucketAnswersLocationAndRefusesAnExistingBucket) {
  S3Harness h;
  const Response created = h.Send("PUT", "/new-bkt");
  ASSERT_EQ(created.status, 200u) << created.body;
  EXPECT_EQ(created.Header("location"), "/new-bkt");
  EXPECT_TRUE(h.objects().GetBucketInfo("new-bkt").has_value());

  const Response again = h.Send("PUT", "/new-bkt");
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(again.Code(), "BucketAlreadyOwnedByYou");

  const Response bad_name = h.Send("PUT", "/Bad_Name");
  EXPECT_EQ(bad_name.status, 400u);
  EXPECT_EQ(bad_name.Code(), "InvalidBucketName");
}

TEST(Buckets, CreateBucketChecksTheLocationConstraintInUsEast1) {
  S3Harness h;
  EXPECT_EQ(h.Send("PUT", "/b-empty", {}, LocationBody("")).status, 200u);
  EXPECT_EQ(h.Send("PUT", "/b-east", {}, LocationBody("us-east-1")).status, 200u);
  const Response other = h.Send("PUT", "/b-west", {}, LocationBody("eu-west-1"));
  EXPECT_EQ(other.status, 400u);
  EXPECT_EQ(other.Code(), "InvalidArgument");
  EXPECT_FALSE(h.objects().GetBucketInfo("b-west").has_value());

  const Response malformed = h.Send("PUT", "/b-bad", {}, "<CreateBucketConfiguration>");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(malformed.Code(), "MalformedXML");
  const Response wrong_root = h.Send("PUT", "/b-bad", {}, "<Other/>");
  EXPECT_EQ(wrong_root.Code(), "MalformedXML");
  EXPECT_FALSE(h.objects().GetBucketInfo("b-bad").has_value());
}

TEST(Buckets, CreateBucketInAnotherRegionNeedsThatRegion) {
  S3ApiOptions options;
  options.region = "eu-central-1";
  S3Harness h(options);
  SendOptions eu;
  eu.region = "eu-central-1";
  EXPECT_EQ(h.Send("PUT", "/b-none", {}, "", eu).status, 200u);
  EXPECT_EQ(h.Send("PUT", "/b-same", {}, LocationBody("eu-central-1"), eu).status, 200u);
  EXPECT_EQ(h.Send("PUT", "/b-east", {}, LocationBody("us-east-1"), eu).Code(), "InvalidArgument");
  EXPECT_EQ(h.Send("PUT", "/b-empty", {}, LocationBody(""), eu).Code(), "InvalidArgument");
  EXPECT_FALSE(h.objects().GetBucketInfo("b-east").has_value());

  const Response location = h.Send("GET", "/b-same?location", {}, "", eu);
  ASSERT_EQ(location.status, 200u);
  EXPECT_NE(location.body.find(">eu-central-1</LocationConstraint>"), std::string::npos)
      << location.body;
  const Response head = h.Send("HEAD", "/b-same", {}, "", eu);
  EXPECT_EQ(head.Header("x-amz-bucket-region"), "eu-central-1");
}

TEST(Buckets, GetBucketLocationIsEmptyInUsEast1) {
  S3Harness h;
  h.MakeBucket("bkt");
  const Response r = h.Get("/bkt?location");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "</LocationConstraint>"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(h.Get("/nope-bkt?location").Code(), "NoSuchBucket");
}

TEST(Buckets, HeadBucketAnswersRegionOrNotFound) {
  S3Harness h;
  h.MakeBucket("bkt");
  const Response ok = h.Send("HEAD", "/bkt");
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(ok.Header("x-amz-bucket-region"), "us-east-1");
  EXPECT_TRUE(ok.finished);
  EXPECT_EQ(h.Send("HEAD", "/nope-bkt").status, 404u);
}

TEST(Buckets, DeleteBucketRefusesANonEmptyBucket) {
  S3Harness h;
  h.MakeBucket("bkt");
  storage::StringSource body("x");
  ASSERT_TRUE(h.objects().PutObject("bkt", "k", body, {}).has_value());
  const Response full = h.Send("DELETE", "/bkt");
  EXPECT_EQ(full.status, 409u);
  EXPECT_EQ(full.Code(), "BucketNotEmpty");
  EXPECT_TRUE(h.objects().GetBucketInfo("bkt").has_value());

  ASSERT_TRUE(h.objects().DeleteObject("bkt", "k", "").has_value());
  const Response empty = h.Send("DELETE", "/bkt");
  EXPECT_EQ(empty.status, 204u) << empty.body;
  EXPECT_EQ(h.Send("HEAD", "/bkt").status, 404u);
  EXPECT_EQ(h.Send("DELETE", "/bkt").Code(), "NoSuchBucket");
}

TEST(Buckets, DeleteBucketRefusesABucketWithAnUploadInProgress) {
  S3Harness h;
  h.MakeBucket("bkt");
  ASSERT_TRUE(h.objects().NewMultipartUpload("bkt", "k", {}).has_value());
  EXPECT_EQ(h.Send("DELETE", "/bkt").Code(), "BucketNotEmpty");
}

TEST(Buckets, RepoOwnedBucketCannotBeDeletedOrReversioned) {
  S3Harness h;
  h.MakeBucket("repo-bkt", /*versioned=*/true);
  ASSERT_TRUE(h.InstallConfig(kConfig, kSecrets).has_value());
  const Response del = h.Send("DELETE", "/repo-bkt");
  EXPECT_EQ(del.status, 403u);
  EXPECT_EQ(del.Code(), "AccessDenied");
  EXPECT_NE(del.XmlText("Message").find("config repo"), std::string::npos) << del.body;
  EXPECT_TRUE(h.objects().GetBucketInfo("repo-bkt").has_value());

  const Response ver =
      h.Send("PUT", "/repo-bkt?versioning", {}, VersioningBody("<Status>Suspended</Status>"));
  EXPECT_EQ(ver.status, 403u);
  EXPECT_NE(ver.XmlText("Message").find("config repo"), std::string::npos) << ver.body;
  EXPECT_EQ(h.objects().GetBucketInfo("repo-bkt")->versioning, storage::VersioningState::kEnabled);
}

TEST(Buckets, VersioningGoesFromNoneToEnabledToSuspended) {
  S3Harness h;
  h.MakeBucket("bkt");
  const Response none = h.Get("/bkt?versioning");
  ASSERT_EQ(none.status, 200u) << none.body;
  EXPECT_NE(none.body.find("<VersioningConfiguration"), std::string::npos);
  EXPECT_EQ(none.body.find("<Status>"), std::string::npos) << none.body;

  EXPECT_EQ(h.Send("PUT", "/bkt?versioning", {}, VersioningBody("<Status>Enabled</Status>")).status,
            200u);
  EXPECT_EQ(h.Get("/bkt?versioning").XmlText("Status"), "Enabled");
  EXPECT_EQ(h.Send("PUT", "/bkt?versioning", {},
                   VersioningBody("<Status>Suspended</Status><MFADelete>Disabled</MFADelete>"))
                .status,
            200u);
  EXPECT_EQ(h.Get("/bkt?versioning").XmlText("Status"), "Suspended");
  EXPECT_EQ(h.objects().GetBucketInfo("bkt")->versioning, storage::VersioningState::kSuspended);
}

TEST(Buckets, PutBucketVersioningRefusesBadDocuments) {
  S3Harness h;
  h.MakeBucket("bkt");
  EXPECT_EQ(h.Send("PUT", "/bkt?versioning", {}, "<VersioningConfiguration><Status>").Code(),
            "MalformedXML");
  EXPECT_EQ(h.Send("PUT", "/bkt?versioning", {}, VersioningBody("<Status>On</Status>")).Code(),
            "IllegalVersioningConfigurationException");
  EXPECT_EQ(h.Send("PUT", "/bkt?versioning", {}, VersioningBody("")).Code(),
            "IllegalVersioningConfigurationException");
  const Response mfa =
      h.Send("PUT", "/bkt?versioning", {},
             VersioningBody("<Status>Enabled</Status><MFADelete>Enabled</MFADelete>"));
  EXPECT_EQ(mfa.status, 501u);
  EXPECT_EQ(mfa.Code(), "NotImplemented");
  EXPECT_EQ(h.Send("PUT", "/bkt?versioning").Code(), "MissingRequestBodyError");
  EXPECT_EQ(h.objects().GetBucketInfo("bkt")->versioning, storage::VersioningState::kUnversioned);
  EXPECT_EQ(
      h.Send("PUT", "/nope-bkt?versioning", {}, VersioningBody("<Status>Enabled</Status>")).Code(),
      "NoSuchBucket");
}

TEST(Buckets, GetBucketAclIsTheCannedOwnerFullControl) {
  S3Harness h;
  h.MakeBucket("bkt");
  const Response r = h.Get("/bkt?acl");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<AccessControlPolicy"), std::string::npos);
  EXPECT_EQ(r.XmlText("Permission"), "FULL_CONTROL");
  EXPECT_NE(r.body.find("xsi:type=\"CanonicalUser\""), std::string::npos);
  EXPECT_EQ(testing::XmlTexts(r.body, "ID").size(), 2u);
  EXPECT_EQ(h.Get("/nope-bkt?acl").Code(), "NoSuchBucket");
}

}  // namespace
}  // namespace coffer::core::s3
