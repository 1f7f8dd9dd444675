#pragma once
// Fault points fired with a per-point probability drawn from the seed. Every
// firing is written to the trace and counted, so a run's summary says which
// faults it exercised.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "coffer/env/faults.h"
#include "coffer/sim/seeded_random.h"
#include "coffer/sim/trace.h"

namespace coffer::sim {

class SimFaults final : public env::Faults {
 public:
  SimFaults(std::uint64_t seed, Trace& trace) : random_(seed), trace_(trace) {}

  // Sets the probability (0..1) with which `point` fires. Unset points never fire.
  void SetRate(std::string_view point, double probability);
  // Turns every fault off (the heal phase of a scenario) or back on.
  void set_enabled(bool enabled) { enabled_ = enabled; }

  bool Fire(std::string_view point) override;

  // How often each point fired, sorted by name.
  const std::map<std::string, std::uint64_t, std::less<>>& fired() const { return fired_; }

 private:
  SeededRandom random_;
  Trace& trace_;
  bool enabled_ = true;
  std::map<std::string, double, std::less<>> rates_;
  std::map<std::string, std::uint64_t, std::less<>> fired_;
};

}  // namespace coffer::sim
