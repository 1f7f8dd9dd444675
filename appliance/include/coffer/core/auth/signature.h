#pragma once
// SigV4 signature computation shared by the verifier and the signer: the
// request signature over the canonical request, and the chained signatures of
// aws-chunked payload chunks and trailers. One implementation for both sides,
// so a signer/verifier disagreement cannot hide in duplicated code.

#include <span>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/http.h"

namespace coffer::core::auth {

struct SignatureInput {
  std::string_view method;
  std::string_view raw_path;  // Encoded, as in the request-target.
  const QueryParams* query = nullptr;
  std::string_view skip_query;  // "X-Amz-Signature" for presigned URLs.
  const HeaderList* headers = nullptr;
  std::span<const std::string> signed_headers;
  std::string_view payload_hash;
  std::string_view amz_date;
  std::string_view scope;
  CanonicalOptions canonical;
};

struct SignatureResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // 64 lower-case hex digits.
};

// Computes the request signature with `signing_key` (from DeriveSigningKey).
// Errors: InvalidURI (bad path encoding), SignatureDoesNotMatch (a signed
// header is absent). Thread-safe.
base::Result<SignatureResult> ComputeSignature(const Crypto& crypto,
                                               const base::Secret& signing_key,
                                               const SignatureInput& input);

// The signature of one aws-chunked chunk whose data hashes to
// `chunk_sha256_hex`, chained from `previous_signature` (the seed signature for
// the first chunk).
std::string ChunkSignature(const Crypto& crypto, const base::Secret& signing_key,
                           std::string_view amz_date, std::string_view scope,
                           std::string_view previous_signature, std::string_view chunk_sha256_hex);

// The x-amz-trailer-signature over `canonical_trailers` ("name:value\n" per
// trailer), chained from the final (zero-length) chunk's signature.
std::string TrailerSignature(const Crypto& crypto, const base::Secret& signing_key,
                             std::string_view amz_date, std::string_view scope,
                             std::string_view previous_signature,
                             std::string_view canonical_trailers);

}  // namespace coffer::core::auth
