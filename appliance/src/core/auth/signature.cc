#include "coffer/core/auth/signature.h"

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

std::string ChunkSignature(const Crypto& crypto, const base::Secret& signing_key,
                           std::string_view amz_date, std::string_view scope,
                           std::string_view previous_signature, std::string_view chunk_sha256_hex) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts += amz_date;
  sts += '\n';
  sts += scope;
  sts += '\n';
  sts += previous_signature;
  sts += '\n';
  sts += kEmptySha256Hex;
  sts += '\n';
  sts += chunk_sha256_hex;
  return HexEncode(crypto.HmacSha256(signing_key.Reveal(), sts));
}

std::string TrailerSignature(const Crypto& crypto, const base::Secret& signing_key,
                             std::string_view amz_date, std::string_view scope,
                             std::string_view previous_signature,
                             std::string_view canonical_trailers) {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n";
  sts += amz_date;
  sts += '\n';
  sts += scope;
  sts += '\n';
  sts += previous_signature;
  sts += '\n';
  sts += crypto.Sha256Hex(canonical_trailers);
  return HexEncode(crypto.HmacSha256(signing_key.Reveal(), sts));
}

}  // namespace coffer::core::auth
