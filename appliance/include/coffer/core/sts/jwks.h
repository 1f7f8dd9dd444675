#pragma once
// JSON Web Key Sets (RFC 7517) for verifying JSON Web Signatures: the public
// keys an OpenID provider signs its tokens with. A JwkSet is parsed once (from
// a JWKS file in the config repo or the provider's jwks_uri), each key turned
// into an OpenSSL EVP_PKEY in Coffer's library context, and then shared
// read-only between requests.
//
// Accepted keys: RSA (n, e; modulus 2048..8192 bits), EC (crv P-256, P-384,
// P-521 with x, y) and OKP (crv Ed25519). SECURITY: symmetric ("oct") keys,
// private key members, unknown key types or curves, and keys whose "alg"
// contradicts their type are refused, so that a JWKS can never make an HMAC
// or "none" token verify. Keys marked "use": "enc" (or with a key-management
// "alg") are skipped: they are not for signatures.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"

struct ossl_lib_ctx_st;
struct evp_pkey_st;

namespace coffer::core::sts {

// The JWS algorithms Coffer verifies (RFC 7518 section 3, RFC 8037).
enum class JwsAlgorithm {
  kRs256,
  kRs384,
  kRs512,
  kPs256,
  kPs384,
  kPs512,
  kEs256,
  kEs384,
  kEs512,
  kEdDsa
};

// "RS256" → kRs256, ...; nullopt for anything else, including "none" and HS*.
std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);
std::string_view JwsAlgorithmName(JwsAlgorithm alg);

enum class JwkType { kRsa, kEc, kOkp };

// One verification key. Immutable; the EVP_PKEY is owned and freed with it.
class Jwk {
 public:
  Jwk(JwkType type, std::string kid, std::optional<JwsAlgorithm> alg, std::string curve,
      evp_pkey_st* key);
  ~Jwk();
  Jwk(const Jwk&) = delete;
  Jwk& operator=(const Jwk&) = delete;

  JwkType type() const { return type_; }
  const std::string& kid() const { return kid_; }  // May be empty.
  // The key's "alg" member when it has one.
  const std::optional<JwsAlgorithm>& alg() const { return alg_; }
  // "P-256", "P-384", "P-521", "Ed25519"; empty for RSA.
  const std::string& curve() const { return curve_; }
  // Borrowed; valid as long as the Jwk. Safe to use from several threads for
  // verification (each verification makes its own context).
  evp_pkey_st* pkey() const { return key_; }
  // True when this key may verify a signature made with `alg` (type, curve and
  // the key's own "alg" all agree).
  bool Accepts(JwsAlgorithm alg) const;

 private:
  JwkType type_;
  std::string kid_;
  std::optional<JwsAlgorithm> alg_;
  std::string curve_;
  evp_pkey_st* key_;
};

struct JwksLimits {
  std::size_t max_bytes = 256 * 1024;
  std::size_t max_keys = 64;
};

class JwkSet {
 public:
  // Parses a JWKS document ({"keys": [...]}) or a single JWK object, building
  // every key in `libctx` (borrowed, never null: env.random().LibCtx()).
  // Errors: kInvalidArgument for malformed JSON, oversized input, a set with no
  // usable signature key, or any refused key (the message names its kid and
  // why); kInternal when OpenSSL cannot build a valid-looking key.
  static base::Result<std::shared_ptr<const JwkSet>> Parse(std::string_view json,
                                                           ossl_lib_ctx_st* libctx,
                                                           const JwksLimits& limits = {});

  // The key with this kid, or nullptr.
  const Jwk* FindByKid(std::string_view kid) const;
  const std::vector<std::unique_ptr<Jwk>>& keys() const { return keys_; }

 private:
  std::vector<std::unique_ptr<Jwk>> keys_;
};

}  // namespace coffer::core::sts
