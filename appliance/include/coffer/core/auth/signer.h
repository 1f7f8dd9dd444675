#pragma once
// The client side of SigV4: signs request heads, presigns URLs and frames
// aws-chunked bodies with chained chunk signatures. Used by tests, fuzzers
// and the load generator; it shares the canonicaliser and signature code with
// the verifier (signature.h), so the two cannot drift apart.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signature.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"

namespace coffer::core::auth {

struct SigningCredentials {
  std::string access_key;
  base::Secret secret_key;
  std::string session_token;  // Empty for long-term credentials.
};

struct SignerOptions {
  std::string region = "us-east-1";
  std::string service = "s3";
  CanonicalOptions canonical;  // S3 rules by default.
  // Whether X-Amz-Security-Token is added before signing (and so signed).
  bool sign_session_token = true;
  // Whether Sign() adds an x-amz-content-sha256 header (S3 requires it).
  bool set_content_sha256 = true;
};

struct SignedRequestInfo {
  SignatureResult signature;   // Canonical request, string to sign, signature.
  std::string authorization;   // The Authorization header value.
  StreamingContext streaming;  // Seeds a ChunkSigner for aws-chunked bodies.
};

class Signer {
 public:
  // `crypto` is borrowed and must outlive the signer.
  Signer(const Crypto& crypto, SigningCredentials credentials, SignerOptions options);

  // Signs `request` in place at `now`: sets x-amz-date (replacing any value),
  // x-amz-content-sha256 = `payload_hash` (per options), the security token,
  // then Authorization over every header present except authorization,
  // user-agent, expect and x-amzn-trace-id. Header names must be lower-case.
  // Errors: InvalidURI for a malformed target. Thread-safe.
  base::Result<SignedRequestInfo> Sign(HttpRequest& request, base::WallTime now,
                                       std::string_view payload_hash) const;

  // Returns `target` with the X-Amz-* presigning parameters added, valid for
  // `expires` from `now`. `headers` are the headers to sign (at least host).
  // Errors: InvalidURI; AuthorizationQueryParametersError when `expires` is
  // outside 1 s .. 7 days.
  base::Result<std::string> Presign(std::string_view method, std::string_view target,
                                    const HeaderList& headers, base::WallTime now,
                                    std::chrono::seconds expires) const;

 private:
  const Crypto& crypto_;
  SigningCredentials credentials_;
  SignerOptions options_;
};

// Frames an aws-chunked body. Not thread-safe; one per request.
class ChunkSigner {
 public:
  // `crypto` is borrowed; `streaming` comes from SignedRequestInfo.
  ChunkSigner(const Crypto& crypto, StreamingContext streaming);

  // "<hex size>;chunk-signature=<sig>\r\n<data>\r\n" for non-empty `data`.
  std::string Chunk(std::string_view data);
  // The end of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: zero chunk and CRLF.
  std::string Final();
  // The end of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER body: zero chunk,
  // the trailers ("name" lower-case), x-amz-trailer-signature and CRLF.
  std::string FinalWithTrailers(const std::vector<std::pair<std::string, std::string>>& trailers);

  // STREAMING-UNSIGNED-PAYLOAD-TRAILER framing.
  static std::string UnsignedChunk(std::string_view data);
  static std::string UnsignedFinal(
      const std::vector<std::pair<std::string, std::string>>& trailers);

 private:
  std::string ZeroChunk();
  const Crypto& crypto_;
  StreamingContext streaming_;
  std::string previous_;
};

}  // namespace coffer::core::auth
