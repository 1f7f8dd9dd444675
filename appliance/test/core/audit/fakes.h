#pragma once
// In-memory bindings of the audit seams for the unit tests: a spool folder
// that keeps synced and unsynced bytes apart (so a test can "crash" and keep
// only what was durable plus a torn piece of the rest), a scripted sink, and
// an Env whose scheduler runs tasks in virtual time.

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <openssl/crypto.h>

#include "coffer/base/bytes.h"
#include "coffer/env/audit_sink.h"
#include "coffer/env/env.h"

namespace coffer::core::audit::testing {

struct MemFile {
  std::string durable;   // Bytes that survived a Sync().
  std::string unsynced;  // Appended since.
};

struct MemFolder {
  std::mutex mu;
  std::map<std::string, MemFile> files;
  std::uint64_t free_bytes = 1ull << 40;
  bool fail_appends = false;  // Every Append fails with kResourceExhausted.
  int syncs = 0;

  // A crash: unsynced bytes are lost, except the first `keep_torn` bytes of
  // each file's unsynced tail (a torn write).
  void Crash(std::size_t keep_torn = 0) {
    std::lock_guard lock(mu);
    for (auto& [name, f] : files) {
      f.durable += f.unsynced.substr(0, keep_torn);
      f.unsynced.clear();
    }
  }
};

class MemAppendFile final : public env::AppendFile {
 public:
  MemAppendFile(std::shared_ptr<MemFolder> folder, std::string name)
      : folder_(std::move(folder)), name_(std::move(name)) {}
  base::Status Append(std::span<const std::byte> data) override {
    std::lock_guard lock(folder_->mu);
    if (folder_->fail_appends) return base::ResourceExhausted("disk full");
    folder_->files[name_].unsynced += std::string(base::AsChars(data));
    return base::Ok();
  }
  base::Status Sync() override {
    std::lock_guard lock(folder_->mu);
    auto& f = folder_->files[name_];
    f.durable += f.unsynced;
    f.unsynced.clear();
    folder_->syncs++;
    return base::Ok();
  }

 private:
  std::shared_ptr<MemFolder> folder_;
  std::string name_;
};

class MemSpoolDir final : public env::SpoolDir {
 public:
  explicit MemSpoolDir(std::shared_ptr<MemFolder> folder) : folder_(std::move(folder)) {}
  base::Result<std::vector<std::string>> List() override {
    std::lock_guard lock(folder_->mu);
    std::vector<std::string> out;
    for (const auto& [name, f] : folder_->files) out.push_back(name);
    return out;
  }
  base::Result<std::string> ReadAll(std::string_view name) override {
    std::lock_guard lock(folder_->mu);
    auto it = folder_->files.find(std::string(name));
    if (it == folder_->files.end()) return base::NotFound(std::string(name));
    return it->second.durable + it->second.unsynced;
  }
  base::Result<std::unique_ptr<env::AppendFile>> Create(std::string_view name) override {
    std::lock_guard lock(folder_->mu);
    folder_->files[std::string(name)] = MemFile{};
    return std::unique_ptr<env::AppendFile>(
        std::make_unique<MemAppendFile>(folder_, std::string(name)));
  }
  base::Status WriteAtomic(std::string_view name, std::span<const std::byte> data) override {
    std::lock_guard lock(folder_->mu);
    folder_->files[std::string(name)] = MemFile{std::string(base::AsChars(data)), ""};
    return base::Ok();
  }
  base::Status Remove(std::string_view name) override {
    std::lock_guard lock(folder_->mu);
    folder_->files.erase(std::string(name));
    return base::Ok();
  }
  base::Result<std::uint64_t> FreeBytes() override {
    std::lock_guard lock(folder_->mu);
    return folder_->free_bytes;
  }

 private:
  std::shared_ptr<MemFolder> folder_;
};

// A sink that records what it got; fails while `down` is set.
struct SinkState {
  std::mutex mu;
  bool down = false;
  int attempts = 0;
  std::vector<std::string> request_ids;
  std::vector<std::string> bodies;
};

class FakeSink final : public env::AuditSink {
 public:
  explicit FakeSink(std::shared_ptr<SinkState> state) : state_(std::move(state)) {}
  void Deliver(env::AuditBatch batch, Done done) override {
    bool down;
    {
      std::lock_guard lock(state_->mu);
      state_->attempts++;
      down = state_->down;
      if (!down) {
        for (auto& id : batch.request_ids) state_->request_ids.push_back(id);
        state_->bodies.push_back(batch.body);
      }
    }
    done(down ? base::Status(base::Unavailable("receiver down")) : base::Ok());
  }

 private:
  std::shared_ptr<SinkState> state_;
};

class FakePeers final : public env::AuditPeers {
 public:
  base::Result<std::unique_ptr<env::AuditSink>> OpenWebhook(
      const env::WebhookTargetConfig& config) override {
    return std::unique_ptr<env::AuditSink>(std::make_unique<FakeSink>(Sink(config.name)));
  }
  base::Result<std::unique_ptr<env::AuditSink>> OpenFile(
      const env::FileTargetConfig& config) override {
    return std::unique_ptr<env::AuditSink>(std::make_unique<FakeSink>(Sink(config.name)));
  }
  base::Result<std::unique_ptr<env::SpoolDir>> OpenSpoolDir(std::string_view path) override {
    return std::unique_ptr<env::SpoolDir>(std::make_unique<MemSpoolDir>(Folder(path)));
  }
  std::shared_ptr<SinkState> Sink(const std::string& name) {
    auto& s = sinks[name];
    if (!s) s = std::make_shared<SinkState>();
    return s;
  }
  std::shared_ptr<MemFolder> Folder(std::string_view path) {
    auto& f = folders[std::string(path)];
    if (!f) f = std::make_shared<MemFolder>();
    return f;
  }

  std::map<std::string, std::shared_ptr<SinkState>> sinks;
  std::map<std::string, std::shared_ptr<MemFolder>> folders;
};

// Virtual time: PostAfter tasks run when RunFor() reaches them.
class VirtualEnv final : public env::Env,
                         public base::Clock,
                         public base::Random,
                         public env::Scheduler,
                         public env::LogSink {
 public:
  VirtualEnv() : ctx_(OSSL_LIB_CTX_new()), logger_(*this, *this) {}
  ~VirtualEnv() override { OSSL_LIB_CTX_free(ctx_); }

  base::Clock& clock() override { return *this; }
  base::Random& random() override { return *this; }
  env::Scheduler& scheduler() override { return *this; }
  env::Faults& faults() override { return faults_; }
  env::Logger& log() override { return logger_; }
  base::Result<std::unique_ptr<env::Drive>> OpenDrive(std::string_view) override {
    return base::Unavailable("no drives here");
  }

  base::WallTime Now() const override { return base::WallTime(now_); }
  base::MonoTime Monotonic() const override { return now_; }

  void Fill(std::span<std::byte> out) override {
    for (auto& b : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<std::byte>(state_ >> 56);
    }
  }
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) override {
    std::uint64_t v = 0;
    Fill(std::as_writable_bytes(std::span(&v, 1)));
    return lo + v % (hi - lo + 1);
  }
  ossl_lib_ctx_st* LibCtx() override { return ctx_; }

  env::TaskId Post(env::Task task) override { return PostAfter({}, std::move(task)); }
  env::TaskId PostAfter(std::chrono::nanoseconds delay, env::Task task) override {
    std::lock_guard lock(mu_);
    const env::TaskId id = next_id_++;
    tasks_.emplace(std::make_pair(now_ + delay, id), std::move(task));
    return id;
  }
  bool Cancel(env::TaskId id) override {
    std::lock_guard lock(mu_);
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
      if (it->first.second == id) {
        tasks_.erase(it);
        return true;
      }
    }
    return false;
  }
  // Runs due tasks, moving time forward, for `span` of virtual time.
  void RunFor(std::chrono::nanoseconds span) {
    const auto end = now_ + span;
    for (;;) {
      env::Task task;
      {
        std::lock_guard lock(mu_);
        if (tasks_.empty() || tasks_.begin()->first.first > end) break;
        now_ = std::max(now_, tasks_.begin()->first.first);
        task = std::move(tasks_.begin()->second);
        tasks_.erase(tasks_.begin());
      }
      task();
    }
    now_ = end;
  }
  void Write(std::string_view line) override {
    std::lock_guard lock(mu_);
    log_lines.emplace_back(line);
  }

  std::vector<std::string> log_lines;

 private:
  ossl_lib_ctx_st* ctx_;
  env::NoFaults faults_;
  env::Logger logger_;
  std::uint64_t state_ = 7;
  std::chrono::nanoseconds now_{std::chrono::seconds(1767225600)};
  std::mutex mu_;
  env::TaskId next_id_ = 1;
  std::map<std::pair<std::chrono::nanoseconds, env::TaskId>, env::Task> tasks_;
};

}  // namespace coffer::core::audit::testing
