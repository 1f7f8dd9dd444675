#pragma once
// A workload plays the actors of one threat row against a World: Setup()
// commits their config, Step() acts once (a few requests) and checks the
// invariants, Finish() checks what holds at the end (faults off, healed).
// Each step draws from its own generator (seeded by the run seed and the
// step number), so a step can be dropped when shrinking without changing
// what the others do.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/sim/seeded_random.h"
#include "coffer/sim/world.h"

namespace coffer::sim {

// What a step reports: invariants checked, a violation (empty: none), and
// counters for the run summary (e.g. how many requests were allowed).
class StepLog {
 public:
  // Only invariants named in `enabled` are checked (a scenario lists them).
  StepLog(Trace& trace, std::vector<std::string> enabled)
      : trace_(trace), enabled_(std::move(enabled)) {}
  // One event line in the trace.
  void Event(std::string_view text);
  // Checks one invariant; on the first failure records `name: detail`.
  bool Check(bool holds, std::string_view name, std::string_view detail);
  void Count(std::string_view counter, std::uint64_t n = 1);
  // Asks the runner to crash the appliance after this step: pending tasks
  // die, unsynced writes are lost, and a new World starts on the same disks.
  void RequestCrash() { crash_ = true; }
  bool TakeCrash() { return std::exchange(crash_, false); }

  std::uint64_t checks() const { return checks_; }
  const std::string& violation() const { return violation_; }
  const std::map<std::string, std::uint64_t, std::less<>>& counters() const { return counters_; }

 private:
  Trace& trace_;
  std::vector<std::string> enabled_;
  std::uint64_t checks_ = 0;
  std::string violation_;
  bool crash_ = false;
  std::map<std::string, std::uint64_t, std::less<>> counters_;
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual void Setup(World& world, SeededRandom& rng, StepLog& log) = 0;
  virtual void Step(World& world, SeededRandom& rng, StepLog& log) = 0;
  virtual void Finish(World& world, StepLog& log) { (void)world, (void)log; }
  // After a crash: `world` is the appliance started again on the same disks
  // (its IAM store starts from the repo's first commit).
  virtual void Restarted(World& world, StepLog& log) { (void)world, (void)log; }
};

// The workload named `name` (see KnownWorkloads()), or null.
std::unique_ptr<Workload> MakeWorkload(std::string_view name);

// The WorldOptions a workload needs beyond the scenario's repo (e.g. a short
// STS minimum duration).
void AdjustWorldOptions(std::string_view workload, WorldOptions& options);

}  // namespace coffer::sim
