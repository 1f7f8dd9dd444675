#include "coffer/core/auth/verifier.h"

#include <gtest/gtest.h>

#include "coffer/core/auth/body_reader.h"
#include "coffer/core/auth/signature.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv2.h"

#include "test_support.h"

namespace coffer::core::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::CodeOf;
using testing::SuiteTime;

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : verifier_(env_.crypto(), cache_, VerifierOptions{}) {}

  Signer MakeSigner(std::string access_key = std::string(testing::kAccessKey),
                    std::string secret = std::string(testing::kSecretKey), std::string token = "",
                    std::string region = "us-east-1") {
    SignerOptions options;
    options.region = std::move(region);
    return Signer(env_.crypto(),
                  {std::move(access_key), base::Secret(std::move(secret)), std::move(token)},
                  options);
  }

  HttpRequest Get(std::string target = "/bkt/key.txt?versionId=3") {
    HttpRequest r;
    r.method = "GET";
    r.target = std::move(target);
    r.headers = {{"host", "127.0.0.1:9000"}, {"range", "bytes=0-9"}};
    return r;
  }

  HttpRequest SignedGet(base::WallTime t = SuiteTime()) {
    HttpRequest r = Get();
    auto info = MakeSigner().Sign(r, t, kUnsignedPayload);
    EXPECT_TRUE(info.has_value());
    return r;
  }

  base::Result<Authentication> Verify(const HttpRequest& r, base::WallTime now = SuiteTime()) {
    return verifier_.Verify(r, testing::TestLookup(), now);
  }

  testing::CryptoEnv env_;
  SigningKeyCache cache_;
  Verifier verifier_;
};

void SetHeader(HttpRequest& r, std::string_view name, std::string value) {
  for (auto& [k, v] : r.headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  r.headers.emplace_back(std::string(name), std::move(value));
}

TEST_F(VerifierTest, AcceptsAHeaderSignedRequest) {
  auto auth = Verify(SignedGet());
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_EQ(auth->kind, AuthKind::kHeader);
  EXPECT_EQ(auth->access_key, "AKIDEXAMPLE");
  EXPECT_EQ(auth->principal, "root");
  EXPECT_EQ(auth->payload.mode, PayloadMode::kUnsigned);
  EXPECT_EQ(auth->request_time, SuiteTime());
  EXPECT_EQ(cache_.size(), 1u);
  ASSERT_TRUE(Verify(SignedGet()).has_value());
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(VerifierTest, RefusesSkewBeyondFifteenMinutesBothWays) {
  const HttpRequest r = SignedGet();
  EXPECT_TRUE(Verify(r, SuiteTime() + minutes(15)).has_value());
  EXPECT_TRUE(Verify(r, SuiteTime() - minutes(15)).has_value());
  EXPECT_EQ(CodeOf(Verify(r, SuiteTime() + minutes(15) + seconds(1))),
            S3ErrorCode::kRequestTimeTooSkewed);
  EXPECT_EQ(CodeOf(Verify(r, SuiteTime() - minutes(16))), S3ErrorCode::kRequestTimeTooSkewed);
}

TEST_F(VerifierTest, UnknownKeyWrongSecretAndLookupFailure) {
  HttpRequest r = Get();
  ASSERT_TRUE(MakeSigner("NOSUCHKEY").Sign(r, SuiteTime(), kUnsignedPayload).has_value());
  EXPECT_EQ(CodeOf(Verify(r)), S3ErrorCode::kInvalidAccessKeyId);
  HttpRequest w = Get();
  ASSERT_TRUE(MakeSigner("AKIDEXAMPLE", "wrong").Sign(w, SuiteTime(), kUnsignedPayload));
  EXPECT_EQ(CodeOf(Verify(w)), S3ErrorCode::kSignatureDoesNotMatch);
  HttpRequest b = Get();
  ASSERT_TRUE(MakeSigner("BROKEN").Sign(b, SuiteTime(), kUnsignedPayload).has_value());
  auto broken = Verify(b);
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code(), base::ErrorCode::kUnavailable);
}

TEST_F(VerifierTest, TamperingWithAnySignedPartBreaksTheSignature) {
  auto tampered = [this](auto mutate) {
    HttpRequest r = SignedGet();
    mutate(r);
    return CodeOf(Verify(r));
  };
  const auto kMismatch = S3ErrorCode::kSignatureDoesNotMatch;
  EXPECT_EQ(tampered([](HttpRequest& r) { r.method = "DELETE"; }), kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) { r.target = "/bkt/key.txt?versionId=4"; }), kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) { r.target = "/bkt/other.txt?versionId=3"; }), kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) { r.target += "&acl"; }), kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) { SetHeader(r, "range", "bytes=0-99"); }), kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) { SetHeader(r, "host", "evil:9000"); }), kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) { r.headers.emplace_back("range", "bytes=5-6"); }),
            kMismatch);
  EXPECT_EQ(tampered([](HttpRequest& r) {
              SetHeader(r, "x-amz-content-sha256", std::string(kEmptySha256Hex));
            }),
            kMismatch);
  // Header values are folded, so extra spaces are not tampering.
  EXPECT_EQ(tampered([](HttpRequest& r) { SetHeader(r, "range", "  bytes=0-9 "); }), std::nullopt);
}

TEST_F(VerifierTest, UnsignedAmzHeadersAreRefused) {
  HttpRequest r = SignedGet();
  r.headers.emplace_back("x-amz-copy-source", "/other/secret");
  auto result = Verify(r);
  EXPECT_EQ(CodeOf(result), S3ErrorCode::kAccessDenied);
  EXPECT_NE(result.error().message().find("x-amz-copy-source"), std::string::npos);
}

TEST_F(VerifierTest, HeaderStructureErrors) {
  HttpRequest no_sha = Get();
  SignerOptions options;
  options.set_content_sha256 = false;
  Signer signer(env_.crypto(), {"AKIDEXAMPLE", base::Secret(std::string(testing::kSecretKey)), ""},
                options);
  ASSERT_TRUE(signer.Sign(no_sha, SuiteTime(), kUnsignedPayload).has_value());
  EXPECT_EQ(CodeOf(Verify(no_sha)), S3ErrorCode::kInvalidRequest);

  HttpRequest region = Get();
  ASSERT_TRUE(MakeSigner("AKIDEXAMPLE", std::string(testing::kSecretKey), "", "eu-west-1")
                  .Sign(region, SuiteTime(), kUnsignedPayload)
                  .has_value());
  EXPECT_EQ(CodeOf(Verify(region)), S3ErrorCode::kAuthorizationHeaderMalformed);

  HttpRequest date = SignedGet();
  SetHeader(date, "x-amz-date", "20150831T000100Z");
  EXPECT_EQ(CodeOf(Verify(date, SuiteTime() + minutes(11 * 60 + 25))),
            S3ErrorCode::kAuthorizationHeaderMalformed);

  HttpRequest no_date = SignedGet();
  std::erase_if(no_date.headers, [](const auto& h) { return h.first == "x-amz-date"; });
  EXPECT_EQ(CodeOf(Verify(no_date)), S3ErrorCode::kAccessDenied);

  HttpRequest bad_mode = SignedGet();
  SetHeader(bad_mode, "x-amz-content-sha256", "not-a-hash");
  EXPECT_EQ(CodeOf(Verify(bad_mode)), S3ErrorCode::kInvalidArgument);

  HttpRequest twice = SignedGet();
  twice.headers.emplace_back("authorization", twice.Header("authorization"));
  EXPECT_EQ(CodeOf(Verify(twice)), S3ErrorCode::kInvalidArgument);

  HttpRequest garbage = Get();
  garbage.headers.emplace_back("authorization", "Bearer xyz");
  EXPECT_EQ(CodeOf(Verify(garbage)), S3ErrorCode::kAuthorizationHeaderMalformed);
}

TEST_F(VerifierTest, DateHeaderStandsInForXAmzDate) {
  HttpRequest r = Get();
  r.headers.emplace_back("date", "Sun, 30 Aug 2015 12:36:00 GMT");
  r.headers.emplace_back("x-amz-content-sha256", std::string(kUnsignedPayload));
  std::vector<std::string> names = {"date", "host", "range", "x-amz-content-sha256"};
  const auto [path, raw_query] = SplitTarget(r.target);
  QueryParams query = *ParseQuery(raw_query);
  const base::Secret key = DeriveSigningKey(
      env_.crypto(), base::Secret(std::string(testing::kSecretKey)), "20150830", "us-east-1", "s3");
  SignatureInput input{r.method,
                       path,
                       &query,
                       "",
                       &r.headers,
                       names,
                       kUnsignedPayload,
                       "20150830T123600Z",
                       "20150830/us-east-1/s3/aws4_request",
                       {}};
  auto sig = ComputeSignature(env_.crypto(), key, input);
  ASSERT_TRUE(sig.has_value());
  r.headers.emplace_back("authorization",
                         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/"
                         "aws4_request, SignedHeaders=date;host;range;x-amz-content-sha256, "
                         "Signature=" +
                             sig->signature);
  auto auth = Verify(r);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_EQ(auth->request_time, SuiteTime());
}

TEST_F(VerifierTest, SignatureV2IsRefusedWithAClearMessage) {
  HttpRequest header = Get();
  header.headers.emplace_back("authorization", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  auto refused = Verify(header);
  EXPECT_EQ(CodeOf(refused), S3ErrorCode::kInvalidRequest);
  EXPECT_NE(refused.error().message().find("Signature Version 2"), std::string::npos);
  HttpRequest query = Get("/bkt/k?AWSAccessKeyId=AKIDEXAMPLE&Expires=1441000000&Signature=abc");
  EXPECT_EQ(CodeOf(Verify(query)), S3ErrorCode::kInvalidRequest);
}

// The two Signature V2 examples of the S3 developer guide, path-style.
TEST_F(VerifierTest, SignatureV2VerifiesOnlyWhenEnabled) {
  VerifierOptions legacy;
  legacy.allow_sigv2 = true;
  Verifier v2(env_.crypto(), cache_, legacy);
  const CredentialLookup lookup = [](std::string_view key) -> base::Result<Credential> {
    if (key != "AKIAIOSFODNN7EXAMPLE") return base::NotFound("unknown");
    return Credential{base::Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "legacy",
                      std::nullopt};
  };
  HttpRequest header = Get("/johnsmith/photos/puppy.jpg");
  header.headers = {{"host", "s3.amazonaws.com"},
                    {"date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                    {"authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}};
  const base::WallTime t = *ParseHttpDate("Tue, 27 Mar 2007 19:36:42 GMT");
  EXPECT_EQ(SigV2StringToSign(header, "Tue, 27 Mar 2007 19:36:42 +0000",
                              "/johnsmith/photos/puppy.jpg", {}),
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
  auto auth = v2.Verify(header, lookup, t);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_EQ(auth->principal, "legacy");
  EXPECT_EQ(CodeOf(Verify(header, t)), S3ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(v2.Verify(header, lookup, t + minutes(16))), S3ErrorCode::kRequestTimeTooSkewed);
  HttpRequest tampered = header;
  tampered.target = "/johnsmith/photos/kitten.jpg";
  EXPECT_EQ(CodeOf(v2.Verify(tampered, lookup, t)), S3ErrorCode::kSignatureDoesNotMatch);

  HttpRequest query =
      Get("/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&"
          "Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620");
  query.headers = {{"host", "s3.amazonaws.com"}};
  ASSERT_TRUE(v2.Verify(query, lookup, t).has_value());
  const base::WallTime expiry = base::WallTime(seconds(1175139620));
  EXPECT_EQ(CodeOf(v2.Verify(query, lookup, expiry + seconds(1))), S3ErrorCode::kAccessDenied);
  // An expiry more than 7 days ahead is refused, valid signature or not.
  EXPECT_EQ(CodeOf(v2.Verify(query, lookup, expiry - std::chrono::hours(24 * 7) - seconds(1))),
            S3ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(Verify(query, t)), S3ErrorCode::kInvalidRequest);
  // Found by sigv4_parse_fuzz (regress-v2-expires-overflow): an Expires far
  // beyond WallTime's range overflowed before the 7-day cap was checked.
  HttpRequest far = Get("/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x&Expires=14410009400");
  EXPECT_EQ(CodeOf(v2.Verify(far, lookup, t)), S3ErrorCode::kAccessDenied);
}

TEST_F(VerifierTest, AnonymousAndMixedMechanisms) {
  auto anonymous = Verify(Get());
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_EQ(anonymous->kind, AuthKind::kAnonymous);
  EXPECT_TRUE(anonymous->principal.empty());
  HttpRequest mixed = SignedGet();
  mixed.target += "&X-Amz-Algorithm=AWS4-HMAC-SHA256";
  EXPECT_EQ(CodeOf(Verify(mixed)), S3ErrorCode::kInvalidArgument);
}

TEST_F(VerifierTest, SessionTokens) {
  HttpRequest ok = Get();
  ASSERT_TRUE(
      MakeSigner("TEMPKEY", "temp-secret", "token-1").Sign(ok, SuiteTime(), kUnsignedPayload));
  auto auth = Verify(ok);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_EQ(auth->principal, "sts-user");
  EXPECT_TRUE(auth->used_session_token);
  HttpRequest missing = Get();
  ASSERT_TRUE(MakeSigner("TEMPKEY", "temp-secret").Sign(missing, SuiteTime(), kUnsignedPayload));
  EXPECT_EQ(CodeOf(Verify(missing)), S3ErrorCode::kMissingSecurityHeader);
  HttpRequest wrong = Get();
  ASSERT_TRUE(
      MakeSigner("TEMPKEY", "temp-secret", "token-2").Sign(wrong, SuiteTime(), kUnsignedPayload));
  EXPECT_EQ(CodeOf(Verify(wrong)), S3ErrorCode::kInvalidToken);
  HttpRequest extra = Get();
  ASSERT_TRUE(MakeSigner("AKIDEXAMPLE", std::string(testing::kSecretKey), "token-1")
                  .Sign(extra, SuiteTime(), kUnsignedPayload));
  EXPECT_EQ(CodeOf(Verify(extra)), S3ErrorCode::kInvalidToken);
}

TEST_F(VerifierTest, PresignedUrls) {
  const HeaderList headers = {{"host", "127.0.0.1:9000"}};
  auto target = MakeSigner().Presign("GET", "/bkt/a%20b.txt", headers, SuiteTime(), seconds(3600));
  ASSERT_TRUE(target.has_value()) << target.error().message();
  HttpRequest r;
  r.method = "GET";
  r.target = *target;
  r.headers = headers;
  auto auth = Verify(r, SuiteTime() + minutes(59));
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_EQ(auth->kind, AuthKind::kPresigned);
  EXPECT_EQ(auth->payload.mode, PayloadMode::kUnsigned);
  EXPECT_TRUE(Verify(r, SuiteTime() + seconds(3600)).has_value());

  auto expired = Verify(r, SuiteTime() + seconds(3601));
  EXPECT_EQ(CodeOf(expired), S3ErrorCode::kAccessDenied);
  EXPECT_NE(expired.error().message().find("Request has expired"), std::string::npos);
  EXPECT_EQ(CodeOf(Verify(r, SuiteTime() - minutes(16))), S3ErrorCode::kAccessDenied);

  HttpRequest tampered = r;
  tampered.target += "&response-content-type=text/html";
  EXPECT_EQ(CodeOf(Verify(tampered, SuiteTime())), S3ErrorCode::kSignatureDoesNotMatch);
  HttpRequest method = r;
  method.method = "PUT";
  EXPECT_EQ(CodeOf(Verify(method, SuiteTime())), S3ErrorCode::kSignatureDoesNotMatch);
  HttpRequest week = r;
  week.target.replace(week.target.find("X-Amz-Expires=3600"), 18, "X-Amz-Expires=604801");
  EXPECT_EQ(CodeOf(Verify(week, SuiteTime())), S3ErrorCode::kAuthorizationQueryParametersError);
  HttpRequest unsigned_header = r;
  unsigned_header.headers.emplace_back("x-amz-acl", "public-read");
  EXPECT_EQ(CodeOf(Verify(unsigned_header, SuiteTime())), S3ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(MakeSigner().Presign("GET", "/b", headers, SuiteTime(), seconds(604801))),
            S3ErrorCode::kAuthorizationQueryParametersError);
  EXPECT_TRUE(MakeSigner().Presign("GET", "/b", headers, SuiteTime(), seconds(604800)));
}

TEST_F(VerifierTest, StreamingModesNeedTheDecodedLength) {
  HttpRequest r = Get("/bkt/obj");
  r.method = "PUT";
  ASSERT_TRUE(MakeSigner().Sign(r, SuiteTime(), kStreamingSignedPayload));
  EXPECT_EQ(CodeOf(Verify(r)), S3ErrorCode::kMissingContentLength);
  HttpRequest ok = Get("/bkt/obj");
  ok.method = "PUT";
  ok.headers.emplace_back("x-amz-decoded-content-length", "5");
  auto info = MakeSigner().Sign(ok, SuiteTime(), kStreamingSignedPayload);
  ASSERT_TRUE(info.has_value());
  auto auth = Verify(ok);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_EQ(auth->decoded_content_length, 5u);
  EXPECT_EQ(auth->streaming.seed_signature, info->signature.signature);
  EXPECT_EQ(auth->streaming.scope, "20150830/us-east-1/s3/aws4_request");
  HttpRequest none = Get("/bkt/obj");
  ASSERT_TRUE(MakeSigner().Sign(none, SuiteTime(), kStreamingUnsignedPayloadTrailer));
  EXPECT_EQ(CodeOf(Verify(none)), S3ErrorCode::kMissingContentLength);
}

TEST_F(VerifierTest, SignedBodyDigestIsCheckedAsItStreams) {
  const std::string body = "hello, coffer";
  HttpRequest r = Get("/bkt/obj");
  r.method = "PUT";
  ASSERT_TRUE(MakeSigner().Sign(r, SuiteTime(), env_.crypto().Sha256Hex(body)));
  auto auth = Verify(r);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  auto reader = NewBodyReader(env_.crypto(), *auth);
  ASSERT_TRUE(reader.has_value());
  std::string out;
  for (char c : body) ASSERT_TRUE((*reader)->Feed(std::string_view(&c, 1), out));
  EXPECT_TRUE((*reader)->Finish());
  EXPECT_EQ(out, body);
  auto tampered = NewBodyReader(env_.crypto(), *auth);
  ASSERT_TRUE((*tampered)->Feed("hello, cOffer", out));
  EXPECT_EQ(CodeOf((*tampered)->Finish()), S3ErrorCode::kXAmzContentSha256Mismatch);
  auto truncated = NewBodyReader(env_.crypto(), *auth);
  ASSERT_TRUE((*truncated)->Feed("hello", out));
  EXPECT_EQ(CodeOf((*truncated)->Finish()), S3ErrorCode::kXAmzContentSha256Mismatch);
}

TEST_F(VerifierTest, TrailerDeclarationsAreChecked) {
  auto sign = [this](std::string_view mode, std::string trailer) {
    HttpRequest r = Get("/bkt/obj");
    r.method = "PUT";
    r.headers.emplace_back("x-amz-decoded-content-length", "5");
    r.headers.emplace_back("x-amz-trailer", std::move(trailer));
    EXPECT_TRUE(MakeSigner().Sign(r, SuiteTime(), mode).has_value());
    return Verify(r);
  };
  auto ok = sign(kStreamingUnsignedPayloadTrailer, "x-amz-checksum-crc32, x-amz-checksum-sha256");
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->trailers,
            (std::vector<std::string>{"x-amz-checksum-crc32", "x-amz-checksum-sha256"}));
  EXPECT_EQ(CodeOf(sign(kStreamingUnsignedPayloadTrailer, "x-amz-meta-a")),
            S3ErrorCode::kInvalidRequest);
  EXPECT_EQ(
      CodeOf(sign(kStreamingUnsignedPayloadTrailer, "x-amz-checksum-crc32,x-amz-checksum-crc32")),
      S3ErrorCode::kInvalidRequest);
  EXPECT_EQ(CodeOf(sign(kStreamingSignedPayload, "x-amz-checksum-crc32")),
            S3ErrorCode::kInvalidRequest);
}

TEST_F(VerifierTest, AnonymousRequestsCannotClaimSignedPayloads) {
  HttpRequest r = Get("/bkt/obj");
  r.headers.emplace_back("x-amz-content-sha256", std::string(kStreamingSignedPayload));
  EXPECT_EQ(CodeOf(Verify(r)), S3ErrorCode::kInvalidRequest);
  HttpRequest hashed = Get("/bkt/obj");
  hashed.headers.emplace_back("x-amz-content-sha256", std::string(kEmptySha256Hex));
  auto auth = Verify(hashed);
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->payload.mode, PayloadMode::kSignedSha256);
}

TEST_F(VerifierTest, PresignedUrlsWithSessionTokens) {
  const HeaderList headers = {{"host", "127.0.0.1:9000"}};
  auto target = MakeSigner("TEMPKEY", "temp-secret", "token-1")
                    .Presign("GET", "/bkt/k", headers, SuiteTime(), seconds(60));
  ASSERT_TRUE(target.has_value());
  HttpRequest r;
  r.method = "GET";
  r.target = *target;
  r.headers = headers;
  auto auth = Verify(r);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  EXPECT_TRUE(auth->used_session_token);
  EXPECT_EQ(auth->principal, "sts-user");
  auto no_token = MakeSigner("TEMPKEY", "temp-secret")
                      .Presign("GET", "/bkt/k", headers, SuiteTime(), seconds(60));
  r.target = *no_token;
  EXPECT_EQ(CodeOf(Verify(r)), S3ErrorCode::kMissingSecurityHeader);
}

TEST(SigningKeyCache, DerivesTheAwsExampleKeyAndStaysBounded) {
  testing::CryptoEnv env;
  // The signing key of AWS's documented example (secret ...EXAMPLEKEY,
  // 20150830/us-east-1/iam).
  const base::Secret secret(std::string(testing::kSecretKey));
  EXPECT_EQ(
      HexEncode(DeriveSigningKey(env.crypto(), secret, "20150830", "us-east-1", "iam").Reveal()),
      "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  SigningKeyCache cache(2);
  const base::Secret a = cache.Get(env.crypto(), secret, "20150830", "us-east-1", "s3");
  EXPECT_EQ(cache.Get(env.crypto(), secret, "20150830", "us-east-1", "s3").Reveal(), a.Reveal());
  EXPECT_EQ(cache.size(), 1u);
  (void)cache.Get(env.crypto(), secret, "20150831", "us-east-1", "s3");
  (void)cache.Get(env.crypto(), secret, "20150901", "us-east-1", "s3");
  EXPECT_LE(cache.size(), 2u);
  const base::Secret other(std::string("another secret"));
  EXPECT_NE(cache.Get(env.crypto(), other, "20150830", "us-east-1", "s3").Reveal(), a.Reveal());
}

// The S3 API reference's worked examples (GET with Range, and the presigned
// GET of test.txt), virtual-hosted: the canonical URI is the path as sent.
TEST(AwsDocumentedExamples, HeaderAndPresignedGetVerify) {
  testing::CryptoEnv env;
  SigningKeyCache cache;
  Verifier verifier(env.crypto(), cache, VerifierOptions{});
  const CredentialLookup lookup = [](std::string_view key) -> base::Result<Credential> {
    if (key != "AKIAIOSFODNN7EXAMPLE") return base::NotFound("unknown");
    return Credential{base::Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "doc",
                      std::nullopt};
  };
  const base::WallTime t = *ParseAmzDate("20130524T000000Z");
  HttpRequest get;
  get.method = "GET";
  get.target = "/test.txt";
  get.headers = {
      {"host", "examplebucket.s3.amazonaws.com"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      {"range", "bytes=0-9"},
      {"x-amz-content-sha256", std::string(kEmptySha256Hex)},
      {"x-amz-date", "20130524T000000Z"}};
  auto header = verifier.Verify(get, lookup, t);
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->principal, "doc");

  HttpRequest presigned;
  presigned.method = "GET";
  presigned.target =
      "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%"
      "2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
      "SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  presigned.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  auto query = verifier.Verify(presigned, lookup, t + std::chrono::hours(24));
  ASSERT_TRUE(query.has_value()) << query.error().message();
  EXPECT_EQ(query->kind, AuthKind::kPresigned);
  auto late = verifier.Verify(presigned, lookup, t + std::chrono::hours(24) + seconds(1));
  EXPECT_EQ(CodeOf(late), S3ErrorCode::kAccessDenied);
}

}  // namespace
}  // namespace coffer::core::auth
