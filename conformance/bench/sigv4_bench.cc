// SigV4 verification cost, for the issue-6 budget of 5 us median per header
// verification excluding payload hashing. The request is what awscli sends
// for a GET (host, range, x-amz-date, x-amz-content-sha256, user-agent);
// the signing-key cache is warm, as it is in a running server.
//
//   build/h-auth-rel/conformance/coffer_sigv4_bench --benchmark_repetitions=10
//       --benchmark_report_aggregates_only=true   (one command line)

#include <chrono>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include "coffer/base/assert.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/body_reader.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/auth/verifier.h"

namespace {

using namespace coffer::core::auth;  // NOLINT: a benchmark binary, not a header.

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Bench {
  Bench() : libctx(OSSL_LIB_CTX_new()), crypto(std::move(Crypto::Create(libctx)).value()) {
    now = *ParseAmzDate("20150830T123600Z");
    lookup = [](std::string_view key) -> coffer::base::Result<Credential> {
      if (key != "AKIDEXAMPLE") return coffer::base::NotFound("unknown");
      return Credential{coffer::base::Secret(std::string(kSecret)), "root", std::nullopt};
    };
  }
  ~Bench() {
    crypto.reset();
    OSSL_LIB_CTX_free(libctx);
  }
  Signer MakeSigner() const {
    return Signer(*crypto, {"AKIDEXAMPLE", coffer::base::Secret(std::string(kSecret)), ""},
                  SignerOptions{});
  }
  coffer::core::HttpRequest Get() const {
    coffer::core::HttpRequest r;
    r.method = "GET";
    r.target = "/photos/2015/08/holiday%20beach.jpg?versionId=3HL4kqtJlcpXroDTDmJ";
    r.headers = {{"host", "127.0.0.1:9000"},
                 {"user-agent", "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64"},
                 {"range", "bytes=0-1048575"}};
    return r;
  }

  OSSL_LIB_CTX* libctx;
  std::unique_ptr<Crypto> crypto;
  SigningKeyCache cache;
  coffer::base::WallTime now;
  CredentialLookup lookup;
};

void BM_VerifyHeader(benchmark::State& state) {
  Bench b;
  Verifier verifier(*b.crypto, b.cache, VerifierOptions{});
  coffer::core::HttpRequest r = b.Get();
  COFFER_ASSERT(b.MakeSigner().Sign(r, b.now, kUnsignedPayload).has_value());
  for (auto _ : state) {
    auto auth = verifier.Verify(r, b.lookup, b.now);
    COFFER_ASSERT(auth.has_value());
    benchmark::DoNotOptimize(auth);
  }
}
BENCHMARK(BM_VerifyHeader);

void BM_VerifyHeaderColdKey(benchmark::State& state) {
  Bench b;
  coffer::core::HttpRequest r = b.Get();
  COFFER_ASSERT(b.MakeSigner().Sign(r, b.now, kUnsignedPayload).has_value());
  for (auto _ : state) {
    SigningKeyCache cold;
    Verifier verifier(*b.crypto, cold, VerifierOptions{});
    auto auth = verifier.Verify(r, b.lookup, b.now);
    COFFER_ASSERT(auth.has_value());
    benchmark::DoNotOptimize(auth);
  }
}
BENCHMARK(BM_VerifyHeaderColdKey);

void BM_VerifyPresigned(benchmark::State& state) {
  Bench b;
  Verifier verifier(*b.crypto, b.cache, VerifierOptions{});
  coffer::core::HttpRequest r = b.Get();
  r.headers.resize(1);
  r.target = *b.MakeSigner().Presign("GET", "/photos/2015/08/holiday%20beach.jpg", r.headers, b.now,
                                     std::chrono::seconds(3600));
  for (auto _ : state) {
    auto auth = verifier.Verify(r, b.lookup, b.now);
    COFFER_ASSERT(auth.has_value());
    benchmark::DoNotOptimize(auth);
  }
}
BENCHMARK(BM_VerifyPresigned);

void BM_ChunkedDecode1MiB(benchmark::State& state) {
  Bench b;
  Verifier verifier(*b.crypto, b.cache, VerifierOptions{});
  const std::string payload(1 << 20, 'x');
  coffer::core::HttpRequest r = b.Get();
  r.method = "PUT";
  r.headers.emplace_back("x-amz-decoded-content-length", std::to_string(payload.size()));
  auto info = b.MakeSigner().Sign(r, b.now, kStreamingSignedPayload);
  COFFER_ASSERT(info.has_value());
  ChunkSigner chunks(*b.crypto, info->streaming);
  std::string wire;
  for (std::size_t at = 0; at < payload.size(); at += 65536) {
    wire += chunks.Chunk(std::string_view(payload).substr(at, 65536));
  }
  wire += chunks.Final();
  const Authentication auth = *verifier.Verify(r, b.lookup, b.now);
  std::string out;
  out.reserve(payload.size());
  for (auto _ : state) {
    auto reader = NewBodyReader(*b.crypto, auth);
    out.clear();
    for (std::size_t at = 0; at < wire.size(); at += 16384) {
      COFFER_ASSERT((*reader)->Feed(std::string_view(wire).substr(at, 16384), out).has_value());
    }
    COFFER_ASSERT((*reader)->Finish().has_value());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(payload.size()));
}
BENCHMARK(BM_ChunkedDecode1MiB);

}  // namespace

BENCHMARK_MAIN();
