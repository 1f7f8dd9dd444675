#include "aead.h"

#include <memory>

#include <openssl/evp.h>

namespace coffer::core::kms {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherFree>;

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Both directions share the setup: fetch the cipher from the library context,
// set key and nonce, feed the associated data.
base::Result<CtxPtr> Begin(ossl_lib_ctx_st* libctx, std::string_view key, std::string_view nonce,
                           std::string_view aad, bool encrypt) {
  if (key.size() != 32 || nonce.size() != kNonceBytes) {
    return base::Internal("AES-256-GCM: bad key or nonce length");
  }
  CipherPtr cipher(EVP_CIPHER_fetch(libctx, "AES-256-GCM", nullptr));
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx ||
      EVP_CipherInit_ex2(ctx.get(), cipher.get(), U8(key), U8(nonce), encrypt ? 1 : 0, nullptr) !=
          1) {
    return base::Internal("AES-256-GCM: cipher setup failed");
  }
  int n = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &n, U8(aad), static_cast<int>(aad.size())) != 1) {
    return base::Internal("AES-256-GCM: associated data failed");
  }
  return ctx;
}

}  // namespace

base::Result<std::string> GcmSeal(ossl_lib_ctx_st* libctx, std::string_view key,
                                  std::string_view nonce, std::string_view plaintext,
                                  std::string_view aad) {
  COFFER_ASSIGN_OR_RETURN(CtxPtr ctx, Begin(libctx, key, nonce, aad, true));
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  int fin = 0;
  if (EVP_EncryptUpdate(ctx.get(), o, &n, U8(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + n, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes, o + plaintext.size()) != 1) {
    return base::Internal("AES-256-GCM: encryption failed");
  }
  return out;
}

base::Result<base::Secret> GcmOpen(ossl_lib_ctx_st* libctx, std::string_view key,
                                   std::string_view nonce, std::string_view sealed,
                                   std::string_view aad) {
  if (sealed.size() < kTagBytes) return base::DataLoss("ciphertext too short");
  COFFER_ASSIGN_OR_RETURN(CtxPtr ctx, Begin(libctx, key, nonce, aad, false));
  const std::size_t ct_size = sealed.size() - kTagBytes;
  std::string tag(sealed.substr(ct_size));
  base::Secret out(std::string(ct_size, '\0'));
  // The Secret owns the buffer from the start so that it is wiped on every path.
  auto* o = reinterpret_cast<unsigned char*>(const_cast<char*>(out.Reveal().data()));
  int n = 0;
  int fin = 0;
  if (EVP_DecryptUpdate(ctx.get(), o, &n, U8(sealed), static_cast<int>(ct_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + n, &fin) != 1) {
    return base::DataLoss("ciphertext does not open (tampered, wrong key or context)");
  }
  return out;
}

}  // namespace coffer::core::kms
