#pragma once
// A scenario: one threat-model row as data (fixtures/scenarios/*.toml). It
// names a workload (the actors and their attacks, in code), its step count,
// the drive fault rates, the config repo the appliance starts from, and the
// invariants the workload must check after every step.
//
//   name = "replay"
//   threat = "8. replay attacks"
//   workload = "replay"
//   steps = 200
//   invariants = ["expired-presign-refused", "stale-signature-refused"]
//   [faults]
//   "drive.read.eio" = 0.01
//   [repo]
//   "users.toml" = '''...'''
//   [secrets]
//   ALICE_SECRET = "..."

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::sim {

struct Scenario {
  std::string path;  // Where it was loaded from ("" for built-in).
  std::string name;
  std::string threat;
  std::string description;
  std::string workload;
  std::uint64_t steps = 100;
  std::vector<std::string> invariants;
  std::map<std::string, double> faults;  // Fault point -> probability per firing chance.
  std::map<std::string, std::string> repo;
  std::map<std::string, std::string> secrets;
};

// Parses a scenario file. Errors carry FILE:LINE:COL for TOML errors and name
// unknown keys, unknown workloads, unknown invariants and bad fault points.
base::Result<Scenario> LoadScenario(const std::string& path, const std::string& text);

// The workloads the simulator knows and the invariants each checks.
const std::map<std::string, std::vector<std::string>>& KnownWorkloads();

}  // namespace coffer::sim
