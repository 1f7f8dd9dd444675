#pragma once
// A small in-memory Env for the storage unit tests (coffer_core_test links
// only the core, not the simulator): drives are maps that survive being
// reopened, the clock moves only when told, tasks run when the test says.

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <openssl/crypto.h>

#include "coffer/base/bytes.h"
#include "coffer/env/env.h"

namespace coffer::core::storage::testing {

struct MemDisk {
  std::map<std::string, std::string, std::less<>> files;
  bool offline = false;
  // Calls of List and ReadAll, for tests of how much work a listing does.
  std::uint64_t lists = 0;
  std::uint64_t reads = 0;
};

class MemDrive final : public env::Drive {
 public:
  MemDrive(std::string name, std::shared_ptr<MemDisk> disk)
      : name_(std::move(name)), disk_(std::move(disk)) {}
  const std::string& Name() const override { return name_; }
  base::Result<std::string> ReadAll(std::string_view path) override {
    ++disk_->reads;
    if (disk_->offline) return base::Unavailable("offline");
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(std::string(path));
    return it->second;
  }
  base::Result<std::size_t> ReadAt(std::string_view path, std::uint64_t offset,
                                   std::span<std::byte> out) override {
    COFFER_ASSIGN_OR_RETURN(std::string all, ReadAll(path));
    if (offset >= all.size()) return std::size_t{0};
    const std::size_t n = std::min<std::size_t>(out.size(), all.size() - offset);
    std::memcpy(out.data(), all.data() + offset, n);
    return n;
  }
  base::Status WriteAtomic(std::string_view path, std::span<const std::byte> data) override {
    if (disk_->offline) return base::Unavailable("offline");
    disk_->files[std::string(path)] = std::string(base::AsChars(data));
    return base::Ok();
  }
  base::Result<std::unique_ptr<env::FileWriter>> CreateWriter(std::string_view path) override;
  base::Status Rename(std::string_view from, std::string_view to) override {
    if (disk_->offline) return base::Unavailable("offline");
    const std::string f(from), t(to);
    bool any = false;
    std::map<std::string, std::string, std::less<>> moved;
    for (auto it = disk_->files.begin(); it != disk_->files.end();) {
      if (it->first == f || it->first.starts_with(f + "/")) {
        moved[t + it->first.substr(f.size())] = std::move(it->second);
        it = disk_->files.erase(it);
        any = true;
      } else {
        ++it;
      }
    }
    if (!any) return base::NotFound(f);
    for (auto& [k, v] : moved) disk_->files[k] = std::move(v);
    return base::Ok();
  }
  base::Result<std::vector<std::string>> List(std::string_view dir) override {
    ++disk_->lists;
    if (disk_->offline) return base::Unavailable("offline");
    const std::string prefix = dir.empty() ? "" : std::string(dir) + "/";
    std::set<std::string> names;
    for (const auto& [p, c] : disk_->files) {
      if (!p.starts_with(prefix)) continue;
      const std::string rest = p.substr(prefix.size());
      const auto slash = rest.find('/');
      names.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
    }
    if (names.empty() && !dir.empty()) return base::NotFound(std::string(dir));
    return std::vector<std::string>(names.begin(), names.end());
  }
  base::Status Remove(std::string_view path) override {
    if (disk_->offline) return base::Unavailable("offline");
    auto it = disk_->files.find(path);
    if (it != disk_->files.end()) {
      disk_->files.erase(it);
      return base::Ok();
    }
    const std::string prefix = std::string(path) + "/";
    for (const auto& [p, c] : disk_->files) {
      if (p.starts_with(prefix)) return base::FailedPrecondition("not empty");
    }
    return base::NotFound(std::string(path));
  }
  base::Status RemoveAll(std::string_view path) override {
    if (disk_->offline) return base::Unavailable("offline");
    const std::string p(path);
    std::erase_if(disk_->files,
                  [&](const auto& kv) { return kv.first == p || kv.first.starts_with(p + "/"); });
    return base::Ok();
  }
  base::Result<env::FileInfo> Stat(std::string_view path) override {
    COFFER_ASSIGN_OR_RETURN(std::string all, ReadAll(path));
    return env::FileInfo{all.size(), false};
  }
  base::Status Sync(std::string_view) override { return base::Ok(); }
  base::Result<env::DriveUsage> Usage() override { return env::DriveUsage{1u << 30, 1u << 30}; }

 private:
  std::string name_;
  std::shared_ptr<MemDisk> disk_;
};

class MemWriter final : public env::FileWriter {
 public:
  MemWriter(MemDrive& drive, std::string path) : drive_(drive), path_(std::move(path)) {}
  base::Status Append(std::span<const std::byte> data) override {
    buffer_.append(base::AsChars(data));
    return base::Ok();
  }
  base::Status Commit() override { return drive_.WriteAtomic(path_, base::AsBytes(buffer_)); }

 private:
  MemDrive& drive_;
  std::string path_;
  std::string buffer_;
};

inline base::Result<std::unique_ptr<env::FileWriter>> MemDrive::CreateWriter(
    std::string_view path) {
  return std::unique_ptr<env::FileWriter>(std::make_unique<MemWriter>(*this, std::string(path)));
}

class MemEnv final : public env::Env,
                     public base::Clock,
                     public base::Random,
                     public env::Scheduler,
                     public env::LogSink {
 public:
  explicit MemEnv(std::uint64_t seed = 42)
      : ctx_(OSSL_LIB_CTX_new()), logger_(*this, *this), state_(seed) {}
  ~MemEnv() override { OSSL_LIB_CTX_free(ctx_); }

  base::Clock& clock() override { return *this; }
  base::Random& random() override { return *this; }
  env::Scheduler& scheduler() override { return *this; }
  env::Faults& faults() override { return faults_; }
  env::Logger& log() override { return logger_; }
  base::Result<std::unique_ptr<env::Drive>> OpenDrive(std::string_view location) override {
    auto& disk = disks_[std::string(location)];
    if (!disk) disk = std::make_shared<MemDisk>();
    return std::unique_ptr<env::Drive>(std::make_unique<MemDrive>(std::string(location), disk));
  }

  base::WallTime Now() const override { return now_; }
  base::MonoTime Monotonic() const override { return now_.time_since_epoch(); }
  void Advance(std::chrono::nanoseconds d) { now_ += d; }

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

  env::TaskId Post(env::Task task) override {
    tasks_.push_back(std::move(task));
    return tasks_.size();
  }
  env::TaskId PostAfter(std::chrono::nanoseconds, env::Task task) override {
    return Post(std::move(task));
  }
  bool Cancel(env::TaskId) override { return false; }
  // Runs posted tasks (and the tasks they post) until none is left.
  int RunTasks() {
    int n = 0;
    while (!tasks_.empty()) {
      env::Task t = std::move(tasks_.front());
      tasks_.pop_front();
      t();
      ++n;
    }
    return n;
  }
  void Write(std::string_view) override {}

  std::shared_ptr<MemDisk> Disk(const std::string& name) { return disks_[name]; }

 private:
  ossl_lib_ctx_st* ctx_;
  env::NoFaults faults_;
  env::Logger logger_;
  std::uint64_t state_;
  base::WallTime now_{std::chrono::seconds(1767225600)};
  std::deque<env::Task> tasks_;
  std::map<std::string, std::shared_ptr<MemDisk>> disks_;
};

}  // namespace coffer::core::storage::testing
