#pragma once
// The Scheduler seam: "run this later". Retries, audit flushes, healing and
// reconcile ticks are posted here instead of using threads or sleeps, so the
// simulator can run them in virtual time, in a deterministic order.

#include <chrono>
#include <cstdint>
#include <functional>

namespace coffer::env {

using Task = std::function<void()>;

// Identifies a posted task for Cancel(). Zero is never a valid id.
using TaskId = std::uint64_t;

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // Runs `task` soon, after tasks already due. Thread-safe.
  virtual TaskId Post(Task task) = 0;
  // Runs `task` once `delay` has passed on the monotonic clock. Thread-safe.
  virtual TaskId PostAfter(std::chrono::nanoseconds delay, Task task) = 0;
  // Cancels a task that has not started. Returns true if it will not run.
  // Thread-safe.
  virtual bool Cancel(TaskId id) = 0;
};

}  // namespace coffer::env
