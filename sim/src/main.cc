// coffer-sim: the deterministic simulator's command line. Every run prints its
// seed and the git revision on its first line and the trace hash on its last,
// so one command reproduces it.

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/planted.h"
#include "coffer/build_info.h"
#include "coffer/sim/runner.h"
#include "coffer/sim/scenario.h"
#include "coffer/sim/smoke_workload.h"

namespace {

constexpr const char* kUsage = R"(usage: coffer-sim <command> [options]

  run SCENARIO.toml --seed N [--steps K] [--skip I,J,...] [--trace]
      [--json FILE] [--plant BUG,...] [--no-shrink] [--swarm]
      run one scenario under one seed against the real request core; prints
      the JSON summary and the trace hash. A failing run is shrunk and the
      command that replays the smallest failure is printed. --swarm applies
      the swarm's variation of the seed (a failing swarm seed replays so).
      Exit 0 pass, 1 an invariant failed, 2 bad usage or scenario.

  swarm [--scenarios DIR|FILE] --seeds A..B [--jobs J] [--steps K] [--plant BUG,...]
      [--expect-failure]
      runs every seed of A..B (inclusive), each on one scenario of DIR (default
      fixtures/scenarios) picked by the seed, with a random subset of its
      faults switched on; prints one line per failure with its replay command
      and a total. --expect-failure inverts the exit status (for planted-bug
      tests) and stops at the first failure.

  Planted bugs (COFFER_TESTING builds only): skip-presign-expiry,
  skip-session-expiry, allow-overrides-deny, skip-bitrot-check,
  ack-before-audit-durable.

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

using coffer::sim::RunOptions;
using coffer::sim::RunSummary;
using coffer::sim::Scenario;

bool ParsePlanted(std::string_view list, unsigned& mask) {
  using coffer::base::PlantedBug;
  mask = 0;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (name == "skip-presign-expiry") {
      mask |= static_cast<unsigned>(PlantedBug::kSkipPresignExpiry);
    } else if (name == "skip-session-expiry") {
      mask |= static_cast<unsigned>(PlantedBug::kSkipSessionExpiry);
    } else if (name == "allow-overrides-deny") {
      mask |= static_cast<unsigned>(PlantedBug::kAllowOverridesDeny);
    } else if (name == "skip-bitrot-check") {
      mask |= static_cast<unsigned>(PlantedBug::kSkipBitrotCheck);
    } else if (name == "ack-before-audit-durable") {
      mask |= static_cast<unsigned>(PlantedBug::kAckBeforeAuditDurable);
    } else {
      return false;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

std::optional<Scenario> Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "coffer-sim: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto scenario = coffer::sim::LoadScenario(path, text.str());
  if (!scenario) {
    std::fprintf(stderr, "coffer-sim: %s\n", scenario.error().message().c_str());
    return std::nullopt;
  }
  return *std::move(scenario);
}

std::string ReplayCommand(const Scenario& s, const RunOptions& o, bool swarm = false) {
  std::string cmd = "coffer-sim run " + s.path + " --seed " + std::to_string(o.seed);
  if (swarm) cmd += " --swarm";
  if (o.steps) cmd += " --steps " + std::to_string(*o.steps);
  if (!o.skip.empty()) {
    cmd += " --skip ";
    bool first = true;
    for (auto i : o.skip) {
      cmd += (first ? "" : ",") + std::to_string(i);
      first = false;
    }
  }
  return cmd;
}

std::string PlantFlag(unsigned mask, std::string_view names) {
  return mask == 0 ? "" : " --plant " + std::string(names);
}

// The swarm's variation of a scenario for `seed`: each fault point kept with
// probability 1/2 at a rate scaled by 0.5..2, and 50..100% of its steps.
RunOptions SwarmVariant(Scenario& s, std::uint64_t seed) {
  coffer::sim::SeededRandom rng(seed ^ 0x5741524dULL);
  for (auto it = s.faults.begin(); it != s.faults.end();) {
    if (rng.Chance(0.5)) {
      it = s.faults.erase(it);
    } else {
      it->second = std::min(
          1.0, it->second * (0.5 + 1.5 * static_cast<double>(rng.Uniform(0, 1000)) / 1000.0));
      ++it;
    }
  }
  RunOptions o;
  o.seed = seed;
  o.steps = s.steps / 2 + rng.Uniform(0, s.steps / 2);
  return o;
}

int Run(int argc, char** argv) {
  if (argc < 3) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto scenario = Load(argv[2]);
  if (!scenario) return 2;
  RunOptions options;
  bool have_seed = false, print_trace = false, shrink = true, swarm = false;
  std::string json_path, plant_names;
  for (int i = 3; i < argc; ++i) {
    const std::string_view a = argv[i];
    std::uint64_t n = 0;
    if (a == "--seed" && i + 1 < argc && ParseU64(argv[i + 1], options.seed)) {
      have_seed = true;
      ++i;
    } else if (a == "--steps" && i + 1 < argc && ParseU64(argv[i + 1], n)) {
      options.steps = n;
      ++i;
    } else if (a == "--skip" && i + 1 < argc) {
      std::string_view list = argv[++i];
      while (!list.empty()) {
        const auto comma = list.find(',');
        if (!ParseU64(list.substr(0, comma), n)) return 2;
        options.skip.insert(n);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (a == "--trace") {
      print_trace = true;
    } else if (a == "--json" && i + 1 < argc) {
      json_path = argv[++i];
    } else if (a == "--plant" && i + 1 < argc && ParsePlanted(argv[i + 1], options.planted)) {
      plant_names = argv[++i];
    } else if (a == "--no-shrink") {
      shrink = false;
    } else if (a == "--swarm") {
      swarm = true;
    } else {
      std::fprintf(stderr, "coffer-sim run: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (!have_seed) {
    std::fprintf(stderr, "coffer-sim run: --seed is required\n%s", kUsage);
    return 2;
  }
  if (swarm) {
    // The swarm's variation of this seed (its faults and step count).
    const RunOptions variant = SwarmVariant(*scenario, options.seed);
    if (!options.steps) options.steps = variant.steps;
  }
  std::printf("coffer-sim scenario=%s seed=%llu git=%s\n", scenario->name.c_str(),
              static_cast<unsigned long long>(options.seed), COFFER_GIT_REVISION);
  options.keep_trace = print_trace;
  RunSummary summary = coffer::sim::RunScenario(*scenario, options);
  if (print_trace) {
    for (const auto& line : summary.trace) std::printf("%s\n", line.c_str());
  }
  const std::string json = summary.ToJson();
  std::printf("%s\n", json.c_str());
  if (!json_path.empty()) {
    std::ofstream(json_path) << json << "\n";
  }
  if (!summary.passed) {
    std::printf("FAILED at step %llu: %s\n",
                static_cast<unsigned long long>(summary.failed_step.value_or(0)),
                summary.violation.c_str());
    RunOptions smallest = options;
    if (shrink) {
      smallest = coffer::sim::Shrink(*scenario, options, summary);
      RunOptions show = smallest;
      show.keep_trace = true;
      RunSummary again = coffer::sim::RunScenario(*scenario, show);
      std::printf("shrunk to %llu steps; its trace:\n",
                  static_cast<unsigned long long>(again.steps_run));
      for (const auto& line : again.trace) {
        if (line.rfind("step ", 0) == 0 || line.find("VIOLATION") != std::string::npos ||
            line.rfind("scenario", 0) == 0) {
          std::printf("  %s\n", line.c_str());
        }
      }
    }
    std::printf("replay: %s%s\n", ReplayCommand(*scenario, smallest, swarm).c_str(),
                PlantFlag(options.planted, plant_names).c_str());
  }
  std::printf("trace-hash=%s\n", summary.trace_hash.c_str());
  return summary.passed ? 0 : 1;
}

int Swarm(int argc, char** argv) {
  std::string dir = "fixtures/scenarios";
  std::uint64_t first = 0, last = 0, jobs = 1;
  std::optional<std::uint64_t> steps;
  bool have_seeds = false, expect_failure = false;
  unsigned planted = 0;
  std::string plant_names;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    std::uint64_t n = 0;
    if (a == "--scenarios" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--seeds" && i + 1 < argc) {
      const std::string_view range = argv[++i];
      const auto dots = range.find("..");
      if (dots == std::string_view::npos || !ParseU64(range.substr(0, dots), first) ||
          !ParseU64(range.substr(dots + 2), last) || last < first) {
        std::fprintf(stderr, "coffer-sim swarm: --seeds wants A..B\n");
        return 2;
      }
      have_seeds = true;
    } else if (a == "--jobs" && i + 1 < argc && ParseU64(argv[i + 1], jobs) && jobs >= 1) {
      ++i;
    } else if (a == "--steps" && i + 1 < argc && ParseU64(argv[i + 1], n)) {
      steps = n;
      ++i;
    } else if (a == "--plant" && i + 1 < argc && ParsePlanted(argv[i + 1], planted)) {
      plant_names = argv[++i];
    } else if (a == "--expect-failure") {
      expect_failure = true;
    } else {
      std::fprintf(stderr, "coffer-sim swarm: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (!have_seeds) {
    std::fprintf(stderr, "coffer-sim swarm: --seeds is required\n%s", kUsage);
    return 2;
  }
  std::vector<Scenario> scenarios;
  std::vector<std::string> paths;
  std::error_code ec;
  if (std::filesystem::is_regular_file(dir, ec)) {
    paths.push_back(dir);  // One scenario file.
  } else {
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".toml") paths.push_back(e.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    auto s = Load(p);
    if (!s) return 2;
    scenarios.push_back(*std::move(s));
  }
  if (scenarios.empty()) {
    std::fprintf(stderr, "coffer-sim swarm: no scenarios in %s\n", dir.c_str());
    return 2;
  }
  std::printf("coffer-sim swarm seeds=%llu..%llu scenarios=%zu jobs=%llu git=%s\n",
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
              scenarios.size(), static_cast<unsigned long long>(jobs), COFFER_GIT_REVISION);
  std::fflush(stdout);
  const auto started = std::chrono::steady_clock::now();

  // Each job runs the seeds congruent to its index and writes one line per
  // run to its pipe: "P" for a pass, or "F <replay command> <violation>".
  struct Child {
    pid_t pid;
    int fd;
    std::string buffer;
  };
  std::vector<Child> children;
  for (std::uint64_t j = 0; j < jobs; ++j) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      FILE* out = fdopen(fds[1], "w");
      for (std::uint64_t seed = first + j; seed <= last; seed += jobs) {
        Scenario s = scenarios[seed % scenarios.size()];
        RunOptions o = SwarmVariant(s, seed);
        if (steps) o.steps = steps;
        o.planted = planted;
        RunSummary r = coffer::sim::RunScenario(s, o);
        if (r.passed) {
          std::fprintf(out, "P %s\n", s.name.c_str());
        } else {
          // --swarm recreates this seed's fault variation; one line per run.
          RunOptions smallest = coffer::sim::Shrink(s, o, r, 60);
          std::string violation = r.violation;
          for (char& c : violation) {
            if (c == '\n') c = ' ';
          }
          std::fprintf(out, "F %s seed %llu: %s | replay: %s%s\n", s.name.c_str(),
                       static_cast<unsigned long long>(seed), violation.c_str(),
                       ReplayCommand(s, smallest, true).c_str(),
                       PlantFlag(planted, plant_names).c_str());
          if (expect_failure) break;
        }
        std::fflush(out);
      }
      std::fclose(out);
      _exit(0);
    }
    close(fds[1]);
    children.push_back({pid, fds[0], ""});
  }
  std::uint64_t runs = 0, failures = 0;
  std::map<std::string, std::uint64_t> per_scenario;
  std::vector<pollfd> polls;
  for (const auto& c : children) polls.push_back({c.fd, POLLIN, 0});
  std::size_t open = children.size();
  while (open > 0) {
    if (poll(polls.data(), polls.size(), -1) < 0) break;
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].fd < 0 || (polls[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buf[4096];
      const ssize_t n = read(polls[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(polls[i].fd);
        polls[i].fd = -1;
        --open;
        continue;
      }
      std::string& b = children[i].buffer;
      b.append(buf, static_cast<std::size_t>(n));
      for (auto nl = b.find('\n'); nl != std::string::npos; nl = b.find('\n')) {
        const std::string line = b.substr(0, nl);
        b.erase(0, nl + 1);
        ++runs;
        if (line.rfind("F ", 0) == 0) {
          ++failures;
          std::string shown = line.substr(2);
          if (auto bar = shown.find(" | replay: "); bar != std::string::npos) {
            shown.replace(bar, 3, "\n    ");
          }
          std::printf("%s\n", shown.c_str());
          std::fflush(stdout);
        } else if (line.size() > 2) {
          ++per_scenario[line.substr(2)];
        }
      }
    }
  }
  for (const auto& c : children) waitpid(c.pid, nullptr, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& [name, n] : per_scenario) {
    std::printf("  %s: %llu passed\n", name.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("swarm: %llu runs, %llu failed, %.1f s (%.1f runs/s)\n",
              static_cast<unsigned long long>(runs), static_cast<unsigned long long>(failures),
              seconds, static_cast<double>(runs) / seconds);
  if (expect_failure) return failures > 0 ? 0 : 1;
  return failures == 0 && runs == last - first + 1 ? 0 : 1;
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
  if (cmd == "run") return Run(argc, argv);
  if (cmd == "swarm") return Swarm(argc, argv);
  std::fprintf(stderr, "coffer-sim: unknown command '%s'\n%s", argv[1], kUsage);
  return 2;
}
