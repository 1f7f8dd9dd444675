#pragma once
// Test-only JWT signing: keys generated in the test's own OpenSSL library
// context, exported as JWKs, and compact JWS tokens signed with any of the
// algorithms Coffer verifies (plus HMAC, to prove it is refused). Used by the
// JWT/OIDC unit tests, the fuzz seed generator and the benchmark.

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "coffer/core/sts/jwt.h"

namespace coffer::core::sts::testing {

class TestKey {
 public:
  // kty: "RSA" (2048 bits), "P-256", "P-384", "P-521" or "Ed25519".
  TestKey(ossl_lib_ctx_st* libctx, std::string_view kind, std::string kid)
      : libctx_(libctx), kind_(kind), kid_(std::move(kid)) {
    if (kind == "RSA") {
      key_ = EVP_PKEY_Q_keygen(libctx, nullptr, "RSA", static_cast<size_t>(2048));
    } else if (kind == "Ed25519") {
      key_ = EVP_PKEY_Q_keygen(libctx, nullptr, "ED25519");
    } else {
      key_ = EVP_PKEY_Q_keygen(libctx, nullptr, "EC", std::string(kind).c_str());
    }
  }
  ~TestKey() { EVP_PKEY_free(key_); }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;

  bool ok() const { return key_ != nullptr; }
  const std::string& kid() const { return kid_; }

  // The public JWK (with "alg" when `alg` is non-empty).
  nlohmann::json Jwk(std::string_view alg = {}) const {
    nlohmann::json j;
    if (!kid_.empty()) j["kid"] = kid_;
    if (!alg.empty()) j["alg"] = std::string(alg);
    if (kind_ == "RSA") {
      j["kty"] = "RSA";
      j["n"] = EncodeBase64Url(Bn(OSSL_PKEY_PARAM_RSA_N));
      j["e"] = EncodeBase64Url(Bn(OSSL_PKEY_PARAM_RSA_E));
    } else if (kind_ == "Ed25519") {
      j["kty"] = "OKP";
      j["crv"] = "Ed25519";
      std::string raw(32, '\0');
      size_t len = raw.size();
      EVP_PKEY_get_raw_public_key(key_, reinterpret_cast<unsigned char*>(raw.data()), &len);
      j["x"] = EncodeBase64Url(raw);
    } else {
      j["kty"] = "EC";
      j["crv"] = kind_;
      std::string pub(200, '\0');
      size_t len = 0;
      EVP_PKEY_get_octet_string_param(key_, OSSL_PKEY_PARAM_PUB_KEY,
                                      reinterpret_cast<unsigned char*>(pub.data()), pub.size(),
                                      &len);
      const size_t n = (len - 1) / 2;
      j["x"] = EncodeBase64Url(pub.substr(1, n));
      j["y"] = EncodeBase64Url(pub.substr(1 + n, n));
    }
    return j;
  }

  // The public key as PEM (for the HMAC algorithm-confusion attack).
  std::string PublicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
  }

  // Signs `signing_input` with `alg` ("RS256", ..., "EdDSA"); returns the raw
  // JOSE signature (r || s for ECDSA).
  std::string Sign(std::string_view alg, std::string_view input) const {
    const char* md = nullptr;
    if (alg.ends_with("256")) md = "SHA256";
    if (alg.ends_with("384")) md = "SHA384";
    if (alg.ends_with("512")) md = "SHA512";
    if (alg == "EdDSA") md = nullptr;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestSignInit_ex(ctx, &pctx, md, libctx_, nullptr, key_, nullptr);
    if (alg.starts_with("PS")) {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    size_t len = 0;
    auto* in = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(ctx, nullptr, &len, in, input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    if (alg.starts_with("ES")) sig = DerToRaw(sig, alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66);
    return sig;
  }

 private:
  std::string Bn(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_, name, &bn);
    std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }

  static std::string DerToRaw(const std::string& der, int n) {
    auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    std::string out(static_cast<size_t>(2 * n), '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), o, n);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), o + n, n);
    ECDSA_SIG_free(sig);
    return out;
  }

  ossl_lib_ctx_st* libctx_;
  std::string kind_;
  std::string kid_;
  EVP_PKEY* key_ = nullptr;
};

// header.payload, base64url-encoded.
inline std::string SigningInput(const nlohmann::json& header, const nlohmann::json& claims) {
  return EncodeBase64Url(header.dump()) + "." + EncodeBase64Url(claims.dump());
}

// A compact JWS of `claims` signed by `key` with `alg` (kid from the key).
inline std::string SignJwt(const TestKey& key, std::string_view alg, const nlohmann::json& claims,
                           nlohmann::json header = nlohmann::json::object()) {
  header["alg"] = std::string(alg);
  if (!key.kid().empty() && !header.contains("kid")) header["kid"] = key.kid();
  const std::string input = SigningInput(header, claims);
  return input + "." + EncodeBase64Url(key.Sign(alg, input));
}

// An HS256 token whose HMAC key is `secret` (e.g. the provider's public key
// bytes): what an algorithm-confusion attacker sends.
inline std::string HmacJwt(ossl_lib_ctx_st* libctx, std::string_view secret,
                           const nlohmann::json& claims, std::string kid) {
  nlohmann::json header = {{"alg", "HS256"}, {"kid", kid}};
  const std::string input = SigningInput(header, claims);
  unsigned char mac[64];
  size_t len = 0;
  EVP_Q_mac(libctx, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
            &len);
  return input + "." + EncodeBase64Url(std::string(reinterpret_cast<char*>(mac), len));
}

}  // namespace coffer::core::sts::testing
