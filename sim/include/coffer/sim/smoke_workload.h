#pragma once
// A workload over the seams alone: scheduled tasks that write, read, list and
// remove files on four simulated drives while every drive fault fires now and
// then. It proves the simulator's own contract (same seed, same trace) before
// any scenario runs the appliance's core on top of it.

#include <cstdint>
#include <map>
#include <string>

#include "coffer/sim/sim_env.h"

namespace coffer::sim {

struct SmokeResult {
  std::uint64_t tasks_run = 0;
  std::uint64_t ops_ok = 0;
  std::uint64_t ops_failed = 0;
  std::map<std::string, std::uint64_t, std::less<>> faults_fired;
  std::string trace_hash;
};

// Runs `steps` operations in `env` and returns what happened.
SmokeResult RunSmokeWorkload(SimEnv& env, std::uint64_t steps);

}  // namespace coffer::sim
