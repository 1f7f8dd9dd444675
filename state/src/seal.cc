// X25519 + HKDF-SHA256 + AES-256-GCM, all through OpenSSL 3 EVP in the caller's library
// context. An ephemeral key per sealed value means the AEAD key is used exactly once.

#include "coffer/state/seal.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "coffer/state/crypto.h"

namespace coffer::state {
namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kPublicPrefix = "coffer-seal-public-v1:";
constexpr std::string_view kPrivatePrefix = "coffer-seal-private-v1:";
constexpr std::string_view kInfo = "coffer-seal-v1";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Pkey PrivateKey(ossl_lib_ctx_st* libctx, std::string_view raw) {
  return Pkey(EVP_PKEY_new_raw_private_key_ex(libctx, "X25519", nullptr, U(raw), raw.size()));
}

Pkey PublicKey(ossl_lib_ctx_st* libctx, std::string_view raw) {
  return Pkey(EVP_PKEY_new_raw_public_key_ex(libctx, "X25519", nullptr, U(raw), raw.size()));
}

base::Result<std::string> RawPublic(EVP_PKEY* key) {
  std::string out(kKeyBytes, '\0');
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kKeyBytes) {
    return base::Internal("X25519 public key export failed");
  }
  return out;
}

// HKDF-SHA256(shared, salt = eph_pub | recipient_pub, info) -> 32-byte AEAD key.
base::Result<base::Secret> DeriveKey(ossl_lib_ctx_st* libctx, EVP_PKEY* own, EVP_PKEY* peer,
                                     std::string_view salt) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(libctx, own, nullptr));
  std::string shared(kKeyBytes, '\0');
  std::size_t len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &len) != 1) {
    return base::PermissionDenied("X25519 key agreement failed");
  }
  base::Secret shared_secret(std::move(shared));
  EVP_KDF* kdf = EVP_KDF_fetch(libctx, "HKDF", nullptr);
  if (kdf == nullptr) return base::Internal("HKDF unavailable");
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  char digest[] = "SHA256";
  std::string salt_copy(salt), info(kInfo), key_copy(shared_secret.Reveal());
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_copy.data(), key_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  std::string out(kKeyBytes, '\0');
  int rc = EVP_KDF_derive(kctx, reinterpret_cast<unsigned char*>(out.data()), out.size(), params);
  EVP_KDF_CTX_free(kctx);
  base::Secret wipe(std::move(key_copy));
  if (rc != 1) return base::Internal("HKDF failed");
  return base::Secret(std::move(out));
}

}  // namespace

base::Result<SealKeyPair> GenerateSealKeyPair(base::Random& random) {
  base::Secret raw(random.Bytes(kKeyBytes));
  Pkey key = PrivateKey(random.LibCtx(), raw.Reveal());
  if (!key) return base::Internal("X25519 key generation failed");
  COFFER_ASSIGN_OR_RETURN(std::string pub, RawPublic(key.get()));
  return SealKeyPair{std::move(pub), std::move(raw)};
}

std::string EncodeSealPublicKey(std::string_view public_key) {
  return std::string(kPublicPrefix) + Base64Encode(public_key);
}

std::string EncodeSealPrivateKey(const base::Secret& private_key) {
  return std::string(kPrivatePrefix) + Base64Encode(private_key.Reveal());
}

namespace {

base::Result<std::string> DecodeKey(std::string_view text, std::string_view prefix) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (!text.starts_with(prefix)) {
    return base::InvalidArgument("not a " + std::string(prefix.substr(0, prefix.size() - 1)) +
                                 " key");
  }
  std::optional<std::string> raw = Base64Decode(text.substr(prefix.size()));
  if (!raw || raw->size() != kKeyBytes) return base::InvalidArgument("malformed key");
  return *std::move(raw);
}

}  // namespace

base::Result<std::string> DecodeSealPublicKey(std::string_view text) {
  return DecodeKey(text, kPublicPrefix);
}

base::Result<base::Secret> DecodeSealPrivateKey(std::string_view text) {
  COFFER_ASSIGN_OR_RETURN(std::string raw, DecodeKey(text, kPrivatePrefix));
  return base::Secret(std::move(raw));
}

base::Result<std::string> Seal(std::string_view plaintext, std::string_view public_key,
                               base::Random& random) {
  ossl_lib_ctx_st* libctx = random.LibCtx();
  Pkey peer = PublicKey(libctx, public_key);
  if (!peer || public_key.size() != kKeyBytes) return base::InvalidArgument("bad public key");
  COFFER_ASSIGN_OR_RETURN(SealKeyPair eph, GenerateSealKeyPair(random));
  Pkey own = PrivateKey(libctx, eph.private_key.Reveal());
  COFFER_ASSIGN_OR_RETURN(base::Secret key, DeriveKey(libctx, own.get(), peer.get(),
                                                      eph.public_key + std::string(public_key)));
  std::string header(1, static_cast<char>(kVersion));
  header += eph.public_key;
  std::string nonce = random.Bytes(kNonceBytes);
  // The AEAD key is fresh per value; AES-GCM via the master-key helper keeps one GCM code path.
  COFFER_ASSIGN_OR_RETURN(MasterKey aead, MasterKey::FromBytes(std::move(key), libctx));
  COFFER_ASSIGN_OR_RETURN(std::string box, aead.Encrypt(plaintext, header, random));
  // box = version | nonce | ct | tag; keep nonce | ct | tag.
  return "sealed:" + Base64Encode(header + box.substr(1));
}

base::Result<base::Secret> Unseal(std::string_view sealed, const base::Secret& private_key,
                                  ossl_lib_ctx_st* libctx) {
  if (!sealed.starts_with("sealed:")) return base::InvalidArgument("not a sealed: value");
  std::optional<std::string> raw = Base64Decode(sealed.substr(7));
  if (!raw || raw->size() < 1 + kKeyBytes + kNonceBytes + kTagBytes) {
    return base::InvalidArgument("sealed value is malformed");
  }
  if (static_cast<unsigned char>((*raw)[0]) != kVersion) {
    return base::InvalidArgument("sealed value has an unknown version");
  }
  std::string header = raw->substr(0, 1 + kKeyBytes);
  Pkey own = PrivateKey(libctx, private_key.Reveal());
  Pkey peer = PublicKey(libctx, std::string_view(*raw).substr(1, kKeyBytes));
  if (!own || !peer) return base::InvalidArgument("bad key");
  COFFER_ASSIGN_OR_RETURN(std::string own_pub, RawPublic(own.get()));
  COFFER_ASSIGN_OR_RETURN(base::Secret key,
                          DeriveKey(libctx, own.get(), peer.get(), header.substr(1) + own_pub));
  COFFER_ASSIGN_OR_RETURN(MasterKey aead, MasterKey::FromBytes(std::move(key), libctx));
  std::string box(1, static_cast<char>(kVersion));
  box += raw->substr(1 + kKeyBytes);
  base::Result<base::Secret> plain = aead.Decrypt(box, header);
  if (!plain.has_value()) return base::PermissionDenied("sealed value does not open with this key");
  return plain;
}

}  // namespace coffer::state
