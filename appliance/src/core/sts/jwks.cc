#include "coffer/core/sts/jwks.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "coffer/core/sts/jwt.h"

namespace coffer::core::sts {
namespace {

using nlohmann::json;

struct AlgName {
  JwsAlgorithm alg;
  std::string_view name;
};

constexpr std::array<AlgName, 10> kAlgNames{{{JwsAlgorithm::kRs256, "RS256"},
                                             {JwsAlgorithm::kRs384, "RS384"},
                                             {JwsAlgorithm::kRs512, "RS512"},
                                             {JwsAlgorithm::kPs256, "PS256"},
                                             {JwsAlgorithm::kPs384, "PS384"},
                                             {JwsAlgorithm::kPs512, "PS512"},
                                             {JwsAlgorithm::kEs256, "ES256"},
                                             {JwsAlgorithm::kEs384, "ES384"},
                                             {JwsAlgorithm::kEs512, "ES512"},
                                             {JwsAlgorithm::kEdDsa, "EdDSA"}}};

// Key-management algorithms (RFC 7518 section 4): keys carrying them are for
// encryption and are skipped, not refused.
bool IsKeyManagementAlg(std::string_view alg) {
  return alg.starts_with("RSA-OAEP") || alg == "RSA1_5" || alg.starts_with("ECDH-ES") ||
         alg.starts_with("A128") || alg.starts_with("A192") || alg.starts_with("A256") ||
         alg == "dir";
}

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::string KeyName(const std::string& kid, std::size_t index) {
  return kid.empty() ? "key #" + std::to_string(index) : "key \"" + kid + "\"";
}

base::Result<std::string> Member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return base::InvalidArgument(std::string("missing or non-string \"") + name + "\"");
  }
  auto bytes = DecodeBase64Url(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    return base::InvalidArgument(std::string("\"") + name + "\" is not base64url");
  }
  return *std::move(bytes);
}

base::Result<PkeyPtr> FromData(ossl_lib_ctx_st* libctx, const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(libctx, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return base::InvalidArgument(std::string("OpenSSL refused the ") + type + " key");
  }
  PkeyPtr key(raw);
  // SECURITY: an EC point off the curve would enable invalid-curve tricks.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(libctx, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return base::InvalidArgument(std::string("invalid ") + type + " public key");
  }
  return key;
}

base::Result<PkeyPtr> BuildRsa(const json& jwk, ossl_lib_ctx_st* libctx) {
  COFFER_ASSIGN_OR_RETURN(std::string n, Member(jwk, "n"));
  COFFER_ASSIGN_OR_RETURN(std::string e, Member(jwk, "e"));
  auto* un = reinterpret_cast<const unsigned char*>(n.data());
  auto* ue = reinterpret_cast<const unsigned char*>(e.data());
  BnPtr bn_n(BN_bin2bn(un, static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(ue, static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return base::Internal("BN_bin2bn failed");
  const int bits = BN_num_bits(bn_n.get());
  if (bits < 2048 || bits > 8192) {
    return base::InvalidArgument("RSA modulus of " + std::to_string(bits) +
                                 " bits (2048..8192 accepted)");
  }
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()) || BN_num_bits(bn_e.get()) > 64) {
    return base::InvalidArgument("unusable RSA exponent");
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return base::Internal("OSSL_PARAM_BLD failed");
  }
  return FromData(libctx, "RSA", bld.get());
}

std::size_t CurveBytes(std::string_view crv) {
  if (crv == "P-256") return 32;
  if (crv == "P-384") return 48;
  if (crv == "P-521") return 66;
  return 0;
}

base::Result<PkeyPtr> BuildEc(const json& jwk, const std::string& crv, ossl_lib_ctx_st* libctx) {
  const std::size_t size = CurveBytes(crv);
  if (size == 0) return base::InvalidArgument("unsupported EC curve \"" + crv + "\"");
  COFFER_ASSIGN_OR_RETURN(std::string x, Member(jwk, "x"));
  COFFER_ASSIGN_OR_RETURN(std::string y, Member(jwk, "y"));
  if (x.size() != size || y.size() != size) {
    return base::InvalidArgument("EC coordinates of the wrong length for " + crv);
  }
  std::string point = "\x04" + x + y;
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return base::Internal("OSSL_PARAM_BLD failed");
  }
  return FromData(libctx, "EC", bld.get());
}

base::Result<PkeyPtr> BuildOkp(const json& jwk, const std::string& crv, ossl_lib_ctx_st* libctx) {
  if (crv != "Ed25519") return base::InvalidArgument("unsupported OKP curve \"" + crv + "\"");
  COFFER_ASSIGN_OR_RETURN(std::string x, Member(jwk, "x"));
  if (x.size() != 32) return base::InvalidArgument("Ed25519 key of the wrong length");
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key_ex(
      libctx, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (raw == nullptr) return base::InvalidArgument("OpenSSL refused the Ed25519 key");
  return PkeyPtr(raw);
}

std::string StringMember(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Parses one JWK. Returns null (no error) for a key that is not for
// signatures, an error for a refused key.
base::Result<std::unique_ptr<Jwk>> ParseKey(const json& jwk, ossl_lib_ctx_st* libctx) {
  if (!jwk.is_object()) return base::InvalidArgument("not a JSON object");
  for (const char* m : {"kty", "kid", "alg", "use", "crv"}) {
    if (jwk.contains(m) && !jwk[m].is_string()) {
      return base::InvalidArgument(std::string("\"") + m + "\" is not a string");
    }
  }
  const std::string kty = StringMember(jwk, "kty");
  const std::string kid = StringMember(jwk, "kid");
  const std::string alg_name = StringMember(jwk, "alg");
  const std::string use = StringMember(jwk, "use");
  const std::string crv = StringMember(jwk, "crv");
  // SECURITY: a symmetric key in a JWKS is how HMAC algorithm confusion starts.
  if (kty == "oct") return base::InvalidArgument("symmetric (oct) keys are refused");
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}) {
    if (jwk.contains(m)) return base::InvalidArgument("private key material in a public JWKS");
  }
  if (use == "enc" || (!alg_name.empty() && IsKeyManagementAlg(alg_name))) {
    return std::unique_ptr<Jwk>();
  }
  if (!use.empty() && use != "sig") return base::InvalidArgument("unknown \"use\": " + use);
  std::optional<JwsAlgorithm> alg;
  if (!alg_name.empty()) {
    alg = ParseJwsAlgorithm(alg_name);
    if (!alg) return base::InvalidArgument("unsupported \"alg\": " + alg_name);
  }
  base::Result<PkeyPtr> key = base::InvalidArgument("unsupported key type \"" + kty + "\"");
  JwkType type = JwkType::kRsa;
  if (kty == "RSA") {
    key = BuildRsa(jwk, libctx);
  } else if (kty == "EC") {
    type = JwkType::kEc;
    key = BuildEc(jwk, crv, libctx);
  } else if (kty == "OKP") {
    type = JwkType::kOkp;
    key = BuildOkp(jwk, crv, libctx);
  }
  if (!key) return key.error();
  auto out = std::make_unique<Jwk>(type, kid, alg, type == JwkType::kRsa ? "" : crv,
                                   std::move(key).value().release());
  if (alg && !out->Accepts(*alg)) {
    return base::InvalidArgument("\"alg\": " + alg_name + " does not match the key type");
  }
  return out;
}

}  // namespace

std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  for (const AlgName& a : kAlgNames) {
    if (a.name == name) return a.alg;
  }
  return std::nullopt;
}

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  for (const AlgName& a : kAlgNames) {
    if (a.alg == alg) return a.name;
  }
  return "?";
}

Jwk::Jwk(JwkType type, std::string kid, std::optional<JwsAlgorithm> alg, std::string curve,
         evp_pkey_st* key)
    : type_(type), kid_(std::move(kid)), alg_(alg), curve_(std::move(curve)), key_(key) {}

Jwk::~Jwk() { EVP_PKEY_free(key_); }

bool Jwk::Accepts(JwsAlgorithm alg) const {
  if (alg_ && *alg_ != alg) return false;
  switch (alg) {
    case JwsAlgorithm::kRs256:
    case JwsAlgorithm::kRs384:
    case JwsAlgorithm::kRs512:
    case JwsAlgorithm::kPs256:
    case JwsAlgorithm::kPs384:
    case JwsAlgorithm::kPs512:
      return type_ == JwkType::kRsa;
    case JwsAlgorithm::kEs256:
      return type_ == JwkType::kEc && curve_ == "P-256";
    case JwsAlgorithm::kEs384:
      return type_ == JwkType::kEc && curve_ == "P-384";
    case JwsAlgorithm::kEs512:
      return type_ == JwkType::kEc && curve_ == "P-521";
    case JwsAlgorithm::kEdDsa:
      return type_ == JwkType::kOkp && curve_ == "Ed25519";
  }
  return false;
}

base::Result<std::shared_ptr<const JwkSet>> JwkSet::Parse(std::string_view text,
                                                          ossl_lib_ctx_st* libctx,
                                                          const JwksLimits& limits) {
  COFFER_ASSERT(libctx != nullptr);
  if (text.size() > limits.max_bytes) {
    return base::InvalidArgument("JWKS larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return base::InvalidArgument("JWKS is not a JSON object");
  json list;
  if (doc.contains("keys")) {
    list = doc["keys"];
    if (!list.is_array()) return base::InvalidArgument("JWKS \"keys\" is not an array");
  } else {
    list = json::array({doc});
  }
  if (list.size() > limits.max_keys) {
    return base::InvalidArgument("JWKS has more than " + std::to_string(limits.max_keys) + " keys");
  }
  auto set = std::make_shared<JwkSet>();
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto key = ParseKey(list[i], libctx);
    if (!key) {
      const std::string kid = list[i].is_object() ? StringMember(list[i], "kid") : "";
      return key.error().WithContext("JWKS " + KeyName(kid, i));
    }
    if (*key) set->keys_.push_back(std::move(key).value());
  }
  if (set->keys_.empty()) return base::InvalidArgument("JWKS holds no signature key");
  return std::shared_ptr<const JwkSet>(std::move(set));
}

const Jwk* JwkSet::FindByKid(std::string_view kid) const {
  for (const auto& k : keys_) {
    if (k->kid() == kid) return k.get();
  }
  return nullptr;
}

}  // namespace coffer::core::sts
