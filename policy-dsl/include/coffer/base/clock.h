#pragma once
// The Clock seam: the only way Coffer code learns the time. Production binds it
// to the system and steady clocks; the simulator to a virtual clock that moves
// only when its scheduler says so. Core code never calls std::chrono clocks'
// now() directly (scripts/check_seams.sh enforces this).

#include <chrono>
#include <cstdint>

namespace coffer::base {

// Wall time: UTC, nanosecond resolution. Used for SigV4 skew, expiry checks and
// audit timestamps. It can jump (NTP steps, simulated skew).
using WallTime = std::chrono::sys_time<std::chrono::nanoseconds>;

// Monotonic time since an arbitrary origin: for timeouts, latencies and
// backoff. Never goes backwards.
using MonoTime = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;

  // Returns the current wall time. Thread-safe.
  virtual WallTime Now() const = 0;
  // Returns the monotonic time. Thread-safe; never decreases.
  virtual MonoTime Monotonic() const = 0;
};

// Seconds since the Unix epoch, for formats that want integers.
inline std::int64_t UnixSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace coffer::base
