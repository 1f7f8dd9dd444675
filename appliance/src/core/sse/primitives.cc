#include "primitives.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/params.h>

namespace coffer::core::sse {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

base::Error OpenSslFailed(std::string_view what) {
  return base::Internal("sse: OpenSSL failed to " + std::string(what));
}

// Runs one AEAD pass over `in` into `out` (same length). `encrypt` selects
// the direction; on decryption `tag` is checked, on encryption written.
bool RunAead(const EVP_CIPHER* cipher, bool encrypt, std::string_view key, std::string_view nonce,
             std::string_view aad, std::string_view in, unsigned char* out, unsigned char* tag) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr || key.size() != kKeyBytes || nonce.size() != kNonceBytes) return false;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, U8(key), U8(nonce), encrypt ? 1 : 0, nullptr) != 1) {
    return false;
  }
  int n = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &n, U8(aad), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  if (!in.empty() &&
      EVP_CipherUpdate(ctx.get(), out, &n, U8(in), static_cast<int>(in.size())) != 1) {
    return false;
  }
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                                      tag) != 1) {
    return false;
  }
  unsigned char final_block[16];
  if (EVP_CipherFinal_ex(ctx.get(), final_block, &n) != 1) return false;
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                                     tag) != 1) {
    return false;
  }
  return true;
}

}  // namespace

Engine::Primitives::~Primitives() {
  EVP_CIPHER_free(aes_gcm);
  EVP_CIPHER_free(chacha);
  EVP_MAC_free(hmac);
}

const EVP_CIPHER* Engine::Primitives::Cipher(Algorithm algorithm) const {
  switch (algorithm) {
    case Algorithm::kAes256Gcm:
      return aes_gcm;
    case Algorithm::kChaCha20Poly1305:
      return chacha;
  }
  return nullptr;
}

base::Result<base::Secret> Engine::Primitives::HmacSha256(std::string_view key,
                                                          std::string_view data) const {
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(hmac));
  if (ctx == nullptr) return OpenSslFailed("create an HMAC context");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), U8(key), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), U8(data), data.size()) != 1) {
    return OpenSslFailed("compute an HMAC");
  }
  std::string out(32, '\0');
  std::size_t n = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, out.size()) != 1 ||
      n != out.size()) {
    return OpenSslFailed("finish an HMAC");
  }
  return base::Secret(std::move(out));
}

base::Result<std::string> Engine::Primitives::Seal(Algorithm algorithm, std::string_view key,
                                                   std::string_view nonce, std::string_view aad,
                                                   std::string_view plaintext) const {
  const EVP_CIPHER* cipher = Cipher(algorithm);
  if (cipher == nullptr) return base::Internal("sse: unknown algorithm");
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (!RunAead(cipher, true, key, nonce, aad, plaintext, bytes, bytes + plaintext.size())) {
    return OpenSslFailed("seal");
  }
  return out;
}

base::Result<std::string> Engine::Primitives::Open(Algorithm algorithm, std::string_view key,
                                                   std::string_view nonce, std::string_view aad,
                                                   std::string_view sealed) const {
  const EVP_CIPHER* cipher = Cipher(algorithm);
  if (cipher == nullptr) return base::Internal("sse: unknown algorithm");
  if (sealed.size() < kTagBytes) return base::DataLoss("sse: sealed value too short");
  const std::size_t n = sealed.size() - kTagBytes;
  std::string out(n, '\0');
  unsigned char tag[kTagBytes];
  std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(n), sealed.end(),
            reinterpret_cast<char*>(tag));
  if (!RunAead(cipher, false, key, nonce, aad, sealed.substr(0, n),
               reinterpret_cast<unsigned char*>(out.data()), tag)) {
    base::Secret wipe(std::move(out));
    return base::DataLoss("sse: sealed value does not authenticate");
  }
  return out;
}

base::Result<base::Secret> DeriveStreamKey(const Engine::Primitives& primitives,
                                           const ObjectKey& key, std::uint32_t part_number) {
  std::string info = "coffer-sse-v1 stream";
  info.push_back(static_cast<char>(part_number >> 24));
  info.push_back(static_cast<char>(part_number >> 16));
  info.push_back(static_cast<char>(part_number >> 8));
  info.push_back(static_cast<char>(part_number));
  info.push_back('\x01');  // HKDF-Expand's block counter: T(1) = HMAC(PRK, info || 1).
  return primitives.HmacSha256(key.secret().Reveal(), info);
}

}  // namespace coffer::core::sse
