#include "coffer/sim/runner.h"

#include <algorithm>

#include "coffer/base/json_escape.h"
#include "coffer/base/planted.h"
#include "coffer/sim/sim_env.h"
#include "coffer/sim/workload.h"

namespace coffer::sim {
namespace {

// A step's own seed: SplitMix64 of the run seed and the step index.
std::uint64_t StepSeed(std::uint64_t seed, std::uint64_t step) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (step + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void AppendMap(std::string& out, const std::map<std::string, std::uint64_t, std::less<>>& m) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ',';
    first = false;
    out += '"';
    base::AppendJsonEscaped(out, k);
    out += "\":" + std::to_string(v);
  }
  out += '}';
}

}  // namespace

void StepLog::Event(std::string_view text) { trace_.Add(text); }

bool StepLog::Check(bool holds, std::string_view name, std::string_view detail) {
  if (std::find(enabled_.begin(), enabled_.end(), name) == enabled_.end()) return true;
  ++checks_;
  if (!holds && violation_.empty()) {
    violation_ = std::string(name) + ": " + std::string(detail);
    trace_.Add("VIOLATION " + violation_);
  }
  return holds;
}

void StepLog::Count(std::string_view counter, std::uint64_t n) {
  auto it = counters_.find(counter);
  if (it == counters_.end()) {
    counters_.emplace(std::string(counter), n);
  } else {
    it->second += n;
  }
}

std::string RunSummary::ToJson() const {
  std::string out = "{\"scenario\":\"";
  base::AppendJsonEscaped(out, scenario);
  out += "\",\"seed\":" + std::to_string(seed);
  out += ",\"steps\":" + std::to_string(steps_run);
  out += ",\"invariants_checked\":" + std::to_string(invariants_checked);
  out += ",\"verdict\":\"";
  out += passed ? "pass" : "fail";
  out += '"';
  if (failed_step.has_value()) out += ",\"failed_step\":" + std::to_string(*failed_step);
  if (!violation.empty()) {
    out += ",\"violation\":\"";
    base::AppendJsonEscaped(out, violation);
    out += '"';
  }
  out += ",\"faults_injected\":";
  AppendMap(out, faults);
  out += ",\"counters\":";
  AppendMap(out, counters);
  out += ",\"trace_hash\":\"" + trace_hash + "\"}";
  return out;
}

RunSummary RunScenario(const Scenario& scenario, const RunOptions& options) {
  RunSummary summary;
  summary.scenario = scenario.name;
  summary.seed = options.seed;
#if defined(COFFER_TESTING)
  base::PlantBugsForTest(options.planted);
#else
  if (options.planted != 0) {
    summary.passed = false;
    summary.violation = "planted bugs need a COFFER_TESTING build";
    return summary;
  }
#endif
  SimEnv env(options.seed, env::LogLevel::kWarn);
  env.trace().set_keep_lines(options.keep_trace);
  env.trace().Add("scenario " + scenario.name + " seed " + std::to_string(options.seed));
  std::unique_ptr<Workload> workload = MakeWorkload(scenario.workload);
  WorldOptions world_options;
  world_options.repo_files = scenario.repo;
  world_options.secrets = scenario.secrets;
  AdjustWorldOptions(scenario.workload, world_options);
  auto world = std::make_unique<World>(env, world_options);
  StepLog log(env.trace(), scenario.invariants);

  SeededRandom setup_rng(StepSeed(options.seed, ~std::uint64_t{0}));
  workload->Setup(*world, setup_rng, log);
  if (log.violation().empty()) {
    // Faults start after setup: the actors' config is in place first.
    for (const auto& [point, rate] : scenario.faults) env.sim_faults().SetRate(point, rate);
    const std::uint64_t steps = options.steps.value_or(scenario.steps);
    for (std::uint64_t i = 0; i < steps; ++i) {
      if (options.skip.contains(i)) continue;
      env.trace().Add("step " + std::to_string(i));
      SeededRandom rng(StepSeed(options.seed, i));
      workload->Step(*world, rng, log);
      ++summary.steps_run;
      if (log.TakeCrash() && log.violation().empty()) {
        env.trace().Add("crash: the appliance dies and starts again");
        env.events().DropAll();
        world.reset();
        ++world_options.boot;
        world = std::make_unique<World>(env, world_options);
        workload->Restarted(*world, log);
        log.Count("crash");
      }
      if (!log.violation().empty()) {
        summary.failed_step = i;
        break;
      }
    }
    if (log.violation().empty()) {
      env.sim_faults().set_enabled(false);
      env.trace().Add("finish");
      workload->Finish(*world, log);
      if (!log.violation().empty()) summary.failed_step = steps;
    }
  }
  summary.passed = log.violation().empty();
  summary.violation = log.violation();
  summary.invariants_checked = log.checks();
  summary.counters = log.counters();
  summary.faults = env.sim_faults().fired();
  summary.trace_hash = env.trace().Hash();
  if (options.keep_trace) summary.trace = env.trace().lines();
#if defined(COFFER_TESTING)
  base::PlantBugsForTest(0);
#endif
  return summary;
}

RunOptions Shrink(const Scenario& scenario, const RunOptions& failing, const RunSummary& failure,
                  int max_runs) {
  RunOptions best = failing;
  best.keep_trace = false;
  if (!failure.failed_step.has_value()) return best;
  // The failing prefix: nothing after the failing step matters.
  best.steps = *failure.failed_step + 1;
  const std::string invariant = failure.violation.substr(0, failure.violation.find(':'));
  auto still_fails = [&](const RunOptions& candidate) {
    RunSummary s = RunScenario(scenario, candidate);
    return !s.passed && s.violation.starts_with(invariant);
  };
  // Drop chunks of steps (halving the chunk size), keeping each drop after
  // which the run still breaks the same invariant.
  const std::uint64_t n = *best.steps;
  int runs = 0;
  for (std::uint64_t chunk = std::max<std::uint64_t>(n / 2, 1); chunk >= 1 && runs < max_runs;
       chunk /= 2) {
    for (std::uint64_t from = 0; from + 1 < n && runs < max_runs; from += chunk) {
      RunOptions candidate = best;
      bool any = false;
      // Never drop the last step: it is where the violation shows.
      for (std::uint64_t i = from; i < std::min(from + chunk, n - 1); ++i) {
        any |= candidate.skip.insert(i).second;
      }
      if (!any) continue;
      ++runs;
      if (still_fails(candidate)) best = std::move(candidate);
    }
    if (chunk == 1) break;
  }
  return best;
}

}  // namespace coffer::sim
