#include "coffer/core/auth/sigv4.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace coffer::core::auth {
namespace {

using testing::CodeOf;

constexpr std::string_view kGood =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, "
    "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500";

std::string Message(std::string_view header) {
  auto r = ParseAuthorizationHeader(header);
  EXPECT_FALSE(r.has_value()) << header;
  if (r.has_value()) return "";
  EXPECT_EQ(S3ErrorCodeOf(r.error()), S3ErrorCode::kAuthorizationHeaderMalformed) << header;
  return r.error().message();
}

TEST(AuthorizationHeader, ParsesAllComponents) {
  auto r = ParseAuthorizationHeader(kGood);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->credential.access_key, "AKIDEXAMPLE");
  EXPECT_EQ(r->credential.date, "20150830");
  EXPECT_EQ(r->credential.region, "us-east-1");
  EXPECT_EQ(r->credential.service, "s3");
  EXPECT_EQ(r->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(r->credential.Scope(), "20150830/us-east-1/s3/aws4_request");
  // Components in another order, without spaces after commas.
  auto compact = ParseAuthorizationHeader(
      "AWS4-HMAC-SHA256 Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf250"
      "0,SignedHeaders=host,Credential=A/B/20150830/r/s3/aws4_request");
  ASSERT_TRUE(compact.has_value()) << compact.error().message();
  EXPECT_EQ(compact->credential.access_key, "A/B");
}

TEST(AuthorizationHeader, EachMalformationHasItsOwnError) {
  const std::string sig = "Signature=" + std::string(64, 'a');
  const std::string cred = "Credential=AK/20150830/us-east-1/s3/aws4_request";
  std::vector<std::string> messages = {
      Message("AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, " + sig),
      Message("AWS4-HMAC-SHA256"),
      Message("AWS4-HMAC-SHA256 SignedHeaders=host, " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host"),
      Message("AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host, " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Foo=bar, " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ","),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders, " + sig),
      Message("AWS4-HMAC-SHA256 Credential=AK/2015083/us-east-1/s3/aws4_request, "
              "SignedHeaders=host, " +
              sig),
      Message("AWS4-HMAC-SHA256 Credential=AK/20151330/us-east-1/s3/aws4_request, "
              "SignedHeaders=host, " +
              sig),
      Message("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws5_request, "
              "SignedHeaders=host, " +
              sig),
      Message("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/aws4_request, "
              "SignedHeaders=host, " +
              sig),
      Message("AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/s3/aws4_request, "
              "SignedHeaders=host, " +
              sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;Host, " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host, " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;a, " + sig),
      Message("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=abc"),
      Message("AWS4-HMAC-SHA256 " + cred +
              ", SignedHeaders=host, Signature=" + std::string(64, 'A')),
  };
  for (std::size_t i = 0; i < messages.size(); ++i) {
    for (std::size_t j = i + 1; j < messages.size(); ++j) {
      // Same-category failures (two bad dates) may share text; the rest differ.
      if ((i == 9 && j == 10) || (i == 17 && j == 18)) continue;
      EXPECT_NE(messages[i], messages[j]) << i << " vs " << j;
    }
  }
}

QueryParams Presigned(std::string expires = "86400") {
  return {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
          {"X-Amz-Credential", "AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request"},
          {"X-Amz-Date", "20150830T123600Z"},
          {"X-Amz-Expires", expires},
          {"X-Amz-SignedHeaders", "host"},
          {"X-Amz-Signature", std::string(64, 'b')}};
}

TEST(PresignedQuery, ParsesAndBoundsExpires) {
  auto r = ParsePresignedQuery(Presigned());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->expires, std::chrono::seconds(86400));
  EXPECT_EQ(r->time, testing::SuiteTime());
  EXPECT_TRUE(ParsePresignedQuery(Presigned("604800")).has_value());
  for (const char* bad : {"604801", "0", "-1", "abc", "", "1e3", "99999999999999999999"}) {
    auto e = ParsePresignedQuery(Presigned(bad));
    EXPECT_EQ(CodeOf(e), S3ErrorCode::kAuthorizationQueryParametersError) << bad;
  }
}

TEST(PresignedQuery, RefusesMissingDuplicatedAndWrongParameters) {
  for (std::size_t drop = 0; drop < 6; ++drop) {
    QueryParams q = Presigned();
    q.erase(q.begin() + static_cast<long>(drop));
    EXPECT_EQ(CodeOf(ParsePresignedQuery(q)), S3ErrorCode::kAuthorizationQueryParametersError);
  }
  QueryParams dup = Presigned();
  dup.emplace_back("X-Amz-Date", "20150830T123600Z");
  EXPECT_EQ(CodeOf(ParsePresignedQuery(dup)), S3ErrorCode::kAuthorizationQueryParametersError);
  QueryParams algo = Presigned();
  algo[0].second = "AWS4-HMAC-SHA1";
  EXPECT_EQ(CodeOf(ParsePresignedQuery(algo)), S3ErrorCode::kAuthorizationQueryParametersError);
  QueryParams date = Presigned();
  date[2].second = "2015-08-30T12:36:00Z";
  EXPECT_EQ(CodeOf(ParsePresignedQuery(date)), S3ErrorCode::kAuthorizationQueryParametersError);
}

TEST(Dates, ParseAndFormat) {
  EXPECT_EQ(*ParseAmzDate("20150830T123600Z"), testing::SuiteTime());
  EXPECT_EQ(FormatAmzDate(testing::SuiteTime()), "20150830T123600Z");
  EXPECT_EQ(*ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), testing::SuiteTime());
  for (const char* bad : {"20150830T123600", "20150230T123600Z", "20150830T243600Z",
                          "20150830X123600Z", "2015083aT123600Z", ""}) {
    EXPECT_FALSE(ParseAmzDate(bad).has_value()) << bad;
  }
  for (const char* bad : {"Sun, 30 Aug 2015 12:36:00 UTC", "Sun, 30 Foo 2015 12:36:00 GMT",
                          "Sun, 31 Sep 2015 12:36:00 GMT", "garbage"}) {
    EXPECT_FALSE(ParseHttpDate(bad).has_value()) << bad;
  }
}

// Found by sigv4_parse_fuzz (fixtures/fuzz/sigv4/regress-year-1439): a year
// outside WallTime's nanosecond range overflowed the conversion.
TEST(Dates, YearsOutsideTheSupportedRangeAreRejected) {
  EXPECT_FALSE(ParseHttpDate("Sun, 30 Aug 1439 12:36:00 GMT").has_value());
  EXPECT_FALSE(ParseAmzDate("00000101T000000Z").has_value());
  EXPECT_FALSE(ParseAmzDate("99991231T235959Z").has_value());
  EXPECT_FALSE(
      ParseCredential("AK/14390830/r/s3/aws4_request", S3ErrorCode::kAuthorizationHeaderMalformed)
          .has_value());
  EXPECT_TRUE(ParseAmzDate("22001231T235959Z").has_value());
}

TEST(ContentSha256, AllModes) {
  EXPECT_EQ(ParseContentSha256("UNSIGNED-PAYLOAD")->mode, PayloadMode::kUnsigned);
  EXPECT_EQ(ParseContentSha256("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")->mode,
            PayloadMode::kStreamingSigned);
  EXPECT_EQ(ParseContentSha256("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")->mode,
            PayloadMode::kStreamingSignedTrailer);
  EXPECT_EQ(ParseContentSha256("STREAMING-UNSIGNED-PAYLOAD-TRAILER")->mode,
            PayloadMode::kStreamingUnsignedTrailer);
  auto hex = ParseContentSha256(kEmptySha256Hex);
  EXPECT_EQ(hex->mode, PayloadMode::kSignedSha256);
  EXPECT_EQ(hex->sha256_hex, kEmptySha256Hex);
  for (const char* bad :
       {"", "unsigned-payload", "abc", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"}) {
    EXPECT_EQ(CodeOf(ParseContentSha256(bad)), S3ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace coffer::core::auth
