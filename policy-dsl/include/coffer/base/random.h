#pragma once
// The Random seam: the only source of randomness for keys, nonces, request IDs
// and access keys. Production binds it to OpenSSL's DRBG in Coffer's own
// OSSL_LIB_CTX; the simulator to a seeded generator (and a RAND provider in the
// same library context, so OpenSSL's own randomness is seeded too).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

// OpenSSL's library context, forward-declared so this header stays light.
struct ossl_lib_ctx_st;

namespace coffer::base {

class Random {
 public:
  virtual ~Random() = default;

  // Fills `out` with random bytes. Production bytes are cryptographically
  // strong. Not thread-safe unless the implementation says so.
  virtual void Fill(std::span<std::byte> out) = 0;

  // Returns a uniformly distributed integer in [lo, hi]. Requires lo <= hi.
  virtual std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) = 0;

  // The OpenSSL library context every *_ex call must use, so that simulated
  // runs control OpenSSL's randomness as well. Never null.
  virtual ossl_lib_ctx_st* LibCtx() = 0;

  // Convenience: `n` random bytes as a string.
  std::string Bytes(std::size_t n) {
    std::string s(n, '\0');
    Fill(std::as_writable_bytes(std::span<char>(s.data(), s.size())));
    return s;
  }
};

}  // namespace coffer::base
