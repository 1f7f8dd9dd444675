#include "coffer/core/auth/body_reader.h"

#include "coffer/core/auth/aws_chunked.h"
#include "coffer/core/auth/verifier.h"

namespace coffer::core::auth {
namespace {

// UNSIGNED-PAYLOAD: the bytes are what they are; length checks belong to the
// HTTP layer's Content-Length framing.
class UnsignedBody final : public BodyReader {
 public:
  base::Status Feed(std::string_view input, std::string& out) override {
    out.append(input);
    return base::Ok();
  }
  base::Status Finish() override { return base::Ok(); }
};

}  // namespace

Sha256BodyVerifier::Sha256BodyVerifier(const Crypto& crypto, std::string expected_hex)
    : hash_(crypto.NewSha256()), expected_hex_(std::move(expected_hex)) {}

base::Status Sha256BodyVerifier::Feed(std::string_view input, std::string& out) {
  COFFER_ASSERT(!finished_);
  hash_->Update(input);
  out.append(input);
  return base::Ok();
}

base::Status Sha256BodyVerifier::Finish() {
  COFFER_ASSERT(!finished_);
  finished_ = true;
  // The expected value is public (it was in a header); a plain comparison
  // would do, but constant time costs nothing here.
  if (!ConstantTimeEquals(HexEncode(hash_->Final()), expected_hex_)) {
    return MakeS3Error(S3ErrorCode::kXAmzContentSha256Mismatch);
  }
  return base::Ok();
}

base::Result<std::unique_ptr<BodyReader>> NewBodyReader(const Crypto& crypto,
                                                        const Authentication& auth,
                                                        const ChunkedLimits& limits) {
  switch (auth.payload.mode) {
    case PayloadMode::kUnsigned:
      return std::unique_ptr<BodyReader>(new UnsignedBody());
    case PayloadMode::kSignedSha256:
      return std::unique_ptr<BodyReader>(new Sha256BodyVerifier(crypto, auth.payload.sha256_hex));
    case PayloadMode::kStreamingSigned:
    case PayloadMode::kStreamingSignedTrailer:
    case PayloadMode::kStreamingUnsignedTrailer:
      break;
  }
  ChunkedConfig config;
  config.mode = auth.payload.mode;
  config.streaming = auth.streaming;
  config.trailers = auth.trailers;
  config.decoded_content_length = auth.decoded_content_length;
  config.limits = limits;
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<ChunkedDecoder> decoder,
                          ChunkedDecoder::Create(crypto, std::move(config)));
  return std::unique_ptr<BodyReader>(std::move(decoder));
}

}  // namespace coffer::core::auth
