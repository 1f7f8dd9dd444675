#pragma once
// Sealing secrets for the config repo: `coffer seal` encrypts a secret to the appliance's
// X25519 public key so it can be committed; only the appliance's private key opens it.
//
// Format: "sealed:" + base64(version=1 | ephemeral public key (32) | nonce (12) |
// AES-256-GCM ciphertext | tag (16)). The AEAD key is HKDF-SHA256 over the X25519 shared
// secret, salted with both public keys; the AAD is version | ephemeral public key.

#include <string>
#include <string_view>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::state {

struct SealKeyPair {
  std::string public_key;    // 32 raw bytes.
  base::Secret private_key;  // 32 raw bytes.
};

// A new X25519 key pair from `random` (so simulated runs are reproducible).
base::Result<SealKeyPair> GenerateSealKeyPair(base::Random& random);

// Text forms for key files: "coffer-seal-public-v1:<base64>" and
// "coffer-seal-private-v1:<base64>" (a trailing newline is accepted).
std::string EncodeSealPublicKey(std::string_view public_key);
std::string EncodeSealPrivateKey(const base::Secret& private_key);
base::Result<std::string> DecodeSealPublicKey(std::string_view text);
base::Result<base::Secret> DecodeSealPrivateKey(std::string_view text);

// Seals `plaintext` to `public_key` (32 raw bytes). Returns "sealed:...".
base::Result<std::string> Seal(std::string_view plaintext, std::string_view public_key,
                               base::Random& random);

// Opens a "sealed:..." text. kInvalidArgument for a malformed text or unknown version,
// kPermissionDenied when it was not sealed to this key (or was tampered with).
base::Result<base::Secret> Unseal(std::string_view sealed, const base::Secret& private_key,
                                  ossl_lib_ctx_st* libctx);

}  // namespace coffer::state
