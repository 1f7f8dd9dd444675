// Object tagging (tagging.cc) and the body parsers (xml_bodies.cc).

#include <gtest/gtest.h>

#include "coffer/core/auth/s3_errors.h"

#include "../../../src/core/s3/xml_bodies.h"
#include "harness.h"

namespace coffer::core::s3 {
namespace {

using testing::Response;
using testing::S3Harness;

std::string CodeOf(const base::Error& e) { return std::string(auth::ToS3ErrorReply(e).info->name); }

std::string TaggingDoc(const TagSet& tags) {
  std::string xml = "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>";
  for (const auto& [k, v] : tags) xml += "<Tag><Key>" + k + "</Key><Value>" + v + "</Value></Tag>";
  return xml + "</TagSet></Tagging>";
}

class TaggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.MakeBucket("bkt");
    ASSERT_EQ(h_.Put("/bkt/k", "x").status, 200u);
  }
  Response PutTags(const std::string& target, const std::string& xml) {
    return h_.Send("PUT", target, {{"content-md5", h_.ContentMd5(xml)}}, xml);
  }
  S3Harness h_;
};

TEST_F(TaggingTest, PutGetDelete) {
  EXPECT_EQ(h_.Get("/bkt/k?tagging").body.find("<Tag>"), std::string::npos);
  const Response put = PutTags("/bkt/k?tagging", TaggingDoc({{"a", "1"}, {"b c", "d&e"}}));
  ASSERT_EQ(put.status, 200u) << put.body;
  const Response get = h_.Get("/bkt/k?tagging");
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_NE(get.body.find("<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
                          "<Tag><Key>a</Key><Value>1</Value></Tag>"
                          "<Tag><Key>b c</Key><Value>d&amp;e</Value></Tag></TagSet></Tagging>"),
            std::string::npos)
      << get.body;
  EXPECT_EQ(h_.Get("/bkt/k").Header("x-amz-tagging-count"), "2");
  EXPECT_EQ(h_.Get("/bkt/k").body, "x");  // Data untouched.

  const Response del = h_.Send("DELETE", "/bkt/k?tagging");
  EXPECT_EQ(del.status, 204u) << del.body;
  EXPECT_EQ(h_.Get("/bkt/k?tagging").body.find("<Tag>"), std::string::npos);
  EXPECT_FALSE(h_.Get("/bkt/k").HasHeader("x-amz-tagging-count"));
}

TEST_F(TaggingTest, HeaderTagsReadBackAsXml) {
  ASSERT_EQ(h_.Put("/bkt/h", "x", {{"x-amz-tagging", "k%201=v+1&empty="}}).status, 200u);
  const Response get = h_.Get("/bkt/h?tagging");
  EXPECT_NE(get.body.find("<Tag><Key>k 1</Key><Value>v 1</Value></Tag>"), std::string::npos)
      << get.body;
  EXPECT_NE(get.body.find("<Tag><Key>empty</Key><Value></Value></Tag>"), std::string::npos);
}

TEST_F(TaggingTest, BadTagSets) {
  EXPECT_EQ(PutTags("/bkt/k?tagging", "<Tagging><TagSet>").Code(), "MalformedXML");
  EXPECT_EQ(PutTags("/bkt/k?tagging", "<Other/>").Code(), "MalformedXML");
  EXPECT_EQ(PutTags("/bkt/k?tagging", "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>")
                .Code(),
            "MalformedXML");
  TagSet eleven;
  for (int i = 0; i < 11; ++i) eleven.emplace_back("k" + std::to_string(i), "v");
  EXPECT_EQ(PutTags("/bkt/k?tagging", TaggingDoc(eleven)).Code(), "InvalidTag");
  EXPECT_EQ(PutTags("/bkt/k?tagging", TaggingDoc({{std::string(129, 'k'), "v"}})).Code(),
            "InvalidTag");
  EXPECT_EQ(PutTags("/bkt/k?tagging", TaggingDoc({{"k", std::string(257, 'v')}})).Code(),
            "InvalidTag");
  EXPECT_EQ(PutTags("/bkt/k?tagging", TaggingDoc({{"k", "1"}, {"k", "2"}})).Code(), "InvalidTag");
  EXPECT_EQ(PutTags("/bkt/k?tagging", TaggingDoc({{"aws:k", "1"}})).Code(), "InvalidTag");
  EXPECT_EQ(h_.Send("PUT", "/bkt/k?tagging", {}, "").Code(), "MissingRequestBodyError");
  EXPECT_EQ(h_.Get("/bkt/k").HasHeader("x-amz-tagging-count"), false);
}

TEST_F(TaggingTest, MissingObject) {
  EXPECT_EQ(h_.Get("/bkt/none?tagging").Code(), "NoSuchKey");
  EXPECT_EQ(PutTags("/bkt/none?tagging", TaggingDoc({{"a", "1"}})).Code(), "NoSuchKey");
}

TEST_F(TaggingTest, VersionsKeepTheirOwnTags) {
  h_.MakeBucket("ver", /*versioned=*/true);
  const std::string v1 =
      h_.Put("/ver/k", "1", {{"x-amz-tagging", "gen=1"}}).Header("x-amz-version-id");
  const std::string v2 = h_.Put("/ver/k", "2").Header("x-amz-version-id");
  const Response put = PutTags("/ver/k?tagging&versionId=" + v1, TaggingDoc({{"gen", "one"}}));
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("x-amz-version-id"), v1);
  const Response get1 = h_.Get("/ver/k?tagging&versionId=" + v1);
  EXPECT_NE(get1.body.find("<Value>one</Value>"), std::string::npos) << get1.body;
  EXPECT_EQ(get1.Header("x-amz-version-id"), v1);
  const Response latest = h_.Get("/ver/k?tagging");
  EXPECT_EQ(latest.body.find("<Tag>"), std::string::npos);
  EXPECT_EQ(latest.Header("x-amz-version-id"), v2);
}

// --- Parsers ---

TEST(XmlBodies, TagQueryRoundTrip) {
  auto tags = ParseTagQuery("a=1&b%2Fc=d%3De&sp+ace=x%20y&novalue");
  ASSERT_TRUE(tags.has_value()) << tags.error().message();
  const TagSet want = {{"a", "1"}, {"b/c", "d=e"}, {"sp ace", "x y"}, {"novalue", ""}};
  EXPECT_EQ(*tags, want);
  auto again = ParseTagQuery(EncodeTagQuery(*tags));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, want);
  EXPECT_EQ(CountTags(EncodeTagQuery(want)), 4u);
  EXPECT_EQ(CountTags(""), 0u);
  EXPECT_EQ(EncodeTagQuery({}), "");
  EXPECT_EQ(CodeOf(ParseTagQuery("a=%zz").error()), "InvalidTag");
  EXPECT_EQ(CodeOf(ParseTagQuery("=v").error()), "InvalidTag");
}

TEST(XmlBodies, TagLimitsCountCharactersNotBytes) {
  std::string key;
  for (int i = 0; i < 128; ++i) key += "\xC3\xA9";  // é: 2 bytes, 1 character.
  EXPECT_TRUE(ValidateTags({{key, "v"}}).has_value());
  EXPECT_FALSE(ValidateTags({{key + "e", "v"}}).has_value());
  EXPECT_EQ(CodeOf(ValidateTags({{"k", "\xC3"}}).error()), "InvalidTag");
}

TEST(XmlBodies, DeleteDocument) {
  auto r = ParseDeleteXml(
      "<?xml version=\"1.0\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object>"
      "<Object><Key>c</Key><VersionId>v1</VersionId></Object></Delete>");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->quiet);
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "a & b");
  EXPECT_EQ(r->objects[0].version_id, "");
  EXPECT_EQ(r->objects[1].version_id, "v1");
  for (const char* bad : {"", "junk", "<Delete/>",
                          "<Delete><Quiet>maybe</Quiet><Object><Key>a"
                          "</Key></Object></Delete>",
                          "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
                          "<!DOCTYPE x [<!ENTITY e \"x\">]><Delete><Object><Key>&e;</Key></Object>"
                          "</Delete>"}) {
    auto p = ParseDeleteXml(bad);
    if (p.has_value()) {
      // A DTD is never expanded: the key is not "x".
      ASSERT_EQ(p->objects.size(), 1u) << bad;
      EXPECT_NE(p->objects[0].key, "x") << bad;
    } else {
      EXPECT_EQ(CodeOf(p.error()), "MalformedXML") << bad;
    }
  }
}

}  // namespace
}  // namespace coffer::core::s3
