#pragma once
// Env: everything the request core needs from the outside world, handed to it
// at construction as one reference (leveldb's Env, not a global). Production
// binds it to coffer::posix, the simulator to coffer::sim. Core code that needs
// time, randomness, files, later work or fault points asks its Env.

#include <memory>
#include <string_view>

#include "coffer/base/clock.h"
#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/env/drive.h"
#include "coffer/env/faults.h"
#include "coffer/env/log.h"
#include "coffer/env/scheduler.h"

namespace coffer::env {

class Env {
 public:
  virtual ~Env() = default;

  virtual base::Clock& clock() = 0;
  virtual base::Random& random() = 0;
  virtual Scheduler& scheduler() = 0;
  virtual Faults& faults() = 0;
  virtual Logger& log() = 0;

  // Opens the drive at `location` (a folder in production, a drive name in
  // simulation), creating it when missing. The Env keeps no reference to it.
  virtual base::Result<std::unique_ptr<Drive>> OpenDrive(std::string_view location) = 0;
  // Opens a drive of an erasure set: as OpenDrive, but a missing location is
  // never made (it is an unmounted disk: kUnavailable, an offline drive,
  // while an existing empty folder is a replaced disk). Environments without
  // mounts (in-memory drives) keep the default.
  virtual base::Result<std::unique_ptr<Drive>> OpenExistingDrive(std::string_view location) {
    return OpenDrive(location);
  }
};

}  // namespace coffer::env
