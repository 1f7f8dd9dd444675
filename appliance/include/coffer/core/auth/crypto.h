#pragma once
// Hashing primitives for SigV4 and payload checksums: SHA-256, SHA-1 and
// HMAC-SHA256 through OpenSSL's EVP interface in Coffer's own library context,
// plus hex and base64 helpers and a constant-time comparison.
//
// A Crypto object fetches its algorithms once, at creation, so that the
// per-request cost is only the hashing itself. It is immutable after
// creation and safe to share between threads.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "coffer/base/result.h"

struct ossl_lib_ctx_st;
struct evp_md_st;
struct evp_md_ctx_st;

namespace coffer::core::auth {

using Sha256Digest = std::array<unsigned char, 32>;

// An incremental digest (SHA-256 or SHA-1). Not thread-safe; owned by one
// request at a time.
class HashStream {
 public:
  ~HashStream();
  HashStream(const HashStream&) = delete;
  HashStream& operator=(const HashStream&) = delete;

  void Update(std::string_view data);
  // Returns the raw digest and resets the stream for reuse.
  std::string Final();

 private:
  friend class Crypto;
  HashStream(const evp_md_st* md, evp_md_ctx_st* ctx);
  const evp_md_st* md_;
  evp_md_ctx_st* ctx_;
};

class Crypto {
 public:
  // Fetches SHA-256 and SHA-1 from `libctx` (borrowed; must outlive the
  // Crypto; never null: pass env.random().LibCtx()). Returns kInternal when
  // the library context cannot provide them.
  static base::Result<std::unique_ptr<Crypto>> Create(ossl_lib_ctx_st* libctx);
  ~Crypto();
  Crypto(const Crypto&) = delete;
  Crypto& operator=(const Crypto&) = delete;

  Sha256Digest Sha256(std::string_view data) const;
  // Lower-case hex of SHA-256(data).
  std::string Sha256Hex(std::string_view data) const;
  // HMAC-SHA256 (RFC 2104) of `data` under `key`.
  Sha256Digest HmacSha256(std::string_view key, std::string_view data) const;
  // HMAC-SHA1, raw 20 bytes. Only for legacy Signature V2.
  std::string HmacSha1(std::string_view key, std::string_view data) const;

  std::unique_ptr<HashStream> NewSha256() const;
  std::unique_ptr<HashStream> NewSha1() const;

 private:
  Crypto(evp_md_st* sha256, evp_md_st* sha1);
  evp_md_st* sha256_;
  evp_md_st* sha1_;
};

// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);
template <std::size_t N>
std::string HexEncode(const std::array<unsigned char, N>& bytes) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}
// True when `text` is exactly `length` lower-case hex digits.
bool IsLowerHex(std::string_view text, std::size_t length);

// Standard base64 (RFC 4648 §4) with padding.
std::string Base64Encode(std::string_view bytes);

// SECURITY: compares two strings in time that depends only on their lengths,
// so an attacker learns nothing from how long a signature check takes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace coffer::core::auth
