// AES-256-GCM and HMAC-SHA256 through OpenSSL 3's EVP interfaces, always in the caller's
// library context.

#include "coffer/state/crypto.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace coffer::state {
namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using Cipher = std::unique_ptr<EVP_CIPHER, CipherFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

}  // namespace

base::Result<MasterKey> MasterKey::FromBytes(base::Secret key, ossl_lib_ctx_st* libctx) {
  COFFER_ASSERT(libctx != nullptr);
  if (key.size() != kKeyBytes) return base::InvalidArgument("master key must be 32 bytes");
  return MasterKey(std::move(key), libctx);
}

MasterKey MasterKey::Generate(base::Random& random) {
  return MasterKey(base::Secret(random.Bytes(kKeyBytes)), random.LibCtx());
}

base::Result<std::string> MasterKey::Encrypt(std::string_view plaintext, std::string_view aad,
                                             base::Random& random) const {
  Cipher cipher(EVP_CIPHER_fetch(libctx_, "AES-256-GCM", nullptr));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx) return base::Internal("AES-256-GCM unavailable");
  std::string nonce = random.Bytes(kNonceBytes);
  std::string out(1, static_cast<char>(kVersion));
  out += nonce;
  std::size_t header = out.size();
  out.resize(header + plaintext.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + header);
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex2(ctx.get(), cipher.get(), U(key_.Reveal()), U(nonce), nullptr) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), dst, &len, U(plaintext), static_cast<int>(plaintext.size())) ==
          1 &&
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                          dst + plaintext.size()) == 1;
  if (!ok) return base::Internal("AES-256-GCM encryption failed");
  return out;
}

base::Result<base::Secret> MasterKey::Decrypt(std::string_view blob, std::string_view aad) const {
  if (blob.size() < 1 + kNonceBytes + kTagBytes ||
      static_cast<unsigned char>(blob[0]) != kVersion) {
    return base::DataLoss("encrypted secret is malformed");
  }
  std::string_view nonce = blob.substr(1, kNonceBytes);
  std::string_view body = blob.substr(1 + kNonceBytes, blob.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(blob.substr(blob.size() - kTagBytes));
  Cipher cipher(EVP_CIPHER_fetch(libctx_, "AES-256-GCM", nullptr));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx) return base::Internal("AES-256-GCM unavailable");
  std::string plain(body.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(plain.data());
  int len = 0;
  bool ok =
      EVP_DecryptInit_ex2(ctx.get(), cipher.get(), U(key_.Reveal()), U(nonce), nullptr) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), dst, &len, U(body), static_cast<int>(body.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), dst + len, &len) == 1;
  base::Secret secret(std::move(plain));
  if (!ok) return base::DataLoss("encrypted secret failed authentication");
  return secret;
}

std::string MasterKey::Digest(std::string_view context, std::string_view value) const {
  EVP_MAC* mac = EVP_MAC_fetch(libctx_, "HMAC", nullptr);
  COFFER_ASSERT(mac != nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  COFFER_ASSERT(ctx != nullptr);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  COFFER_ASSERT(EVP_MAC_init(ctx, U(key_.Reveal()), key_.size(), params) == 1);
  const unsigned char zero = 0;
  EVP_MAC_update(ctx, U(context), context.size());
  EVP_MAC_update(ctx, &zero, 1);
  EVP_MAC_update(ctx, U(value), value.size());
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  COFFER_ASSERT(EVP_MAC_final(ctx, out, &len, sizeof(out)) == 1);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return Hex(out, len);
}

std::string Sha256Hex(ossl_lib_ctx_st* libctx, std::string_view data) {
  EVP_MD* md = EVP_MD_fetch(libctx, "SHA256", nullptr);
  COFFER_ASSERT(md != nullptr);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  COFFER_ASSERT(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) == 1);
  EVP_MD_free(md);
  return Hex(out, len);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), U(bytes),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * (text.size() / 4) + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), U(text),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  if (text.size() >= 1 && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

}  // namespace coffer::state
