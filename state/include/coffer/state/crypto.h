#pragma once
// Symmetric cryptography for the IAM store: the appliance master key that encrypts users'
// secret keys (and other resolved secrets) at rest with AES-256-GCM, and keyed digests that
// let plan compare secrets without decrypting them. Every OpenSSL call uses the library
// context it is given (base::Random::LibCtx()), so simulated runs control it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::state {

class MasterKey {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  // Wraps 32 key bytes. kInvalidArgument on any other size. `libctx` must outlive the key.
  static base::Result<MasterKey> FromBytes(base::Secret key, ossl_lib_ctx_st* libctx);
  // A fresh random key.
  static MasterKey Generate(base::Random& random);

  // Encrypts with a random 96-bit nonce; `aad` binds the ciphertext to its row (e.g. the
  // user name) so it cannot be moved to another row. Output: version(1) | nonce | ct | tag.
  base::Result<std::string> Encrypt(std::string_view plaintext, std::string_view aad,
                                    base::Random& random) const;
  // Reverses Encrypt. kDataLoss when the tag does not verify (wrong key, tampering, bitrot).
  base::Result<base::Secret> Decrypt(std::string_view blob, std::string_view aad) const;

  // HMAC-SHA256(key, context || 0 || value), hex. Deterministic, so equal secrets compare
  // equal across runs without revealing them. Thread-safe.
  std::string Digest(std::string_view context, std::string_view value) const;

  const base::Secret& bytes() const { return key_; }
  ossl_lib_ctx_st* libctx() const { return libctx_; }

 private:
  MasterKey(base::Secret key, ossl_lib_ctx_st* libctx) : key_(std::move(key)), libctx_(libctx) {}

  base::Secret key_;
  ossl_lib_ctx_st* libctx_;
};

// SHA-256 of `data`, hex, using `libctx`. Pure and thread-safe.
std::string Sha256Hex(ossl_lib_ctx_st* libctx, std::string_view data);

// Standard base64 with padding, and its inverse (nullopt on malformed input).
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace coffer::state
