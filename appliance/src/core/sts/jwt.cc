#include "coffer/core/sts/jwt.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

namespace coffer::core::sts {
namespace {

using nlohmann::json;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> MakeDecodeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr std::array<std::int8_t, 256> kDecode = MakeDecodeTable();

base::Error Refused(std::string why) { return base::Unauthenticated("JWT refused: " + why); }

const char* DigestName(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kRs256:
    case JwsAlgorithm::kPs256:
    case JwsAlgorithm::kEs256:
      return "SHA256";
    case JwsAlgorithm::kRs384:
    case JwsAlgorithm::kPs384:
    case JwsAlgorithm::kEs384:
      return "SHA384";
    case JwsAlgorithm::kRs512:
    case JwsAlgorithm::kPs512:
    case JwsAlgorithm::kEs512:
      return "SHA512";
    case JwsAlgorithm::kEdDsa:
      return nullptr;
  }
  return nullptr;
}

bool IsPss(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kPs256 || alg == JwsAlgorithm::kPs384 || alg == JwsAlgorithm::kPs512;
}

std::size_t EcCoordinateBytes(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kEs256:
      return 32;
    case JwsAlgorithm::kEs384:
      return 48;
    case JwsAlgorithm::kEs512:
      return 66;
    default:
      return 0;
  }
}

// JOSE carries ECDSA signatures as fixed-size r || s (RFC 7518 section 3.4);
// OpenSSL wants DER. Returns nullopt when the length is wrong.
std::optional<std::string> EcdsaRawToDer(std::string_view raw, std::size_t n) {
  if (raw.size() != 2 * n) return std::nullopt;
  auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, static_cast<int>(n), nullptr);
  BIGNUM* s = BN_bin2bn(p + n, static_cast<int>(n), nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

bool VerifyWith(const Jwk& key, JwsAlgorithm alg, std::string_view signing_input,
                std::string_view signature, ossl_lib_ctx_st* libctx) {
  std::string der;
  if (const std::size_t n = EcCoordinateBytes(alg); n != 0) {
    auto converted = EcdsaRawToDer(signature, n);
    if (!converted) return false;
    der = *std::move(converted);
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit_ex(md.get(), &pctx, DigestName(alg), libctx, nullptr, key.pkey(),
                                     nullptr) != 1) {
    return false;
  }
  if (IsPss(alg) && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return false;
  }
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

struct Parts {
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
};

base::Result<Parts> Split(std::string_view token) {
  if (token.empty()) return Refused("empty token");
  if (token.size() > kMaxJwtBytes) {
    return Refused("longer than " + std::to_string(kMaxJwtBytes) + " bytes");
  }
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Refused("not a compact JWS (three dot-separated parts)");
  }
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
               token.substr(second + 1)};
}

base::Result<json> DecodeObject(std::string_view b64, const char* what) {
  auto bytes = DecodeBase64Url(b64);
  if (!bytes) return Refused(std::string(what) + " is not base64url");
  json doc = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Refused(std::string(what) + " is not a JSON object");
  return doc;
}

base::Result<VerifiedJws> DecodeHeader(const Parts& parts) {
  COFFER_ASSIGN_OR_RETURN(json header, DecodeObject(parts.header_b64, "header"));
  auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) return Refused("header has no \"alg\"");
  const std::string& alg_name = alg_it->get_ref<const std::string&>();
  // SECURITY: "none" and HMAC would let anyone holding the public key sign.
  if (alg_name == "none" || alg_name.starts_with("HS")) {
    return Refused("algorithm \"" + alg_name + "\" is not allowed");
  }
  auto alg = ParseJwsAlgorithm(alg_name);
  if (!alg) return Refused("unsupported algorithm");
  if (header.contains("crit")) return Refused("critical header extensions are not supported");
  if (header.contains("enc") || header.contains("zip")) return Refused("JWE is not supported");
  std::string kid;
  if (auto k = header.find("kid"); k != header.end()) {
    if (!k->is_string()) return Refused("\"kid\" is not a string");
    kid = k->get<std::string>();
  }
  auto payload = DecodeBase64Url(parts.payload_b64);
  if (!payload) return Refused("payload is not base64url");
  return VerifiedJws{*alg, std::move(kid), std::move(header), *std::move(payload)};
}

base::Result<VerifiedJwt> ToJwt(VerifiedJws jws) {
  json claims = json::parse(jws.payload, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return Refused("payload is not a JSON object");
  return VerifiedJwt{jws.alg, std::move(jws.kid), std::move(jws.header), std::move(claims)};
}

// Reads a NumericDate (RFC 7519: seconds, possibly fractional). nullopt when
// absent; an error when present but not a finite number.
base::Result<std::optional<double>> NumericDate(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<double>();
  if (!it->is_number()) return Refused(std::string("\"") + name + "\" is not a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) return Refused(std::string("\"") + name + "\" is not finite");
  return std::optional<double>(v);
}

bool Contains(const std::vector<std::string>& list, const json& value) {
  return value.is_string() &&
         std::find(list.begin(), list.end(), value.get_ref<const std::string&>()) != list.end();
}

base::Status CheckAudience(const json& claims, const std::vector<std::string>& accepted) {
  bool matched = false;
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    if (aud->is_array()) {
      for (const json& a : *aud) matched = matched || Contains(accepted, a);
    } else if (aud->is_string()) {
      matched = Contains(accepted, *aud);
    } else {
      return Refused("\"aud\" is neither a string nor an array");
    }
  }
  if (auto azp = claims.find("azp"); azp != claims.end()) {
    if (!Contains(accepted, *azp)) return Refused("\"azp\" names another client");
    matched = true;
  }
  if (!matched) return Refused("audience does not match the provider's client");
  return base::Ok();
}

}  // namespace

std::optional<std::string> DecodeBase64Url(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const std::int8_t v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, or two strings would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string EncodeBase64Url(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

base::Result<VerifiedJwt> DecodeUnverified(std::string_view token) {
  COFFER_ASSIGN_OR_RETURN(Parts parts, Split(token));
  COFFER_ASSIGN_OR_RETURN(VerifiedJws jws, DecodeHeader(parts));
  return ToJwt(std::move(jws));
}

base::Result<VerifiedJws> VerifyCompactJws(std::string_view token, const JwkSet& keys,
                                           ossl_lib_ctx_st* libctx) {
  COFFER_ASSIGN_OR_RETURN(Parts parts, Split(token));
  COFFER_ASSIGN_OR_RETURN(VerifiedJws jws, DecodeHeader(parts));
  auto signature = DecodeBase64Url(parts.signature_b64);
  if (!signature || signature->empty()) return Refused("signature is not base64url");
  const std::string_view signing_input =
      token.substr(0, parts.header_b64.size() + 1 + parts.payload_b64.size());
  bool kid_known = false;
  bool any_candidate = false;
  for (const auto& key : keys.keys()) {
    if (!jws.kid.empty() && key->kid() != jws.kid) continue;
    kid_known = true;
    if (!key->Accepts(jws.alg)) continue;
    any_candidate = true;
    if (VerifyWith(*key, jws.alg, signing_input, *signature, libctx)) return jws;
  }
  if (!jws.kid.empty() && !kid_known) {
    return base::NotFound("JWT refused: no key with the token's kid");
  }
  if (!any_candidate) {
    return Refused("no key for algorithm " + std::string(JwsAlgorithmName(jws.alg)));
  }
  return Refused("signature does not verify");
}

base::Result<VerifiedJwt> VerifyJws(std::string_view token, const JwkSet& keys,
                                    ossl_lib_ctx_st* libctx) {
  COFFER_ASSIGN_OR_RETURN(VerifiedJws jws, VerifyCompactJws(token, keys, libctx));
  return ToJwt(std::move(jws));
}

base::Status CheckClaims(const json& claims, const ClaimRequirements& want, base::WallTime now) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double skew_s = static_cast<double>(want.skew.count());
  COFFER_ASSIGN_OR_RETURN(std::optional<double> exp, NumericDate(claims, "exp"));
  COFFER_ASSIGN_OR_RETURN(std::optional<double> nbf, NumericDate(claims, "nbf"));
  COFFER_ASSIGN_OR_RETURN(std::optional<double> iat, NumericDate(claims, "iat"));
  if (!exp) return Refused("no \"exp\" claim");
  if (now_s >= *exp + skew_s) return base::DeadlineExceeded("JWT refused: the token has expired");
  if (nbf && now_s + skew_s < *nbf) return Refused("the token is not valid yet (nbf)");
  if (iat && now_s + skew_s < *iat) return Refused("the token was issued in the future (iat)");
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || *iss != want.issuer) {
    return Refused("issuer does not match the provider");
  }
  return CheckAudience(claims, want.audiences);
}

}  // namespace coffer::core::sts
