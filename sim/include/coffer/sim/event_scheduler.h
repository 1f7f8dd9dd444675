#pragma once
// The simulator's Scheduler: a single-threaded queue ordered by (due time,
// sequence number). Running a task first moves the virtual clock to its due
// time, so time passes only between events and two runs with the same seed
// execute the same tasks in the same order.

#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "coffer/env/scheduler.h"
#include "coffer/sim/trace.h"
#include "coffer/sim/virtual_clock.h"

namespace coffer::sim {

class EventScheduler final : public env::Scheduler {
 public:
  EventScheduler(VirtualClock& clock, Trace& trace) : clock_(clock), trace_(trace) {}

  env::TaskId Post(env::Task task) override;
  env::TaskId PostAfter(std::chrono::nanoseconds delay, env::Task task) override;
  bool Cancel(env::TaskId id) override;

  // Runs the earliest task. Returns false when the queue is empty.
  bool Step();
  // Runs tasks until none is due at or before `deadline`; then moves the clock
  // to `deadline`. Returns the number of tasks run.
  std::uint64_t RunUntil(base::MonoTime deadline);
  // Runs until the queue is empty or `max_tasks` ran. Returns the number run.
  std::uint64_t RunUntilIdle(std::uint64_t max_tasks = ~std::uint64_t{0});

  std::size_t pending() const { return queue_.size(); }
  // Forgets every pending task without running it: the process died (a
  // simulated crash); timers and callbacks die with it.
  void DropAll() {
    queue_.clear();
    index_.clear();
  }

 private:
  struct Key {
    base::MonoTime due;
    std::uint64_t seq;
    auto operator<=>(const Key&) const = default;
  };

  VirtualClock& clock_;
  Trace& trace_;
  std::uint64_t next_seq_ = 1;
  std::map<Key, std::pair<env::TaskId, env::Task>> queue_;
  std::map<env::TaskId, Key> index_;
};

}  // namespace coffer::sim
