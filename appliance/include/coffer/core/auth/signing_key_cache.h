#pragma once
// The SigV4 signing key (kSigning = HMAC chain over date, region, service and
// "aws4_request") and a cache of derived keys. Deriving costs four HMACs; the
// key changes only daily, so the verifier caches it per (secret, date, region,
// service). The cache is owned by the caller (the request core), never global.

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "coffer/base/secret.h"
#include "coffer/core/auth/crypto.h"

namespace coffer::core::auth {

// Derives kSigning from the secret access key. Thread-safe.
base::Secret DeriveSigningKey(const Crypto& crypto, const base::Secret& secret_key,
                              std::string_view date, std::string_view region,
                              std::string_view service);

class SigningKeyCache {
 public:
  // Holds at most `capacity` keys; when full it starts over (keys are cheap to
  // derive again, and a bounded size keeps a flood of distinct scopes from
  // growing memory).
  explicit SigningKeyCache(std::size_t capacity = 4096) : capacity_(capacity) {}

  // Returns the signing key, deriving and remembering it on a miss.
  // Thread-safe.
  base::Secret Get(const Crypto& crypto, const base::Secret& secret_key, std::string_view date,
                   std::string_view region, std::string_view service);

  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::size_t capacity_;
  // Keyed by SHA-256(secret, date, region, service): the map never holds the
  // secret itself, and a changed secret (rotation) misses naturally.
  std::map<std::string, base::Secret> keys_;
};

}  // namespace coffer::core::auth
