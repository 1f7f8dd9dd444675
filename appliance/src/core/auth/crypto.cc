#include "coffer/core/auth/crypto.h"

#include <cstring>

#include <openssl/evp.h>

#include "coffer/base/assert.h"

namespace coffer::core::auth {
namespace {

constexpr std::size_t kHmacBlockBytes = 64;

// Digests a || b with `ctx`, which is reinitialised, so one context serves
// several digests (HMAC needs two) without another allocation.
void DigestWith(EVP_MD_CTX* ctx, const EVP_MD* md, std::string_view a, std::string_view b,
                unsigned char* out) {
  // Digest calls fail only on allocation failure or a broken provider, which
  // are not states the request path can recover from.
  COFFER_ASSERT(EVP_DigestInit_ex2(ctx, md, nullptr) == 1);
  COFFER_ASSERT(EVP_DigestUpdate(ctx, a.data(), a.size()) == 1);
  if (!b.empty()) COFFER_ASSERT(EVP_DigestUpdate(ctx, b.data(), b.size()) == 1);
  unsigned int length = 0;
  COFFER_ASSERT(EVP_DigestFinal_ex(ctx, out, &length) == 1);
}

// Owns one EVP_MD_CTX for the duration of a call.
class ScopedMdCtx {
 public:
  ScopedMdCtx() : ctx_(EVP_MD_CTX_new()) { COFFER_ASSERT(ctx_ != nullptr); }
  ~ScopedMdCtx() { EVP_MD_CTX_free(ctx_); }
  ScopedMdCtx(const ScopedMdCtx&) = delete;
  ScopedMdCtx& operator=(const ScopedMdCtx&) = delete;
  EVP_MD_CTX* get() const { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

HashStream::HashStream(const evp_md_st* md, evp_md_ctx_st* ctx) : md_(md), ctx_(ctx) {
  COFFER_ASSERT(EVP_DigestInit_ex2(ctx_, md_, nullptr) == 1);
}

HashStream::~HashStream() { EVP_MD_CTX_free(ctx_); }

void HashStream::Update(std::string_view data) {
  if (data.empty()) return;
  COFFER_ASSERT(EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1);
}

std::string HashStream::Final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  COFFER_ASSERT(EVP_DigestFinal_ex(ctx_, out, &length) == 1);
  COFFER_ASSERT(EVP_DigestInit_ex2(ctx_, md_, nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(out), length);
}

base::Result<std::unique_ptr<Crypto>> Crypto::Create(ossl_lib_ctx_st* libctx) {
  COFFER_ASSERT(libctx != nullptr);
  EVP_MD* sha256 = EVP_MD_fetch(libctx, "SHA2-256", nullptr);
  EVP_MD* sha1 = EVP_MD_fetch(libctx, "SHA1", nullptr);
  if (sha256 == nullptr || sha1 == nullptr) {
    EVP_MD_free(sha256);
    EVP_MD_free(sha1);
    return base::Internal("the OpenSSL library context provides no SHA-256 or SHA-1");
  }
  return std::unique_ptr<Crypto>(new Crypto(sha256, sha1));
}

Crypto::Crypto(evp_md_st* sha256, evp_md_st* sha1) : sha256_(sha256), sha1_(sha1) {}

Crypto::~Crypto() {
  EVP_MD_free(sha256_);
  EVP_MD_free(sha1_);
}

Sha256Digest Crypto::Sha256(std::string_view data) const {
  Sha256Digest out;
  ScopedMdCtx ctx;
  DigestWith(ctx.get(), sha256_, data, {}, out.data());
  return out;
}

std::string Crypto::Sha256Hex(std::string_view data) const { return HexEncode(Sha256(data)); }

Sha256Digest Crypto::HmacSha256(std::string_view key, std::string_view data) const {
  // HMAC is built on the fetched digest rather than EVP_MAC so that no MAC
  // object has to be fetched or allocated per call; SigV4 runs five HMACs per
  // request and the verification budget is a few microseconds.
  ScopedMdCtx ctx;
  unsigned char block[kHmacBlockBytes] = {};
  if (key.size() > kHmacBlockBytes) {
    DigestWith(ctx.get(), sha256_, key, {}, block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kHmacBlockBytes];
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) pad[i] = block[i] ^ 0x36;
  Sha256Digest inner;
  DigestWith(ctx.get(), sha256_,
             std::string_view(reinterpret_cast<const char*>(pad), kHmacBlockBytes), data,
             inner.data());
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
  Sha256Digest outer;
  DigestWith(
      ctx.get(), sha256_, std::string_view(reinterpret_cast<const char*>(pad), kHmacBlockBytes),
      std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()), outer.data());
  // SECURITY: the padded key blocks are derived key material; wipe them.
  volatile unsigned char* wipe = block;
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) wipe[i] = 0;
  wipe = pad;
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) wipe[i] = 0;
  return outer;
}

std::string Crypto::HmacSha1(std::string_view key, std::string_view data) const {
  // SHA-1 has the same 64-byte block as SHA-256; the digest is 20 bytes.
  ScopedMdCtx ctx;
  unsigned char block[kHmacBlockBytes] = {};
  if (key.size() > kHmacBlockBytes) {
    DigestWith(ctx.get(), sha1_, key, {}, block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kHmacBlockBytes];
  const std::string_view pad_view(reinterpret_cast<const char*>(pad), kHmacBlockBytes);
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) pad[i] = block[i] ^ 0x36;
  unsigned char inner[20];
  DigestWith(ctx.get(), sha1_, pad_view, data, inner);
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
  unsigned char outer[20];
  DigestWith(ctx.get(), sha1_, pad_view, std::string_view(reinterpret_cast<const char*>(inner), 20),
             outer);
  volatile unsigned char* wipe = block;
  for (std::size_t i = 0; i < kHmacBlockBytes; ++i) wipe[i] = 0;
  return std::string(reinterpret_cast<const char*>(outer), 20);
}

std::unique_ptr<HashStream> Crypto::NewSha256() const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  COFFER_ASSERT(ctx != nullptr);
  return std::unique_ptr<HashStream>(new HashStream(sha256_, ctx));
}

std::unique_ptr<HashStream> Crypto::NewSha1() const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  COFFER_ASSERT(ctx != nullptr);
  return std::unique_ptr<HashStream>(new HashStream(sha1_, ctx));
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

bool IsLowerHex(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length of a signature is public (always 64 hex digits), so an early
  // return on a length mismatch leaks nothing secret.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace coffer::core::auth
