#pragma once
// Test helpers for coffer::state: a seeded Random with its own OpenSSL library context,
// in-memory config trees, temporary store paths and file hashing.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <openssl/crypto.h>

#include "coffer/base/random.h"
#include "coffer/state/config.h"
#include "coffer/state/crypto.h"
#include "coffer/state/secrets.h"

namespace coffer::state::testing {

// xorshift64*: deterministic bytes for keys and nonces in tests.
class TestRandom final : public base::Random {
 public:
  explicit TestRandom(std::uint64_t seed = 42) : state_(seed | 1), ctx_(OSSL_LIB_CTX_new()) {}
  ~TestRandom() override { OSSL_LIB_CTX_free(ctx_); }
  TestRandom(const TestRandom&) = delete;
  TestRandom& operator=(const TestRandom&) = delete;

  void Fill(std::span<std::byte> out) override {
    for (std::byte& b : out) b = static_cast<std::byte>(Next() >> 56);
  }
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) override {
    return lo + Next() % (hi - lo + 1);
  }
  ossl_lib_ctx_st* LibCtx() override { return ctx_; }

 private:
  std::uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 2685821657736338717ull;
  }
  std::uint64_t state_;
  ossl_lib_ctx_st* ctx_;
};

inline ConfigTree Tree(std::map<std::string, std::string> files) {
  return ConfigTree{std::move(files)};
}

// A resolver over a fixed environment map; file and sealed refs resolve from maps as well.
inline StandardSecretResolver MapResolver(std::map<std::string, std::string> env) {
  SecretSources sources;
  sources.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return StandardSecretResolver(std::move(sources));
}

// A fresh directory under the test temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("coffer_state_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace coffer::state::testing
