#pragma once
// The production bindings of the seams: the system clock, OpenSSL's DRBG in
// Coffer's own library context, POSIX files, an Asio scheduler and a log sink
// on a file descriptor. Only this target (and sim/) may call the real clock,
// random source and file system (scripts/check_seams.sh).

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "coffer/env/env.h"

namespace boost::asio {
class io_context;
}

namespace coffer::posix {

class SystemClock final : public base::Clock {
 public:
  base::WallTime Now() const override;
  base::MonoTime Monotonic() const override;
};

// OpenSSL's DRBG, in a library context owned by this object. Thread-safe.
class OpenSslRandom final : public base::Random {
 public:
  OpenSslRandom();
  ~OpenSslRandom() override;
  OpenSslRandom(const OpenSslRandom&) = delete;
  OpenSslRandom& operator=(const OpenSslRandom&) = delete;

  void Fill(std::span<std::byte> out) override;
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) override;
  ossl_lib_ctx_st* LibCtx() override { return ctx_; }

 private:
  ossl_lib_ctx_st* ctx_;
};

// Writes each line plus '\n' to a file descriptor with one write(2). Thread-safe.
class FdLogSink final : public env::LogSink {
 public:
  explicit FdLogSink(int fd) : fd_(fd) {}
  void Write(std::string_view line) override;

 private:
  int fd_;
  std::mutex mu_;
};

struct PosixDriveOptions {
  // Make the folder when it is missing. Off for the drives of an erasure set:
  // a missing drive folder is an unmounted disk (kUnavailable, an offline
  // drive), and the drive never makes it, not even for a later write, so that
  // nothing lands on the file system below the mount point.
  bool create_root = true;
};

// Opens the folder `root` as a Drive (creating it when missing unless the
// options say otherwise), and removes the leftovers of interrupted atomic
// writes under .coffer.sys/tmp/.
base::Result<std::unique_ptr<env::Drive>> OpenPosixDrive(std::string_view root,
                                                         const PosixDriveOptions& options = {});

// Runs tasks on an Asio io_context that the owner runs (the server's). Thread-safe.
class AsioScheduler final : public env::Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io);
  ~AsioScheduler() override;

  env::TaskId Post(env::Task task) override;
  env::TaskId PostAfter(std::chrono::nanoseconds delay, env::Task task) override;
  bool Cancel(env::TaskId id) override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The production Env. The io_context must outlive it.
class PosixEnv final : public env::Env {
 public:
  PosixEnv(boost::asio::io_context& io, env::LogLevel level, int log_fd = 2);
  ~PosixEnv() override;

  base::Clock& clock() override { return clock_; }
  base::Random& random() override { return random_; }
  env::Scheduler& scheduler() override { return scheduler_; }
  env::Faults& faults() override { return faults_; }
  env::Logger& log() override { return logger_; }
  base::Result<std::unique_ptr<env::Drive>> OpenDrive(std::string_view location) override {
    return OpenPosixDrive(location);
  }
  base::Result<std::unique_ptr<env::Drive>> OpenExistingDrive(std::string_view location) override {
    return OpenPosixDrive(location, PosixDriveOptions{.create_root = false});
  }

 private:
  SystemClock clock_;
  OpenSslRandom random_;
  AsioScheduler scheduler_;
  env::NoFaults faults_;
  FdLogSink sink_;
  env::Logger logger_;
};

}  // namespace coffer::posix
