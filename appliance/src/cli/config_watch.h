#pragma once
// Watches the config repo's work tree with inotify, so `coffer serve`
// reconciles a commit (or an edit) within moments instead of at the next timer
// tick. The timer stays: inotify misses changes on network filesystems and
// queue overflows, and a level-based reconcile converges either way.
//
// Every folder under the repo is watched except .git (a commit changes the
// work tree's files, which is what the reconciler reads). Events are debounced:
// the callback runs once, `debounce` after the last event of a burst, on the
// executor the watcher was created with.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "coffer/base/result.h"

namespace coffer::cli {

class ConfigWatch {
 public:
  // Starts watching `dir`. Errors: kUnavailable when inotify is not available
  // (the caller keeps the timer only).
  static base::Result<std::unique_ptr<ConfigWatch>> Start(boost::asio::any_io_executor executor,
                                                          std::string dir,
                                                          std::chrono::milliseconds debounce,
                                                          std::function<void()> on_change);
  ~ConfigWatch();

  // Stops watching; the callback is not called afterwards. Call on the
  // watcher's executor.
  void Stop();

  struct Impl;

 private:
  explicit ConfigWatch(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace coffer::cli
