#pragma once
// Runs a scenario under one seed, and many under many seeds (swarm).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "coffer/sim/scenario.h"

namespace coffer::sim {

struct RunOptions {
  std::uint64_t seed = 0;
  std::optional<std::uint64_t> steps;  // Overrides the scenario's step count.
  std::set<std::uint64_t> skip;        // Steps not run (shrinking).
  unsigned planted = 0;                // base::PlantedBug mask (COFFER_TESTING builds).
  bool keep_trace = false;             // Keep every trace line (for printing).
};

struct RunSummary {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint64_t steps_run = 0;
  std::uint64_t invariants_checked = 0;
  bool passed = true;
  std::optional<std::uint64_t> failed_step;  // Step index, or steps_run for Finish().
  std::string violation;
  std::map<std::string, std::uint64_t, std::less<>> faults;
  std::map<std::string, std::uint64_t, std::less<>> counters;
  std::string trace_hash;
  std::vector<std::string> trace;  // When keep_trace.

  std::string ToJson() const;
};

RunSummary RunScenario(const Scenario& scenario, const RunOptions& options);

// Shrinks a failing run: the failing prefix, then steps dropped one chunk at
// a time while the run still fails with the same invariant. Returns the
// options that reproduce the smallest failure found.
RunOptions Shrink(const Scenario& scenario, const RunOptions& failing, const RunSummary& failure,
                  int max_runs = 200);

}  // namespace coffer::sim
