#include "coffer/sim/event_scheduler.h"

#include <string>

#include "coffer/base/assert.h"

namespace coffer::sim {

env::TaskId EventScheduler::Post(env::Task task) {
  return PostAfter(std::chrono::nanoseconds(0), std::move(task));
}

env::TaskId EventScheduler::PostAfter(std::chrono::nanoseconds delay, env::Task task) {
  COFFER_ASSERT(delay.count() >= 0);
  const std::uint64_t seq = next_seq_++;
  const env::TaskId id = seq;  // Sequence numbers are unique and never zero.
  const Key key{clock_.Monotonic() + delay, seq};
  queue_.emplace(key, std::make_pair(id, std::move(task)));
  index_.emplace(id, key);
  return id;
}

bool EventScheduler::Cancel(env::TaskId id) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  queue_.erase(it->second);
  index_.erase(it);
  trace_.Add("cancel task " + std::to_string(id));
  return true;
}

bool EventScheduler::Step() {
  if (queue_.empty()) return false;
  auto node = queue_.extract(queue_.begin());
  index_.erase(node.mapped().first);
  clock_.AdvanceTo(node.key().due);
  trace_.Add("t=" + std::to_string(clock_.Monotonic().count()) + " run task " +
             std::to_string(node.mapped().first));
  node.mapped().second();
  return true;
}

std::uint64_t EventScheduler::RunUntil(base::MonoTime deadline) {
  std::uint64_t ran = 0;
  while (!queue_.empty() && queue_.begin()->first.due <= deadline) {
    Step();
    ++ran;
  }
  clock_.AdvanceTo(deadline);
  return ran;
}

std::uint64_t EventScheduler::RunUntilIdle(std::uint64_t max_tasks) {
  std::uint64_t ran = 0;
  while (ran < max_tasks && Step()) ++ran;
  return ran;
}

void VirtualClock::Advance(std::chrono::nanoseconds d) {
  COFFER_ASSERT(d.count() >= 0);
  mono_ += d;
}

}  // namespace coffer::sim
