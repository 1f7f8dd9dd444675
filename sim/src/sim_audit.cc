#include "coffer/sim/sim_audit.h"

#include "coffer/base/bytes.h"

namespace coffer::sim {
namespace {

// Appends go to a buffer; Sync() moves them to the disk. A crash (the world
// torn down without Sync) loses the buffer, as a process dying before
// fdatasync loses the page cache's promise.
class SimAppendFile final : public env::AppendFile {
 public:
  SimAppendFile(SimEnv& env, std::shared_ptr<SimDisk> disk, std::string path)
      : env_(env), disk_(std::move(disk)), path_(std::move(path)) {}
  base::Status Append(std::span<const std::byte> data) override {
    if (env_.faults().Fire("drive.full")) return base::ResourceExhausted(path_ + ": disk full");
    pending_.append(base::AsChars(data));
    return base::Ok();
  }
  base::Status Sync() override {
    if (env_.faults().Fire("drive.write.eio")) return base::Unavailable(path_ + ": EIO on sync");
    disk_->files[path_] += pending_;
    pending_.clear();
    return base::Ok();
  }

 private:
  SimEnv& env_;
  std::shared_ptr<SimDisk> disk_;
  std::string path_;
  std::string pending_;
};

class SimSpoolDir final : public env::SpoolDir {
 public:
  SimSpoolDir(SimEnv& env, std::shared_ptr<SimDisk> disk, std::string dir)
      : env_(env), disk_(std::move(disk)), dir_(std::move(dir)) {}
  base::Result<std::vector<std::string>> List() override {
    std::vector<std::string> names;
    const std::string prefix = dir_ + "/";
    for (const auto& [p, bytes] : disk_->files) {
      if (p.starts_with(prefix)) names.push_back(p.substr(prefix.size()));
    }
    return names;
  }
  base::Result<std::string> ReadAll(std::string_view name) override {
    auto it = disk_->files.find(Path(name));
    if (it == disk_->files.end()) return base::NotFound(std::string(name));
    return it->second;
  }
  base::Result<std::unique_ptr<env::AppendFile>> Create(std::string_view name) override {
    if (env_.faults().Fire("drive.write.eio"))
      return base::Unavailable("EIO creating a spool file");
    disk_->files[Path(name)].clear();
    return std::unique_ptr<env::AppendFile>(
        std::make_unique<SimAppendFile>(env_, disk_, Path(name)));
  }
  base::Status WriteAtomic(std::string_view name, std::span<const std::byte> data) override {
    if (env_.faults().Fire("drive.write.eio")) return base::Unavailable("EIO writing a spool file");
    disk_->files[Path(name)] = std::string(base::AsChars(data));
    return base::Ok();
  }
  base::Status Remove(std::string_view name) override {
    disk_->files.erase(Path(name));
    return base::Ok();
  }
  base::Result<std::uint64_t> FreeBytes() override {
    const std::uint64_t used = disk_->UsedBytes();
    return used >= disk_->capacity_bytes ? 0 : disk_->capacity_bytes - used;
  }

 private:
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }

  SimEnv& env_;
  std::shared_ptr<SimDisk> disk_;
  std::string dir_;
};

// Delivers after 1..50 ms of virtual time (seconds when the receiver is
// slow); a receiver that is down refuses.
class SimWebhook final : public env::AuditSink {
 public:
  SimWebhook(SimEnv& env, std::shared_ptr<SimReceiver> receiver)
      : env_(env), receiver_(std::move(receiver)) {}
  void Deliver(env::AuditBatch batch, Done done) override {
    const bool slow = receiver_->mode == SimReceiver::Mode::kSlow;
    const auto delay = std::chrono::milliseconds(slow ? env_.random().Uniform(1000, 8000)
                                                      : env_.random().Uniform(1, 50));
    env_.scheduler().PostAfter(
        delay, [receiver = receiver_, batch = std::move(batch), done = std::move(done)]() mutable {
          if (receiver->mode == SimReceiver::Mode::kDown) {
            ++receiver->refused;
            done(base::Unavailable("receiver down"));
            return;
          }
          for (const std::string& id : batch.request_ids) receiver->delivered.insert(id);
          ++receiver->batches;
          done(base::Ok());
        });
  }

 private:
  SimEnv& env_;
  std::shared_ptr<SimReceiver> receiver_;
};

}  // namespace

SimAuditPeers::SimAuditPeers(SimEnv& env, std::shared_ptr<SimReceiver> receiver,
                             std::string disk_name)
    : env_(env), receiver_(std::move(receiver)), disk_name_(std::move(disk_name)) {}

base::Result<std::unique_ptr<env::AuditSink>> SimAuditPeers::OpenWebhook(
    const env::WebhookTargetConfig&) {
  return std::unique_ptr<env::AuditSink>(std::make_unique<SimWebhook>(env_, receiver_));
}

base::Result<std::unique_ptr<env::AuditSink>> SimAuditPeers::OpenFile(
    const env::FileTargetConfig&) {
  return base::FailedPrecondition("file targets are not simulated");
}

base::Result<std::unique_ptr<env::SpoolDir>> SimAuditPeers::OpenSpoolDir(std::string_view path) {
  // Opening the drive creates the disk on first use.
  COFFER_ASSIGN_OR_RETURN(auto drive, env_.OpenDrive(disk_name_));
  (void)drive;
  return std::unique_ptr<env::SpoolDir>(
      std::make_unique<SimSpoolDir>(env_, env_.Disk(disk_name_), std::string(path)));
}

}  // namespace coffer::sim
