#include "coffer/sim/seeded_random.h"

#include <cstring>
#include <limits>

#include <openssl/crypto.h>

#include "coffer/base/assert.h"

namespace coffer::sim {
namespace {

std::uint64_t SplitMix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

SeededRandom::SeededRandom(std::uint64_t seed) : ctx_(OSSL_LIB_CTX_new()) {
  COFFER_ASSERT(ctx_ != nullptr);
  std::uint64_t x = seed;
  for (auto& word : s_) word = SplitMix64(x);
}

SeededRandom::~SeededRandom() { OSSL_LIB_CTX_free(ctx_); }

std::uint64_t SeededRandom::Next() {
  // xoshiro256** (Blackman and Vigna), public domain algorithm.
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

void SeededRandom::Fill(std::span<std::byte> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    const std::uint64_t v = Next();
    const std::size_t n = std::min<std::size_t>(8, out.size() - i);
    std::memcpy(out.data() + i, &v, n);
    i += n;
  }
}

std::uint64_t SeededRandom::Uniform(std::uint64_t lo, std::uint64_t hi) {
  COFFER_ASSERT(lo <= hi);
  const std::uint64_t span = hi - lo;
  if (span == std::numeric_limits<std::uint64_t>::max()) return Next();
  const std::uint64_t range = span + 1;
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              (std::numeric_limits<std::uint64_t>::max() % range);
  for (;;) {
    const std::uint64_t v = Next();
    if (v < limit) return lo + v % range;
  }
}

bool SeededRandom::Chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  // 53 random bits as a double in [0, 1).
  const double u = static_cast<double>(Next() >> 11) * 0x1.0p-53;
  return u < p;
}

}  // namespace coffer::sim
