#include "coffer/core/auth/aws_chunked.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/signing_key_cache.h"

#include "test_support.h"

namespace coffer::core::auth {
namespace {

using testing::CodeOf;
using testing::SuiteTime;
using Trailers = std::vector<std::pair<std::string, std::string>>;

// Signs a streaming PUT, verifies it, and frames bodies for it.
class ChunkedTest : public ::testing::Test {
 protected:
  ChunkedTest()
      : verifier_(env_.crypto(), cache_, VerifierOptions{}),
        signer_(env_.crypto(), {"AKIDEXAMPLE", base::Secret(std::string(testing::kSecretKey)), ""},
                SignerOptions{}) {}

  // Returns the verified Authentication of a streaming PUT in `mode`.
  Authentication Start(std::string_view mode, std::uint64_t length, std::string trailer = "") {
    HttpRequest r;
    r.method = "PUT";
    r.target = "/bkt/obj";
    r.headers = {{"host", "localhost"},
                 {"content-encoding", "aws-chunked"},
                 {"x-amz-decoded-content-length", std::to_string(length)}};
    if (!trailer.empty()) r.headers.emplace_back("x-amz-trailer", trailer);
    auto info = signer_.Sign(r, SuiteTime(), mode);
    EXPECT_TRUE(info.has_value());
    streaming_ = info->streaming;
    auto auth = verifier_.Verify(r, testing::TestLookup(), SuiteTime());
    EXPECT_TRUE(auth.has_value()) << auth.error().message();
    return *auth;
  }

  // Feeds `wire` split into pieces of `step` bytes; returns the first error.
  base::Status Decode(const Authentication& auth, std::string_view wire, std::size_t step,
                      std::string& out, ChunkedLimits limits = {}) {
    auto reader = NewBodyReader(env_.crypto(), auth, limits);
    if (!reader.has_value()) return reader.error();
    for (std::size_t i = 0; i < wire.size(); i += step) {
      COFFER_RETURN_IF_ERROR((*reader)->Feed(wire.substr(i, step), out));
    }
    return (*reader)->Finish();
  }

  std::optional<S3ErrorCode> DecodeCode(const Authentication& auth, std::string_view wire,
                                        ChunkedLimits limits = {}) {
    std::string out;
    return CodeOf(Decode(auth, wire, wire.size() == 0 ? 1 : wire.size(), out, limits));
  }

  std::string Crc32cOf(std::string_view data) {
    Checksummer c(env_.crypto(), ChecksumAlgorithm::kCrc32c);
    c.Update(data);
    return c.FinalBase64();
  }

  testing::CryptoEnv env_;
  SigningKeyCache cache_;
  Verifier verifier_;
  Signer signer_;
  StreamingContext streaming_;
};

TEST_F(ChunkedTest, SignedChunksDecodeAtAnySplit) {
  const std::string a(8192, 'a'), b = "tail bytes";
  const Authentication auth = Start(kStreamingSignedPayload, a.size() + b.size());
  ChunkSigner chunks(env_.crypto(), streaming_);
  // Chunks chain, so they are framed in separate statements (operands of +
  // have no defined evaluation order).
  std::string wire = chunks.Chunk(a);
  wire += chunks.Chunk(b);
  wire += chunks.Final();
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{100}, wire.size()}) {
    std::string out;
    const base::Status status = Decode(auth, wire, step, out);
    ASSERT_TRUE(status.has_value()) << step << " " << status.error().message();
    EXPECT_EQ(out, a + b) << step;
  }
}

TEST_F(ChunkedTest, AlteredReorderedOrDroppedChunksBreakTheChain) {
  const Authentication auth = Start(kStreamingSignedPayload, 8);
  ChunkSigner chunks(env_.crypto(), streaming_);
  const std::string c1 = chunks.Chunk("abcd"), c2 = chunks.Chunk("efgh"), end = chunks.Final();
  EXPECT_EQ(DecodeCode(auth, c1 + c2 + end), std::nullopt);
  std::string altered = c1 + c2 + end;
  altered[altered.find("abcd")] = 'X';
  EXPECT_EQ(DecodeCode(auth, altered), S3ErrorCode::kSignatureDoesNotMatch);
  EXPECT_EQ(DecodeCode(auth, c2 + c1 + end), S3ErrorCode::kSignatureDoesNotMatch);
  EXPECT_EQ(DecodeCode(auth, c1 + end), S3ErrorCode::kSignatureDoesNotMatch);
  // A replayed chunk first overruns the declared length...
  EXPECT_EQ(DecodeCode(auth, c1 + c2 + c2 + end), S3ErrorCode::kInvalidRequest);
  // ...and where the length leaves room, the chain refuses it.
  const Authentication room = Start(kStreamingSignedPayload, 12);
  ChunkSigner replay(env_.crypto(), streaming_);
  const std::string r1 = replay.Chunk("abcd"), r2 = replay.Chunk("efgh"), r_end = replay.Final();
  EXPECT_EQ(DecodeCode(room, r1 + r2 + r2 + r_end), S3ErrorCode::kSignatureDoesNotMatch);
  std::string unsigned_chunk = c1 + "4\r\nefgh\r\n" + end;
  EXPECT_EQ(DecodeCode(auth, unsigned_chunk), S3ErrorCode::kSignatureDoesNotMatch);
}

TEST_F(ChunkedTest, FramingErrors) {
  const Authentication auth = Start(kStreamingSignedPayload, 4);
  ChunkSigner chunks(env_.crypto(), streaming_);
  const std::string c1 = chunks.Chunk("abcd"), end = chunks.Final();
  const std::string sig = c1.substr(c1.find('=') + 1, 64);
  EXPECT_EQ(DecodeCode(auth, "zz;chunk-signature=" + sig + "\r\nabcd\r\n" + end),
            S3ErrorCode::kInvalidChunkSizeError);
  EXPECT_EQ(DecodeCode(auth, "4;chunk-signature=" + sig + "\nabcd\r\n" + end),
            S3ErrorCode::kInvalidRequest);
  EXPECT_EQ(DecodeCode(auth, "4;chunk-signature=" + sig + "\r\nabcdXY" + end),
            S3ErrorCode::kInvalidRequest);
  EXPECT_EQ(DecodeCode(auth, std::string(300, '1')), S3ErrorCode::kInvalidChunkSizeError);
  ChunkedLimits small;
  small.chunk_max_bytes = 3;
  EXPECT_EQ(DecodeCode(auth, c1 + end, small), S3ErrorCode::kInvalidChunkSizeError);
  EXPECT_EQ(DecodeCode(auth, c1 + end + "x"), S3ErrorCode::kInvalidRequest);
  EXPECT_EQ(DecodeCode(auth, c1), S3ErrorCode::kIncompleteBody);
  EXPECT_EQ(DecodeCode(auth, c1.substr(0, c1.size() - 3)), S3ErrorCode::kIncompleteBody);
  EXPECT_EQ(DecodeCode(auth, ""), S3ErrorCode::kIncompleteBody);
  EXPECT_EQ(DecodeCode(auth, c1 + end.substr(0, end.size() - 2) + "x-amz-meta-a:b\r\n\r\n"),
            S3ErrorCode::kMalformedTrailerError);
}

TEST_F(ChunkedTest, DecodedLengthMustMatch) {
  const Authentication shorter = Start(kStreamingSignedPayload, 5);
  ChunkSigner a(env_.crypto(), streaming_);
  std::string short_wire = a.Chunk("abcd");
  short_wire += a.Final();
  EXPECT_EQ(DecodeCode(shorter, short_wire), S3ErrorCode::kIncompleteBody);
  const Authentication longer = Start(kStreamingSignedPayload, 3);
  ChunkSigner b(env_.crypto(), streaming_);
  std::string long_wire = b.Chunk("abcd");
  long_wire += b.Final();
  EXPECT_EQ(DecodeCode(longer, long_wire), S3ErrorCode::kInvalidRequest);
}

TEST_F(ChunkedTest, ErrorsAreSticky) {
  const Authentication auth = Start(kStreamingSignedPayload, 4);
  auto reader = NewBodyReader(env_.crypto(), auth);
  std::string out;
  auto first = (*reader)->Feed("zz\r\n", out);
  ASSERT_FALSE(first.has_value());
  auto again = (*reader)->Feed("4\r\n", out);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(first.error(), again.error());
  EXPECT_EQ(CodeOf((*reader)->Finish()), S3ErrorCode::kInvalidChunkSizeError);
}

TEST_F(ChunkedTest, SignedTrailerWithChecksum) {
  const std::string data = "streaming checksum payload";
  const Authentication auth =
      Start(kStreamingSignedPayloadTrailer, data.size(), "x-amz-checksum-crc32c");
  ChunkSigner s(env_.crypto(), streaming_);
  const std::string body = s.Chunk(data);
  const std::string good = Crc32cOf(data);
  const std::string wire = body + s.FinalWithTrailers({{"x-amz-checksum-crc32c", good}});
  std::string out;
  ASSERT_TRUE(Decode(auth, wire, 1, out));
  EXPECT_EQ(out, data);
  // The blank line that closes the trailers may be missing.
  EXPECT_EQ(DecodeCode(auth, wire.substr(0, wire.size() - 2)), std::nullopt);

  std::string tampered = wire;
  tampered.replace(tampered.find(good), good.size(), "AAAAAA==");
  EXPECT_EQ(DecodeCode(auth, tampered), S3ErrorCode::kSignatureDoesNotMatch);

  ChunkSigner bad(env_.crypto(), streaming_);
  std::string signed_wrong = bad.Chunk(data);
  signed_wrong += bad.FinalWithTrailers({{"x-amz-checksum-crc32c", "AAAAAA=="}});
  EXPECT_EQ(DecodeCode(auth, signed_wrong), S3ErrorCode::kBadDigest);

  std::string no_sig = wire.substr(0, wire.find("x-amz-trailer-signature")) + "\r\n";
  EXPECT_EQ(DecodeCode(auth, no_sig), S3ErrorCode::kMalformedTrailerError);

  ChunkSigner other(env_.crypto(), streaming_);
  std::string undeclared = other.Chunk(data);
  undeclared += other.FinalWithTrailers({{"x-amz-checksum-sha1", "x"}});
  EXPECT_EQ(DecodeCode(auth, undeclared), S3ErrorCode::kMalformedTrailerError);

  ChunkSigner none(env_.crypto(), streaming_);
  std::string missing = none.Chunk(data);
  missing += none.FinalWithTrailers({});
  EXPECT_EQ(DecodeCode(auth, missing), S3ErrorCode::kMalformedTrailerError);
}

TEST_F(ChunkedTest, UnsignedTrailerWithEachChecksum) {
  const std::string data(70000, 'z');
  for (ChecksumAlgorithm algorithm : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c,
                                      ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    const std::string name(ChecksumHeaderName(algorithm));
    const Authentication auth = Start(kStreamingUnsignedPayloadTrailer, data.size(), name);
    Checksummer c(env_.crypto(), algorithm);
    c.Update(data);
    const std::string value = c.FinalBase64();
    const std::string wire = ChunkSigner::UnsignedChunk(data.substr(0, 65536)) +
                             ChunkSigner::UnsignedChunk(data.substr(65536)) +
                             ChunkSigner::UnsignedFinal({{name, value}});
    std::string out;
    ASSERT_TRUE(Decode(auth, wire, 7, out)) << name;
    EXPECT_EQ(out, data);
    std::string corrupt = wire;
    corrupt[10] = 'y';
    EXPECT_EQ(DecodeCode(auth, corrupt), S3ErrorCode::kBadDigest) << name;
    const std::string with_sig = ChunkSigner::UnsignedChunk(data) + "0\r\n" + name + ":" + value +
                                 "\r\nx-amz-trailer-signature:" + std::string(64, 'a') + "\r\n\r\n";
    EXPECT_EQ(DecodeCode(auth, with_sig), S3ErrorCode::kMalformedTrailerError) << name;
  }
  const Authentication plain = Start(kStreamingUnsignedPayloadTrailer, 3, "x-amz-checksum-crc32");
  EXPECT_EQ(DecodeCode(plain, "3;chunk-signature=" + std::string(64, 'a') + "\r\nabc\r\n0\r\n\r\n"),
            S3ErrorCode::kInvalidRequest);
}

TEST_F(ChunkedTest, CreateRefusesBadConfigurations) {
  ChunkedConfig config;
  config.mode = PayloadMode::kUnsigned;
  EXPECT_FALSE(ChunkedDecoder::Create(env_.crypto(), config).has_value());
  config.mode = PayloadMode::kStreamingSigned;
  EXPECT_FALSE(ChunkedDecoder::Create(env_.crypto(), config).has_value());
  config.mode = PayloadMode::kStreamingUnsignedTrailer;
  config.trailers = {"x-amz-meta-foo"};
  EXPECT_EQ(CodeOf(ChunkedDecoder::Create(env_.crypto(), config)), S3ErrorCode::kInvalidRequest);
}

// The seed corpus of chunked_decode_fuzz must stay valid, or the fuzzer never
// gets past the first signature. Byte 0 picks the mode, byte 1 the split.
TEST_F(ChunkedTest, FuzzSeedCorpusDecodes) {
  StreamingContext context;
  context.signing_key = DeriveSigningKey(
      env_.crypto(), base::Secret(std::string(testing::kSecretKey)), "20150830", "us-east-1", "s3");
  context.amz_date = "20150830T123600Z";
  context.scope = "20150830/us-east-1/s3/aws4_request";
  context.seed_signature = std::string(64, 'a');
  struct Seed {
    const char* file;
    PayloadMode mode;
    const char* trailer;
  };
  for (const Seed& seed : {Seed{"signed-two-chunks", PayloadMode::kStreamingSigned, ""},
                           Seed{"signed-empty", PayloadMode::kStreamingSigned, ""},
                           Seed{"signed-trailer-crc32c", PayloadMode::kStreamingSignedTrailer,
                                "x-amz-checksum-crc32c"},
                           Seed{"unsigned-trailer-crc32", PayloadMode::kStreamingUnsignedTrailer,
                                "x-amz-checksum-crc32"}}) {
    std::ifstream in(std::string(COFFER_SOURCE_DIR) + "/fixtures/fuzz/chunked/" + seed.file,
                     std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string wire = bytes.str().substr(2);
    ChunkedConfig config;
    config.mode = seed.mode;
    config.streaming = context;
    if (*seed.trailer != '\0') config.trailers = {seed.trailer};
    auto decoder = ChunkedDecoder::Create(env_.crypto(), config);
    ASSERT_TRUE(decoder.has_value());
    std::string out;
    base::Status fed = (*decoder)->Feed(wire, out);
    ASSERT_TRUE(fed.has_value()) << seed.file << ": " << fed.error().message();
    base::Status done = (*decoder)->Finish();
    EXPECT_TRUE(done.has_value()) << seed.file << ": " << done.error().message();
  }
}

// The worked example of AWS's "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks": the seed signature and
// the three chunk signatures are the documented values.
TEST_F(ChunkedTest, AwsDocumentedStreamingExample) {
  HttpRequest r;
  r.method = "PUT";
  r.target = "/examplebucket/chunkObject.txt";
  r.headers = {
      {"host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
       "x-amz-decoded-content-length;x-amz-storage-class,"
       "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"content-encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"content-length", "66824"}};
  const CredentialLookup lookup = [](std::string_view key) -> base::Result<Credential> {
    if (key != "AKIAIOSFODNN7EXAMPLE") return base::NotFound("unknown");
    return Credential{base::Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "doc",
                      std::nullopt};
  };
  const base::WallTime t = *ParseAmzDate("20130524T000000Z");
  auto auth = verifier_.Verify(r, lookup, t);
  ASSERT_TRUE(auth.has_value()) << auth.error().message();
  ChunkSigner signer(env_.crypto(), auth->streaming);
  const std::string c1 = signer.Chunk(std::string(65536, 'a'));
  const std::string c2 = signer.Chunk(std::string(1024, 'a'));
  const std::string end = signer.Final();
  EXPECT_EQ(c1.substr(0, 86),
            "10000;chunk-signature="
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  EXPECT_EQ(c2.substr(0, 84),
            "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  EXPECT_EQ(end,
            "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
            "\r\n\r\n");
  EXPECT_EQ(c1.size() + c2.size() + end.size(), 66824u);  // The example's Content-Length.
  std::string out;
  ASSERT_TRUE(Decode(*auth, c1 + c2 + end, 4096, out).has_value());
  EXPECT_EQ(out, std::string(66560, 'a'));
}

// The worked example of AWS's "Signature calculations for trailing headers":
// chunk signatures chained from its seed, the CRC32C trailer and the
// documented x-amz-trailer-signature.
TEST_F(ChunkedTest, AwsDocumentedTrailerExample) {
  ChunkedConfig config;
  config.mode = PayloadMode::kStreamingSignedTrailer;
  config.streaming.signing_key =
      DeriveSigningKey(env_.crypto(), base::Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                       "20130524", "us-east-1", "s3");
  config.streaming.amz_date = "20130524T000000Z";
  config.streaming.scope = "20130524/us-east-1/s3/aws4_request";
  config.streaming.seed_signature =
      "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
  config.trailers = {"x-amz-checksum-crc32c"};
  config.decoded_content_length = 66560;
  const std::string documented_end =
      "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n"
      "x-amz-checksum-crc32c:sOO8/Q==\r\n"
      "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
      "\r\n\r\n";
  ChunkSigner signer(env_.crypto(), config.streaming);
  const std::string c1 = signer.Chunk(std::string(65536, 'a'));
  const std::string c2 = signer.Chunk(std::string(1024, 'a'));
  EXPECT_EQ(c1.substr(0, 86),
            "10000;chunk-signature="
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2");
  EXPECT_EQ(c2.substr(0, 84),
            "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7");
  EXPECT_EQ(Crc32cOf(std::string(66560, 'a')), "sOO8/Q==");
  EXPECT_EQ(signer.FinalWithTrailers({{"x-amz-checksum-crc32c", "sOO8/Q=="}}), documented_end);
  auto decoder = ChunkedDecoder::Create(env_.crypto(), config);
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  ASSERT_TRUE((*decoder)->Feed(c1 + c2 + documented_end, out).has_value());
  EXPECT_TRUE((*decoder)->Finish().has_value());
  EXPECT_EQ(out.size(), 66560u);
}

}  // namespace
}  // namespace coffer::core::auth
