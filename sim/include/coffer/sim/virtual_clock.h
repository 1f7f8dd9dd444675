#pragma once
// Virtual time. Only the simulator moves it (the event scheduler when it runs
// the next task, a slow simulated drive, an explicit step or skew fault).
// Wall time is the monotonic time plus an offset that skew faults change.

#include "coffer/base/clock.h"

namespace coffer::sim {

class VirtualClock final : public base::Clock {
 public:
  // Starts at `wall_start` wall time and monotonic zero.
  explicit VirtualClock(base::WallTime wall_start) : wall_offset_(wall_start.time_since_epoch()) {}

  base::WallTime Now() const override { return base::WallTime(wall_offset_ + mono_); }
  base::MonoTime Monotonic() const override { return mono_; }

  // Moves monotonic (and wall) time forward. Requires d >= 0.
  void Advance(std::chrono::nanoseconds d);
  // Moves monotonic time to `t` if it is later than now.
  void AdvanceTo(base::MonoTime t) {
    if (t > mono_) mono_ = t;
  }
  // Steps the wall clock only (NTP step, skew fault); may be negative.
  void StepWall(std::chrono::nanoseconds d) { wall_offset_ += d; }

 private:
  std::chrono::nanoseconds wall_offset_;
  base::MonoTime mono_{0};
};

}  // namespace coffer::sim
