#include "coffer/core/auth/canonical.h"

#include <gtest/gtest.h>

#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/crypto.h"

#include "test_support.h"

namespace coffer::core::auth {
namespace {

TEST(Canonical, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("-._~azAZ09", false), "-._~azAZ09");
  EXPECT_EQ(UriEncode("a b+c/d*", false), "a%20b%2Bc%2Fd%2A");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", false), "%E1%88%B4");
}

TEST(Canonical, UriDecodeRejectsMalformedEscapes) {
  EXPECT_EQ(*UriDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(*UriDecode("a%20b+c", true), "a b c");
  for (const char* bad : {"%", "%2", "%zz", "a%g0"}) {
    auto r = UriDecode(bad, false);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(S3ErrorCodeOf(r.error()), S3ErrorCode::kInvalidUri);
  }
}

TEST(Canonical, S3PathIsNeitherNormalisedNorDoubleEncoded) {
  CanonicalOptions s3;
  EXPECT_EQ(*CanonicalUri("", s3), "/");
  EXPECT_EQ(*CanonicalUri("/bkt//a/./b/../c", s3), "/bkt//a/./b/../c");
  EXPECT_EQ(*CanonicalUri("/bkt/a%20b", s3), "/bkt/a%20b");
  // A client that left '!' or '(' unencoded still canonicalises the AWS way.
  EXPECT_EQ(*CanonicalUri("/bkt/a!(b)", s3), "/bkt/a%21%28b%29");
  EXPECT_EQ(*CanonicalUri("/bkt/a%2Fb", s3), "/bkt/a/b");
}

TEST(Canonical, GenericPathIsNormalisedAndDoubleEncoded) {
  CanonicalOptions generic{.normalize_path = true, .double_encode = true};
  EXPECT_EQ(*CanonicalUri("//example//", generic), "/example/");
  EXPECT_EQ(*CanonicalUri("/example1/example2/../..", generic), "/");
  EXPECT_EQ(*CanonicalUri("/./example", generic), "/example");
  EXPECT_EQ(*CanonicalUri("/a%20b", generic), "/a%2520b");
}

TEST(Canonical, QueryIsSortedByKeyThenValueWithEmptyValues) {
  auto q = ParseQuery("b=2&a=2&a=1&c&&d=");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(CanonicalQueryString(*q), "a=1&a=2&b=2&c=&d=");
  auto p = ParseQuery("X-Amz-Signature=abc&list-type=2&prefix=a%20b+c");
  EXPECT_EQ(CanonicalQueryString(*p, "X-Amz-Signature"), "list-type=2&prefix=a%20b%20c");
  // Sorting is on the encoded bytes: upper case sorts before lower case.
  EXPECT_EQ(CanonicalQueryString(*ParseQuery("b=1&B=2&_=3")), "B=2&_=3&b=1");
}

TEST(Canonical, HeaderValuesAreTrimmedAndFolded) {
  EXPECT_EQ(CanonicalHeaderValue("  a   b \t c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
  HeaderList headers = {{"host", "h"}, {"my", " x "}, {"my", "y  z"}};
  std::vector<std::string> names = {"host", "my"};
  EXPECT_EQ(*CanonicalHeaders(headers, names), "host:h\nmy:x,y z\n");
  std::vector<std::string> missing = {"host", "x-amz-date"};
  auto r = CanonicalHeaders(headers, missing);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(S3ErrorCodeOf(r.error()), S3ErrorCode::kSignatureDoesNotMatch);
  std::vector<std::string> expect = {"expect", "host"};
  EXPECT_EQ(*CanonicalHeaders(headers, expect), "expect:100-continue\nhost:h\n");
}

TEST(Crypto, KnownDigestsAndHmac) {
  testing::CryptoEnv env;
  EXPECT_EQ(env.crypto().Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(env.crypto().HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than the block is hashed first.
  EXPECT_EQ(
      HexEncode(env.crypto().HmacSha256(std::string(131, '\xaa'),
                                        "Test Using Larger Than Block-Size Key - Hash Key First")),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(Checksum, CrcCheckValues) {
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  // Chaining equals one pass.
  EXPECT_EQ(Crc32(Crc32(0, "1234"), "56789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c(Crc32c(0, "1234"), "56789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(0, ""), 0u);
}

TEST(Checksum, Base64OfBigEndianDigest) {
  testing::CryptoEnv env;
  Checksummer crc32(env.crypto(), ChecksumAlgorithm::kCrc32);
  crc32.Update("123456789");
  EXPECT_EQ(crc32.FinalBase64(), "y/Q5Jg==");
  Checksummer crc32c(env.crypto(), ChecksumAlgorithm::kCrc32c);
  crc32c.Update("123456789");
  EXPECT_EQ(crc32c.FinalBase64(), "4waSgw==");
  Checksummer sha1(env.crypto(), ChecksumAlgorithm::kSha1);
  sha1.Update("abc");
  EXPECT_EQ(sha1.FinalBase64(), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  Checksummer sha256(env.crypto(), ChecksumAlgorithm::kSha256);
  EXPECT_EQ(sha256.FinalBase64(), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_FALSE(ChecksumAlgorithmFromHeader("x-amz-checksum-md5").has_value());
}

TEST(S3Errors, TableIsCompleteAndRoundTrips) {
  for (const S3ErrorInfo& info : AllS3Errors()) {
    EXPECT_FALSE(info.default_message.empty()) << info.name;
    // NotModified is the one row that is not an error status: conditional
    // GETs end with it, and the S3 layer sends it without a body.
    if (info.code == S3ErrorCode::kNotModified) {
      EXPECT_EQ(info.http_status, 304);
    } else {
      EXPECT_GE(info.http_status, 400) << info.name;
    }
    base::Error e = MakeS3Error(info.code);
    EXPECT_EQ(S3ErrorCodeOf(e), info.code);
    S3ErrorReply reply = ToS3ErrorReply(e);
    EXPECT_EQ(reply.info->code, info.code);
    EXPECT_EQ(reply.message, info.default_message);
  }
  S3ErrorReply detail =
      ToS3ErrorReply(MakeS3Error(S3ErrorCode::kAccessDenied, "Request has expired"));
  EXPECT_EQ(detail.info->http_status, 403);
  EXPECT_EQ(detail.message, "Request has expired");
  S3ErrorReply other = ToS3ErrorReply(base::Unavailable("AccessDenied: not really"));
  EXPECT_EQ(other.info->name, "InternalError");
  EXPECT_FALSE(other.message.empty());
}

}  // namespace
}  // namespace coffer::core::auth
