#pragma once
// SigV4 request authentication: decides who sent a request, or why it must be
// refused. It covers the Authorization header, presigned URLs and anonymous
// requests, checks clock skew and presigned expiry, refuses Signature V2, and
// returns what the body stage needs (payload mode, chunk-signing context).
//
// Flow for the S3 layer:
//   Authentication auth = verifier.Verify(request, lookup, env.clock().Now());
//   auto reader = NewBodyReader(crypto, auth, limits);   // body_reader.h
//   for each piece of body: reader->Feed(piece, payload);  // store payload
//   reader->Finish();  // only now may the object become visible
//
// Every error carries its S3 code (s3_errors.h): InvalidAccessKeyId,
// SignatureDoesNotMatch, RequestTimeTooSkewed, AccessDenied,
// AuthorizationHeaderMalformed, AuthorizationQueryParametersError,
// MissingSecurityHeader, InvalidToken, InvalidArgument, InvalidRequest,
// InvalidURI, MissingContentLength. Errors from the
// credential lookup other than kNotFound pass through unchanged.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/http.h"

namespace coffer::core::auth {

// What the credential store knows about an access key.
struct Credential {
  base::Secret secret_key;
  std::string principal;  // Opaque identity for authorization: "root", a user name, ...
  // Set for temporary (STS) credentials: the request must carry this token in
  // X-Amz-Security-Token.
  std::optional<base::Secret> session_token;
};

// Looks an access key up. Returns kNotFound for an unknown key (answered as
// InvalidAccessKeyId); any other error is returned to the caller as is. Called
// at most once per Verify, from the calling thread.
using CredentialLookup = std::function<base::Result<Credential>(std::string_view access_key)>;

struct VerifierOptions {
  std::string region = "us-east-1";
  std::string service = "s3";
  // Largest accepted difference between the request time and `now`.
  std::chrono::seconds skew_max{15 * 60};
  // Legacy Signature V2 (sigv2.h). Off: V2 is refused as InvalidRequest with
  // a message naming V4. On: V2 is verified, presigned V2 URLs capped at 7 days.
  bool allow_sigv2 = false;
  CanonicalOptions canonical;  // S3 rules by default.
};

enum class AuthKind { kAnonymous, kHeader, kPresigned };

// What the aws-chunked decoder needs to verify chunk signatures.
struct StreamingContext {
  base::Secret signing_key;
  std::string amz_date;
  std::string scope;
  std::string seed_signature;  // The request's own signature.
};

struct Authentication {
  AuthKind kind = AuthKind::kAnonymous;
  std::string access_key;  // Empty when anonymous.
  std::string principal;   // From the Credential; empty when anonymous.
  bool used_session_token = false;
  base::WallTime request_time{};
  PayloadSpec payload;  // How the body is protected.
  // From x-amz-decoded-content-length (required for the streaming modes).
  std::optional<std::uint64_t> decoded_content_length;
  // Trailer names declared in x-amz-trailer, lower-case.
  std::vector<std::string> trailers;
  StreamingContext streaming;  // Set for the streaming modes.
};

class Verifier {
 public:
  // `crypto` and `cache` are borrowed and must outlive the verifier.
  Verifier(const Crypto& crypto, SigningKeyCache& cache, VerifierOptions options);

  // Authenticates `request` at wall time `now` (from env.clock().Now()).
  // Returns the identity, or an error carrying the S3 code to answer with.
  // Thread-safe when `lookup` is.
  base::Result<Authentication> Verify(const HttpRequest& request, const CredentialLookup& lookup,
                                      base::WallTime now) const;

  // Verify, for services whose whole body the caller has already read (STS's
  // form posts): `body_sha256` is that body's SHA-256, lower-case hex. A
  // request without x-amz-content-sha256 is then checked as signed over this
  // hash (AWS SDKs sign non-S3 services so); one with the header must carry
  // this hash or UNSIGNED-PAYLOAD (XAmzContentSHA256Mismatch otherwise).
  base::Result<Authentication> VerifyBuffered(const HttpRequest& request,
                                              const CredentialLookup& lookup, base::WallTime now,
                                              std::string_view body_sha256) const;

  const VerifierOptions& options() const { return options_; }

 private:
  struct Parsed;
  base::Result<Authentication> VerifyWith(const HttpRequest& request,
                                          const CredentialLookup& lookup, base::WallTime now,
                                          std::optional<std::string_view> body_sha256) const;
  base::Result<Authentication> VerifyHeader(const HttpRequest& request, const Parsed& parsed,
                                            const CredentialLookup& lookup,
                                            base::WallTime now) const;
  base::Result<Authentication> VerifyPresigned(const HttpRequest& request, const Parsed& parsed,
                                               const CredentialLookup& lookup,
                                               base::WallTime now) const;
  base::Status CheckScope(const CredentialScopeParts& scope, S3ErrorCode code) const;
  base::Result<Credential> Lookup(const CredentialLookup& lookup,
                                  std::string_view access_key) const;
  base::Status CheckSignature(const HttpRequest& request, const Parsed& parsed,
                              const Credential& credential, const CredentialScopeParts& scope,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash, std::string_view amz_date,
                              std::string_view signature, Authentication& out) const;

  const Crypto& crypto_;
  SigningKeyCache& cache_;
  VerifierOptions options_;
};

}  // namespace coffer::core::auth
