#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coffer/posix/posix_env.h"

namespace coffer::posix {

// Shared with every pending handler, so a handler that runs after the
// scheduler is gone finds its state still alive.
struct AsioScheduler::State {
  explicit State(boost::asio::io_context& io_context) : io(io_context) {}

  boost::asio::io_context& io;
  std::mutex mu;
  env::TaskId next_id = 1;
  // Pending delayed tasks; an id missing here was cancelled or has run.
  std::map<env::TaskId, std::shared_ptr<boost::asio::steady_timer>> timers;
};

AsioScheduler::AsioScheduler(boost::asio::io_context& io) : state_(std::make_shared<State>(io)) {}

AsioScheduler::~AsioScheduler() {
  std::lock_guard lock(state_->mu);
  for (auto& [id, timer] : state_->timers) timer->cancel();
  state_->timers.clear();
}

// A zero-delay timer rather than asio::post, so that Post()ed tasks can be
// cancelled exactly like delayed ones (the simulator's scheduler allows it).
env::TaskId AsioScheduler::Post(env::Task task) {
  return PostAfter(std::chrono::nanoseconds(0), std::move(task));
}

env::TaskId AsioScheduler::PostAfter(std::chrono::nanoseconds delay, env::Task task) {
  auto timer = std::make_shared<boost::asio::steady_timer>(state_->io, delay);
  env::TaskId id;
  {
    std::lock_guard lock(state_->mu);
    id = state_->next_id++;
    state_->timers.emplace(id, timer);
  }
  std::weak_ptr<State> weak = state_;
  timer->async_wait([weak, id, task = std::move(task)](const boost::system::error_code& ec) {
    auto state = weak.lock();
    if (!state) return;
    {
      std::lock_guard lock(state->mu);
      // Erasing under the lock decides the race with Cancel(): exactly one wins.
      if (state->timers.erase(id) == 0) return;
    }
    if (!ec) task();
  });
  return id;
}

bool AsioScheduler::Cancel(env::TaskId id) {
  std::shared_ptr<boost::asio::steady_timer> timer;
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->timers.find(id);
    if (it == state_->timers.end()) return false;
    timer = std::move(it->second);
    state_->timers.erase(it);
  }
  timer->cancel();
  return true;
}

PosixEnv::PosixEnv(boost::asio::io_context& io, env::LogLevel level, int log_fd)
    : scheduler_(io), sink_(log_fd), logger_(clock_, sink_, level) {}

PosixEnv::~PosixEnv() = default;

}  // namespace coffer::posix
