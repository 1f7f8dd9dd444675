#pragma once
// A seeded, portable generator (xoshiro256**, seeded through SplitMix64): the
// same seed gives the same bytes on every machine and compiler, which the
// standard library's distributions do not promise.

#include <array>
#include <cstdint>

#include "coffer/base/random.h"

namespace coffer::sim {

class SeededRandom final : public base::Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  ~SeededRandom() override;
  SeededRandom(const SeededRandom&) = delete;
  SeededRandom& operator=(const SeededRandom&) = delete;

  void Fill(std::span<std::byte> out) override;
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) override;
  ossl_lib_ctx_st* LibCtx() override { return ctx_; }

  std::uint64_t Next();
  // True with probability p (0 <= p <= 1).
  bool Chance(double p);
  // A new generator whose stream is independent of this one's future draws:
  // used to give each subsystem its own stream, so adding draws in one place
  // does not perturb another.
  std::uint64_t Fork() { return Next() ^ 0x9e3779b97f4a7c15ULL; }

 private:
  std::array<std::uint64_t, 4> s_;
  ossl_lib_ctx_st* ctx_;
};

}  // namespace coffer::sim
