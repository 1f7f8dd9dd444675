// coffer-sim: the deterministic simulator's command line. Every run prints its
// seed and the git revision on its first line and the trace hash on its last,
// so one command reproduces it.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "coffer/build_info.h"
#include "coffer/sim/smoke_workload.h"

namespace {

constexpr const char* kUsage = R"(usage: coffer-sim <command> [options]

  smoke --seed N [--steps K] [--trace]
      run the seam smoke workload (drives with faults, scheduler, virtual
      time) and print its trace hash; --trace prints every event
)";

bool ParseU64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const std::string copy(s);
  out = std::strtoull(copy.c_str(), &end, 10);
  return *end == '\0';
}

int Smoke(int argc, char** argv) {
  std::uint64_t seed = 0;
  std::uint64_t steps = 1000;
  bool have_seed = false;
  bool print_trace = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--seed" && i + 1 < argc && ParseU64(argv[i + 1], seed)) {
      have_seed = true;
      ++i;
    } else if (a == "--steps" && i + 1 < argc && ParseU64(argv[i + 1], steps)) {
      ++i;
    } else if (a == "--trace") {
      print_trace = true;
    } else {
      std::fprintf(stderr, "coffer-sim smoke: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (!have_seed) {
    std::fprintf(stderr, "coffer-sim smoke: --seed is required\n%s", kUsage);
    return 2;
  }
  std::printf("coffer-sim seed=%llu git=%s\n", static_cast<unsigned long long>(seed),
              COFFER_GIT_REVISION);
  coffer::sim::SimEnv env(seed);
  const auto result = coffer::sim::RunSmokeWorkload(env, steps);
  if (print_trace) {
    for (const auto& line : env.trace().lines()) std::printf("%s\n", line.c_str());
  }
  std::printf("tasks=%llu ok=%llu failed=%llu events=%zu\n",
              static_cast<unsigned long long>(result.tasks_run),
              static_cast<unsigned long long>(result.ops_ok),
              static_cast<unsigned long long>(result.ops_failed), env.trace().size());
  for (const auto& [point, n] : result.faults_fired) {
    std::printf("fault %s fired %llu\n", point.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("replay: coffer-sim smoke --seed %llu --steps %llu\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(steps));
  std::printf("trace-hash=%s\n", result.trace_hash.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "smoke") return Smoke(argc, argv);
  std::fprintf(stderr, "coffer-sim: unknown command '%s'\n%s", argv[1], kUsage);
  return 2;
}
