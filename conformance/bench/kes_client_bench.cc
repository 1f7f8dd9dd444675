// KES client round trips (issue #9): one generate-data-key call, as an SSE-KMS
// PUT makes, against a running `coffer kms serve` (or KES) over mTLS.
//
//   BM_KesGenerate/fresh_client  a new client per call: a new TLS connection
//                                and a full handshake every time (what every
//                                call did before the connection pool; the
//                                reference);
//   BM_KesGenerate/no_keepalive  one client that keeps no idle connection: a
//                                new connection per call, resuming the TLS
//                                session;
//   BM_KesGenerate/pooled        one client with its pool: keep-alive.
// Threads 1 and 4 (calls from several requests at once share the pool).
//
// The server comes from the environment (scripts/bench-s3.sh --kes sets it):
//   KES_BENCH_ADDRESS=127.0.0.1:PORT KES_BENCH_CERT=app.crt KES_BENCH_KEY=app.key
//   KES_BENCH_CA=ca.crt KES_BENCH_KEY_NAME=bench-kms coffer_kes_bench
// Without KES_BENCH_ADDRESS it skips every benchmark.

#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "coffer/posix/kes_client.h"

namespace {

using coffer::posix::KesClient;
using coffer::posix::KesClientOptions;

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

KesClientOptions Options(std::size_t max_idle) {
  KesClientOptions o;
  o.address = Env("KES_BENCH_ADDRESS");
  o.client_cert_file = Env("KES_BENCH_CERT");
  o.client_key_file = Env("KES_BENCH_KEY");
  o.ca_file = Env("KES_BENCH_CA");
  o.max_idle_connections = max_idle;
  return o;
}

std::unique_ptr<KesClient> NewClient(std::size_t max_idle) {
  auto client = KesClient::Create(Options(max_idle));
  return client.has_value() ? std::move(client).value() : nullptr;
}

// Shared by the threads of one run.
std::unique_ptr<KesClient> g_client;

void Generate(benchmark::State& state, KesClient& client, const std::string& key) {
  auto dk = client.GenerateKey(key, R"({"aws:s3:arn":"arn:aws:s3:::bench/object"})");
  if (!dk.has_value()) state.SkipWithError(dk.error().ToString().c_str());
  benchmark::DoNotOptimize(dk);
}

// Argument: 0 fresh client per call, 1 no keep-alive, 2 pooled.
void BM_KesGenerate(benchmark::State& state) {
  if (*Env("KES_BENCH_ADDRESS") == '\0') {
    state.SkipWithError("KES_BENCH_ADDRESS is not set");
    return;
  }
  const std::string key = *Env("KES_BENCH_KEY_NAME") ? Env("KES_BENCH_KEY_NAME") : "bench-kms";
  const int mode = static_cast<int>(state.range(0));
  if (state.thread_index() == 0 && mode != 0) {
    g_client = NewClient(mode == 2 ? 8 : 0);
  }
  // INVARIANT: Google Benchmark starts every thread's loop together, after
  // thread 0 ran the code above.
  for (auto _ : state) {
    if (mode == 0) {
      auto client = NewClient(0);
      if (client == nullptr) {
        state.SkipWithError("cannot load the client certificate");
        break;
      }
      Generate(state, *client, key);
    } else {
      Generate(state, *g_client, key);
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0 && g_client != nullptr) {
    const auto stats = g_client->pool_stats();
    state.counters["handshakes"] = static_cast<double>(stats.handshakes);
    state.counters["resumed"] = static_cast<double>(stats.resumed);
  }
}
BENCHMARK(BM_KesGenerate)
    ->ArgName("mode")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
