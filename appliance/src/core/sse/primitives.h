#pragma once
// The OpenSSL algorithms behind the SSE engine, fetched once from the Env's
// library context, and the one-shot helpers built on them. Private to sse/.

#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/format.h"

namespace coffer::core::sse {

inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kKeyBytes = 32;

struct Engine::Primitives {
  OSSL_LIB_CTX* libctx = nullptr;
  EVP_CIPHER* aes_gcm = nullptr;
  EVP_CIPHER* chacha = nullptr;
  EVP_MAC* hmac = nullptr;

  Primitives() = default;
  Primitives(const Primitives&) = delete;
  Primitives& operator=(const Primitives&) = delete;
  ~Primitives();

  // The fetched cipher of `algorithm`, or null for an unknown value.
  const EVP_CIPHER* Cipher(Algorithm algorithm) const;

  // HMAC-SHA256(key, data): 32 bytes. kInternal when OpenSSL fails.
  base::Result<base::Secret> HmacSha256(std::string_view key, std::string_view data) const;

  // One-shot AEAD: returns ciphertext || tag. kInternal when OpenSSL fails.
  base::Result<std::string> Seal(Algorithm algorithm, std::string_view key, std::string_view nonce,
                                 std::string_view aad, std::string_view plaintext) const;
  // Opens ciphertext || tag; kDataLoss when it does not authenticate.
  base::Result<std::string> Open(Algorithm algorithm, std::string_view key, std::string_view nonce,
                                 std::string_view aad, std::string_view sealed) const;
};

// The key of one stream: HKDF-Expand-SHA256(object key, "coffer-sse-v1
// stream" || part number (u32 big-endian), 32), which is one HMAC block.
base::Result<base::Secret> DeriveStreamKey(const Engine::Primitives& primitives,
                                           const ObjectKey& key, std::uint32_t part_number);

}  // namespace coffer::core::sse
