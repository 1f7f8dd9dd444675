#include "coffer/sim/sim_env.h"

namespace coffer::sim {

// Each subsystem's stream is forked from the seed in a fixed order, so the
// workload's draws, the fault decisions and the fault details never
// interleave differently from run to run.
SimEnv::SimEnv(std::uint64_t seed, env::LogLevel level)
    : seed_(seed),
      clock_(base::WallTime(std::chrono::seconds(kSimEpochUnixSeconds))),
      random_(seed),
      fault_detail_random_(random_.Fork()),
      faults_(random_.Fork(), trace_),
      scheduler_(clock_, trace_),
      sink_(trace_),
      logger_(clock_, sink_, level) {}

SimEnv::~SimEnv() = default;

void SimEnv::TraceSink::Write(std::string_view line) {
  std::string entry = "log ";
  entry += line;
  trace_.Add(entry);
}

base::Result<std::unique_ptr<env::Drive>> SimEnv::OpenDrive(std::string_view location) {
  if (location.empty()) return base::InvalidArgument("empty drive name");
  auto it = disks_.find(location);
  if (it == disks_.end()) {
    auto disk = std::make_shared<SimDisk>();
    disk->name = std::string(location);
    it = disks_.emplace(disk->name, std::move(disk)).first;
  }
  trace_.Add("open drive " + it->first);
  return MakeSimDrive(it->second, SimWorld{clock_, faults_, trace_, fault_detail_random_});
}

std::shared_ptr<SimDisk> SimEnv::Disk(std::string_view name) const {
  auto it = disks_.find(name);
  return it == disks_.end() ? nullptr : it->second;
}

std::vector<std::string> SimEnv::DiskNames() const {
  std::vector<std::string> names;
  for (const auto& [name, disk] : disks_) names.push_back(name);
  return names;
}

}  // namespace coffer::sim
