#include "coffer/sim/sim_faults.h"

namespace coffer::sim {

void SimFaults::SetRate(std::string_view point, double probability) {
  rates_[std::string(point)] = probability;
}

bool SimFaults::Fire(std::string_view point) {
  if (!enabled_) return false;
  auto it = rates_.find(point);
  if (it == rates_.end() || it->second <= 0.0) return false;
  if (!random_.Chance(it->second)) return false;
  ++fired_[std::string(point)];
  std::string line = "fault ";
  line += point;
  trace_.Add(line);
  return true;
}

}  // namespace coffer::sim
