#include "coffer/sim/smoke_workload.h"

#include <memory>
#include <vector>

#include "coffer/base/bytes.h"

namespace coffer::sim {
namespace {

constexpr int kDrives = 4;

struct Workload {
  SimEnv& env;
  std::vector<std::unique_ptr<env::Drive>> drives;
  SmokeResult result;
  std::uint64_t remaining = 0;

  void Record(const base::Status& s, std::string_view what) {
    if (s.has_value()) {
      ++result.ops_ok;
    } else {
      ++result.ops_failed;
      env.log().Debug("smoke", "op failed", {{"op", what}, {"error", s.error().ToString()}});
    }
  }

  void OneOp() {
    auto& random = env.random();
    env::Drive& drive = *drives[random.Uniform(0, kDrives - 1)];
    const std::string path = "bkt/obj" + std::to_string(random.Uniform(0, 15)) + "/part.1";
    switch (random.Uniform(0, 3)) {
      case 0: {
        const std::string data = random.Bytes(random.Uniform(0, 256));
        Record(drive.WriteAtomic(path, base::AsBytes(data)), "write");
        break;
      }
      case 1: {
        auto r = drive.ReadAll(path);
        Record(r.has_value() ? base::Ok() : base::Status(r.error()), "read");
        break;
      }
      case 2: {
        auto r = drive.List("bkt");
        Record(r.has_value() ? base::Ok() : base::Status(r.error()), "list");
        break;
      }
      default:
        Record(drive.RemoveAll(path), "remove");
    }
  }

  void Schedule() {
    if (remaining == 0) return;
    --remaining;
    const auto delay = std::chrono::milliseconds(env.random().Uniform(0, 1000));
    env.scheduler().PostAfter(delay, [this] {
      ++result.tasks_run;
      OneOp();
      Schedule();
      // Now and then a task forks a second chain, and another cancels it.
      if (env.random().Uniform(0, 9) == 0) {
        const env::TaskId id = env.scheduler().PostAfter(std::chrono::seconds(1), [this] {
          ++result.tasks_run;
          OneOp();
        });
        if (env.random().Uniform(0, 1) == 0) env.scheduler().Cancel(id);
      }
    });
  }
};

}  // namespace

SmokeResult RunSmokeWorkload(SimEnv& env, std::uint64_t steps) {
  Workload w{env, {}, {}, steps};
  for (int i = 0; i < kDrives; ++i) {
    auto d = env.OpenDrive("disk" + std::to_string(i + 1));
    COFFER_ASSERT(d.has_value());
    w.drives.push_back(std::move(d).value());
  }
  for (const char* point : {"drive.read.eio", "drive.write.eio", "drive.write.torn",
                            "drive.write.bitflip", "drive.full", "drive.vanish", "drive.slow"}) {
    env.sim_faults().SetRate(point, 0.02);
  }
  // Two concurrent chains of tasks, so their interleaving is part of the trace.
  const std::uint64_t half = steps / 2;
  w.remaining = half;
  w.Schedule();
  w.remaining += steps - half;
  w.Schedule();
  env.events().RunUntilIdle();
  w.result.faults_fired = env.sim_faults().fired();
  w.result.trace_hash = env.trace().Hash();
  return w.result;
}

}  // namespace coffer::sim
