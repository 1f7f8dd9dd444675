#pragma once
// AES-256-GCM for the key store: one call to seal, one to open, every OpenSSL
// call through the library context it is given. Private to core/kms.

#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"

struct ossl_lib_ctx_st;

namespace coffer::core::kms {

inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;

// Returns ciphertext | tag (16 bytes) of `plaintext` under `key` (32 bytes)
// with `nonce` (12 bytes) and associated data `aad`. kInternal when OpenSSL
// fails (a bug or a broken library context).
base::Result<std::string> GcmSeal(ossl_lib_ctx_st* libctx, std::string_view key,
                                  std::string_view nonce, std::string_view plaintext,
                                  std::string_view aad);

// Reverses GcmSeal. kDataLoss when the tag does not verify (wrong key, nonce,
// associated data, or tampered bytes).
base::Result<base::Secret> GcmOpen(ossl_lib_ctx_st* libctx, std::string_view key,
                                   std::string_view nonce, std::string_view sealed,
                                   std::string_view aad);

}  // namespace coffer::core::kms
