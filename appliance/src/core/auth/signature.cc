#include "coffer/core/auth/signature.h"

#include <initializer_list>

#include "coffer/core/auth/sigv4.h"

namespace coffer::core::auth {

base::Result<SignatureResult> ComputeSignature(const Crypto& crypto,
                                               const base::Secret& signing_key,
                                               const SignatureInput& input) {
  COFFER_ASSERT(input.query != nullptr);
  COFFER_ASSERT(input.headers != nullptr);
  COFFER_ASSIGN_OR_RETURN(std::string uri, CanonicalUri(input.raw_path, input.canonical));
  const std::string query = CanonicalQueryString(*input.query, input.skip_query);
  COFFER_ASSIGN_OR_RETURN(std::string headers,
                          CanonicalHeaders(*input.headers, input.signed_headers));
  const std::string signed_headers = JoinSignedHeaders(input.signed_headers);
  SignatureResult out;
  out.canonical_request =
      CanonicalRequest({input.method, uri, query, headers, signed_headers, input.payload_hash});
  out.string_to_sign =
      StringToSign(input.amz_date, input.scope, crypto.Sha256Hex(out.canonical_request));
  out.signature = HexEncode(crypto.HmacSha256(signing_key.Reveal(), out.string_to_sign));
  return out;
}

namespace {

// The chunk and trailer strings to sign share one shape: the algorithm line,
// the date, the scope and the previous signature, then their own hash lines.
std::string ChainedStringToSign(std::string_view algorithm, std::string_view amz_date,
                                std::string_view scope, std::string_view previous_signature,
                                std::initializer_list<std::string_view> hashes) {
  std::string sts(algorithm);
  for (std::string_view part : {amz_date, scope, previous_signature}) {
    sts += '\n';
    sts += part;
  }
  for (std::string_view hash : hashes) {
    sts += '\n';
    sts += hash;
  }
  return sts;
}

}  // namespace

std::string ChunkSignature(const Crypto& crypto, const base::Secret& signing_key,
                           std::string_view amz_date, std::string_view scope,
                           std::string_view previous_signature, std::string_view chunk_sha256_hex) {
  const std::string sts =
      ChainedStringToSign("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous_signature,
                          {kEmptySha256Hex, chunk_sha256_hex});
  return HexEncode(crypto.HmacSha256(signing_key.Reveal(), sts));
}

std::string TrailerSignature(const Crypto& crypto, const base::Secret& signing_key,
                             std::string_view amz_date, std::string_view scope,
                             std::string_view previous_signature,
                             std::string_view canonical_trailers) {
  const std::string sts =
      ChainedStringToSign("AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous_signature,
                          {crypto.Sha256Hex(canonical_trailers)});
  return HexEncode(crypto.HmacSha256(signing_key.Reveal(), sts));
}

}  // namespace coffer::core::auth
