#pragma once
// Verification of JSON Web Tokens (RFC 7519) in JWS compact serialization
// (RFC 7515) against a JwkSet, and the checks of their registered claims.
// Used by the OIDC verifier behind AssumeRoleWithWebIdentity and
// AssumeRoleWithClientGrants.
//
// SECURITY: the algorithm comes from the token but is only accepted when it is
// one of the asymmetric algorithms of JwsAlgorithm and the chosen key agrees
// with it (Jwk::Accepts); "none" and HS256/384/512 are refused outright, so a
// token "signed" with HMAC over the provider's public key bytes never
// verifies. Header members that point at keys (jku, jwk, x5u, x5c) are never
// followed, and any "crit" member is refused.
//
// All functions here are pure and thread-safe: time comes in as a parameter.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/core/sts/jwks.h"

struct ossl_lib_ctx_st;

namespace coffer::core::sts {

// The largest compact JWT accepted (bytes).
inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

// Strict base64url without padding (RFC 7515 section 2): refuses '=', '+',
// '/', whitespace, a length of 1 mod 4 and non-zero trailing bits, so each
// token has exactly one encoding. Returns nullopt on any of those.
std::optional<std::string> DecodeBase64Url(std::string_view in);
std::string EncodeBase64Url(std::string_view in);

struct VerifiedJwt {
  JwsAlgorithm alg;
  std::string kid;        // From the header; may be empty.
  nlohmann::json header;  // A JSON object.
  nlohmann::json claims;  // A JSON object.
};

// Splits a compact JWS and decodes its header and payload WITHOUT verifying
// anything. Only for choosing the provider (its "iss") before verification;
// never trust the result. Errors: kUnauthenticated for anything malformed.
base::Result<VerifiedJwt> DecodeUnverified(std::string_view token);

// A verified JWS whose payload may be any bytes (RFC 7515, 7520 examples).
struct VerifiedJws {
  JwsAlgorithm alg;
  std::string kid;
  nlohmann::json header;
  std::string payload;
};

// Verifies the signature of a compact JWS with a key of `keys`: the key named
// by the header's kid, or else every key that accepts the algorithm. Errors as
// VerifyJws's.
base::Result<VerifiedJws> VerifyCompactJws(std::string_view token, const JwkSet& keys,
                                           ossl_lib_ctx_st* libctx);

// VerifyCompactJws, then decodes the payload as the JWT's claims (a JSON
// object). Returns the decoded header and claims (claims are NOT checked: call
// CheckClaims).
// Errors: kUnauthenticated for malformed, oversized or refused tokens and bad
// signatures; kNotFound when the header names a kid that `keys` lacks (the
// caller may refetch the provider's keys and retry). `libctx` is borrowed.
base::Result<VerifiedJwt> VerifyJws(std::string_view token, const JwkSet& keys,
                                    ossl_lib_ctx_st* libctx);

// What the registered claims must say.
struct ClaimRequirements {
  std::string issuer;  // "iss" must equal it exactly.
  // "aud" (string or array) must contain one of these, or else "azp" must be
  // one of them; an "azp" that is present must always be one of them.
  std::vector<std::string> audiences;
  // Allowed clock difference for exp, nbf and iat.
  std::chrono::seconds skew{60};
};

// Checks exp (required), nbf and iat (optional), iss, aud/azp at `now`.
// Errors: kDeadlineExceeded when expired; kUnauthenticated for everything
// else (missing or mistyped exp, nbf or iat in the future, wrong iss or aud).
base::Status CheckClaims(const nlohmann::json& claims, const ClaimRequirements& want,
                         base::WallTime now);

}  // namespace coffer::core::sts
