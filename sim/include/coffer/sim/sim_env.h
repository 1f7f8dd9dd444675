#pragma once
// The simulated Env: virtual clock, seeded random, event scheduler, seeded
// faults, in-memory disks, and a logger whose lines go into the trace. One
// seed determines everything; subsystems draw from forked streams so that a
// change in one does not reshuffle the others.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coffer/env/env.h"
#include "coffer/sim/event_scheduler.h"
#include "coffer/sim/seeded_random.h"
#include "coffer/sim/sim_drive.h"
#include "coffer/sim/sim_faults.h"
#include "coffer/sim/trace.h"
#include "coffer/sim/virtual_clock.h"

namespace coffer::sim {

// 2026-01-01T00:00:00Z: simulated runs start at a fixed wall time.
inline constexpr std::int64_t kSimEpochUnixSeconds = 1767225600;

class SimEnv final : public env::Env {
 public:
  explicit SimEnv(std::uint64_t seed, env::LogLevel level = env::LogLevel::kDebug);
  ~SimEnv() override;

  base::Clock& clock() override { return clock_; }
  base::Random& random() override { return random_; }
  env::Scheduler& scheduler() override { return scheduler_; }
  env::Faults& faults() override { return faults_; }
  env::Logger& log() override { return logger_; }
  // Opens (creating on first use) the simulated disk named `location`.
  base::Result<std::unique_ptr<env::Drive>> OpenDrive(std::string_view location) override;

  std::uint64_t seed() const { return seed_; }
  VirtualClock& virtual_clock() { return clock_; }
  EventScheduler& events() { return scheduler_; }
  SimFaults& sim_faults() { return faults_; }
  Trace& trace() { return trace_; }
  // The disk behind a drive name, or null. For checkers and fault scripts.
  std::shared_ptr<SimDisk> Disk(std::string_view name) const;
  // Every disk opened so far, by name (an attacker's view of the machine).
  std::vector<std::string> DiskNames() const;

 private:
  class TraceSink final : public env::LogSink {
   public:
    explicit TraceSink(Trace& trace) : trace_(trace) {}
    void Write(std::string_view line) override;

   private:
    Trace& trace_;
  };

  std::uint64_t seed_;
  Trace trace_;
  VirtualClock clock_;
  SeededRandom random_;
  SeededRandom fault_detail_random_;
  SimFaults faults_;
  EventScheduler scheduler_;
  TraceSink sink_;
  env::Logger logger_;
  std::map<std::string, std::shared_ptr<SimDisk>, std::less<>> disks_;
};

}  // namespace coffer::sim
