// libFuzzer target for the aws-chunked decoder. Input byte 0 picks the mode
// (signed, signed with trailer, unsigned with trailer), byte 1 the size of the
// pieces the rest is fed in (1..64 bytes), so framing is exercised at every
// split. The decoder uses a fixed signing context that the seed corpus in
// fixtures/fuzz/chunked was signed with. Properties: no crash, no sanitizer
// report, every error carries an S3 code, output never exceeds input, and the
// emitted byte count equals payload_bytes().

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/crypto.h>

#include "coffer/base/secret.h"
#include "coffer/core/auth/aws_chunked.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/signing_key_cache.h"

namespace {

using namespace coffer::core::auth;  // NOLINT: a fuzz entry point, not a header.

struct Fixture {
  Fixture() : libctx(OSSL_LIB_CTX_new()), crypto(std::move(Crypto::Create(libctx)).value()) {
    streaming.signing_key =
        DeriveSigningKey(*crypto, coffer::base::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                         "20150830", "us-east-1", "s3");
    streaming.amz_date = "20150830T123600Z";
    streaming.scope = "20150830/us-east-1/s3/aws4_request";
    streaming.seed_signature = std::string(64, 'a');
  }
  OSSL_LIB_CTX* libctx;
  std::unique_ptr<Crypto> crypto;
  StreamingContext streaming;
};

void RequireS3Code(const coffer::base::Status& status) {
  if (!status.has_value() && !S3ErrorCodeOf(status.error()).has_value()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  if (size < 2) return 0;
  ChunkedConfig config;
  switch (data[0] % 3) {
    case 0:
      config.mode = PayloadMode::kStreamingSigned;
      break;
    case 1:
      config.mode = PayloadMode::kStreamingSignedTrailer;
      config.trailers = {"x-amz-checksum-crc32c"};
      break;
    default:
      config.mode = PayloadMode::kStreamingUnsignedTrailer;
      config.trailers = {"x-amz-checksum-crc32"};
      break;
  }
  config.streaming = fixture.streaming;
  config.limits.chunk_max_bytes = 1u << 16;
  const std::size_t step = 1 + data[1] % 64;
  auto decoder = ChunkedDecoder::Create(*fixture.crypto, config);
  if (!decoder.has_value()) std::abort();
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size(); i += step) {
    const coffer::base::Status status = (*decoder)->Feed(body.substr(i, step), out);
    RequireS3Code(status);
    if (!status.has_value()) break;
  }
  RequireS3Code((*decoder)->Finish());
  if (out.size() > body.size() || out.size() != (*decoder)->payload_bytes()) std::abort();
  return 0;
}
