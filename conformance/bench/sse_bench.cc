// SSE package throughput per core (issue #9: at least 80% of EVP
// AES-256-GCM). The reference benchmarks run plain EVP AEAD over the same
// buffers (16 KiB records like `openssl speed -evp aes-256-gcm -bytes 16384`,
// and 64 KiB ones like a package); the SSE benchmarks stream a 16 MiB body
// through EncryptingSource (PUT) and DecryptingSink (GET), copies included.
//
//   cmake --preset release -B build/h-sse-rel
//   cmake --build build/h-sse-rel --target coffer_sse_bench
//   build/h-sse-rel/appliance/coffer_sse_bench --benchmark_repetitions=3
//   openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3   (same session)

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "coffer/base/assert.h"
#include "coffer/base/random.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/format.h"
#include "coffer/core/sse/stream.h"

namespace {

namespace sse = coffer::core::sse;
namespace storage = coffer::core::storage;

constexpr std::size_t kBodyBytes = 16 << 20;

class BenchRandom final : public coffer::base::Random {
 public:
  BenchRandom() : ctx_(OSSL_LIB_CTX_new()) {}
  ~BenchRandom() override { OSSL_LIB_CTX_free(ctx_); }
  void Fill(std::span<std::byte> out) override {
    for (auto& b : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<std::byte>(state_ >> 56);
    }
  }
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t) override { return lo; }
  ossl_lib_ctx_st* LibCtx() override { return ctx_; }

 private:
  ossl_lib_ctx_st* ctx_;
  std::uint64_t state_ = 1;
};

struct Shared {
  BenchRandom random;
  std::unique_ptr<sse::Engine> engine = std::move(sse::Engine::Create(random.LibCtx())).value();
  std::string body = random.Bytes(kBodyBytes);
  sse::ObjectKey key{coffer::base::Secret(random.Bytes(32))};
};

Shared& S() {
  static Shared shared;
  return shared;
}

sse::Algorithm AlgorithmOf(const benchmark::State& state) {
  return state.range(0) == 0 ? sse::Algorithm::kAes256Gcm : sse::Algorithm::kChaCha20Poly1305;
}

// Plain EVP AEAD, one record per `record` bytes, the key set once: the
// reference. Arguments: algorithm (0 AES-256-GCM, 1 ChaCha20-Poly1305),
// record bytes, body bytes (1 MiB stays in cache like a 1 MiB PUT; 16 MiB
// streams from memory).
void BM_EvpAeadReference(benchmark::State& state) {
  Shared& s = S();
  const std::size_t record = static_cast<std::size_t>(state.range(1));
  const std::string_view body = std::string_view(s.body).substr(0, state.range(2));
  const char* name = state.range(0) == 0 ? "AES-256-GCM" : "ChaCha20-Poly1305";
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(s.random.LibCtx(), name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::vector<unsigned char> out(record + 16);
  unsigned char key[32] = {1};
  unsigned char iv[12] = {2};
  unsigned char aad[16] = {3};
  COFFER_ASSERT(EVP_EncryptInit_ex2(ctx, cipher, key, nullptr, nullptr) == 1);
  for (auto _ : state) {
    for (std::size_t off = 0; off + record <= body.size(); off += record) {
      int n = 0;
      iv[11]++;
      EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr);
      EVP_EncryptUpdate(ctx, nullptr, &n, aad, sizeof aad);
      EVP_EncryptUpdate(ctx, out.data(), &n,
                        reinterpret_cast<const unsigned char*>(body.data() + off),
                        static_cast<int>(record));
      EVP_EncryptFinal_ex(ctx, out.data() + record, &n);
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + record);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size() / record * record));
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
}
BENCHMARK(BM_EvpAeadReference)
    ->Args({0, 16384, 1 << 20})
    ->Args({0, 16384, kBodyBytes})
    ->Args({0, 65536, kBodyBytes})
    ->Args({1, 16384, 1 << 20})
    ->Args({1, 16384, kBodyBytes});

// A PUT: plaintext body -> EncryptingSource -> 1 MiB reads (the object
// layer's side).
void BM_SseEncrypt(benchmark::State& state) {
  Shared& s = S();
  std::string chunk(1 << 20, '\0');
  const std::string_view plaintext = std::string_view(s.body).substr(0, state.range(1));
  for (auto _ : state) {
    storage::StringSource body(plaintext);
    auto source = std::move(sse::EncryptingSource::Create(*s.engine, s.key, AlgorithmOf(state), 0,
                                                          body, s.random))
                      .value();
    for (;;) {
      auto n = source->Read(coffer::base::AsWritableBytes(chunk));
      COFFER_ASSERT(n.has_value());
      if (*n == 0) break;
    }
    benchmark::DoNotOptimize(chunk.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(plaintext.size()));
}
// Arguments: algorithm, body bytes.
BENCHMARK(BM_SseEncrypt)->ArgsProduct({{0, 1}, {1 << 20, kBodyBytes}});

class NullSink final : public storage::ObjectSink {
 public:
  coffer::base::Status Write(std::span<const std::byte> data) override {
    bytes += data.size();
    return coffer::base::Ok();
  }
  std::uint64_t bytes = 0;
};

// A GET: stored bytes in 1 MiB writes -> DecryptingSink -> the response.
void BM_SseDecrypt(benchmark::State& state) {
  Shared& s = S();
  const sse::Algorithm algorithm = AlgorithmOf(state);
  const std::string_view plaintext = std::string_view(s.body).substr(0, state.range(1));
  std::string stored;
  {
    storage::StringSource body(plaintext);
    auto source =
        std::move(sse::EncryptingSource::Create(*s.engine, s.key, algorithm, 0, body, s.random))
            .value();
    std::string chunk(1 << 20, '\0');
    for (;;) {
      auto n = source->Read(coffer::base::AsWritableBytes(chunk));
      if (*n == 0) break;
      stored.append(chunk, 0, *n);
    }
  }
  const auto layout = std::move(sse::ObjectLayout::Single(stored.size())).value();
  const auto plan = std::move(sse::PlanRange(layout, 0, std::nullopt)).value();
  for (auto _ : state) {
    NullSink out;
    auto sink =
        std::move(sse::DecryptingSink::Create(*s.engine, s.key, algorithm, layout, plan, out))
            .value();
    for (std::size_t off = 0; off < stored.size(); off += 1 << 20) {
      const std::size_t n = std::min<std::size_t>(1 << 20, stored.size() - off);
      COFFER_ASSERT(
          sink->Write(coffer::base::AsBytes(std::string_view(stored).substr(off, n))).has_value());
    }
    COFFER_ASSERT(sink->Finish().has_value());
    COFFER_ASSERT(out.bytes == plaintext.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(plaintext.size()));
}
BENCHMARK(BM_SseDecrypt)->ArgsProduct({{0, 1}, {1 << 20, kBodyBytes}});

}  // namespace

BENCHMARK_MAIN();
