#pragma once
// Test doubles for the SSE unit tests: a seeded Random with its own OpenSSL
// library context, and an in-memory KeyService whose data-key ciphertexts
// really are sealed (AES-256-GCM under a per-version master key, bound to the
// key name and the context), so context and version checks are real.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/random.h"
#include "coffer/env/key_service.h"

namespace coffer::core::sse::testing {

class TestRandom final : public base::Random {
 public:
  explicit TestRandom(std::uint64_t seed = 1);
  ~TestRandom() override;
  TestRandom(const TestRandom&) = delete;
  TestRandom& operator=(const TestRandom&) = delete;

  void Fill(std::span<std::byte> out) override;
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) override;
  ossl_lib_ctx_st* LibCtx() override { return ctx_; }

 private:
  ossl_lib_ctx_st* ctx_;
  std::uint64_t state_;
};

class FakeKeyService final : public env::KeyService {
 public:
  explicit FakeKeyService(base::Random& random) : random_(random) {}

  base::Status CreateKey(std::string_view name) override;
  base::Status DeleteKey(std::string_view name) override;
  base::Result<std::vector<env::KeyInfo>> ListKeys(std::string_view pattern) override;
  base::Result<env::DataKey> GenerateKey(std::string_view name, std::string_view context) override;
  base::Result<base::Secret> Decrypt(std::string_view name, std::string_view ciphertext,
                                     std::string_view context) override;
  base::Result<std::string> Encrypt(std::string_view name, std::string_view plaintext,
                                    std::string_view context) override;
  base::Result<env::KeyInfo> RotateKey(std::string_view name) override;
  base::Result<std::string> Rewrap(std::string_view name, std::string_view ciphertext,
                                   std::string_view context) override;
  base::Result<env::KeyServiceStatus> Status() override;

  // Scripted behaviour.
  bool down = false;    // Every call: kUnavailable.
  bool denied = false;  // Every key call: kPermissionDenied.
  int calls = 0;
  // The contexts GenerateKey/Decrypt saw, in order.
  std::vector<std::string> contexts;

  // The version a ciphertext names (first byte after the "FK" tag).
  static std::uint32_t VersionOf(std::string_view ciphertext);

 private:
  base::Status Gate();
  base::Result<std::string> Seal(std::string_view name, std::uint32_t version,
                                 std::string_view plaintext, std::string_view context);

  base::Random& random_;
  std::map<std::string, std::vector<std::string>, std::less<>> keys_;
};

}  // namespace coffer::core::sse::testing
