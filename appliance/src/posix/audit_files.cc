// Spool folders and the file target on POSIX files. Spool segments are
// opened with O_APPEND and made durable with fdatasync; the folder entry of
// a new segment is fsynced once. Everything else (cursor, listing) goes
// through the POSIX Drive, which already writes atomically.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "coffer/posix/audit_peers.h"
#include "coffer/posix/posix_env.h"

namespace coffer::posix {
namespace {

base::Error Errno(std::string_view what, const std::string& path) {
  const int err = errno;
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return base::ResourceExhausted(std::move(msg));
  if (err == ENOENT) return base::NotFound(std::move(msg));
  return base::Unavailable(std::move(msg));
}

base::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return base::Ok();
}

base::Status FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", dir);
  return base::Ok();
}

class PosixAppendFile final : public env::AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixAppendFile() override { ::close(fd_); }
  base::Status Append(std::span<const std::byte> data) override {
    return WriteAll(fd_, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
                    path_);
  }
  base::Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("fdatasync", path_);
    return base::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixSpoolDir final : public env::SpoolDir {
 public:
  PosixSpoolDir(std::string root, std::unique_ptr<env::Drive> drive)
      : root_(std::move(root)), drive_(std::move(drive)) {}

  base::Result<std::vector<std::string>> List() override {
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> names, drive_->List(""));
    std::vector<std::string> files;
    for (auto& n : names) {
      if (!n.empty() && n.back() != '/') files.push_back(std::move(n));
    }
    return files;
  }
  base::Result<std::string> ReadAll(std::string_view name) override {
    return drive_->ReadAll(name);
  }
  base::Result<std::unique_ptr<env::AppendFile>> Create(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(name));
    const std::string path = root_ + "/" + std::string(name);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return Errno("open", path);
    if (auto synced = FsyncDir(root_); !synced.has_value()) {
      ::close(fd);
      return synced.error();
    }
    return std::unique_ptr<env::AppendFile>(std::make_unique<PosixAppendFile>(fd, path));
  }
  base::Status WriteAtomic(std::string_view name, std::span<const std::byte> data) override {
    return drive_->WriteAtomic(name, data);
  }
  base::Status Remove(std::string_view name) override { return drive_->Remove(name); }
  base::Result<std::uint64_t> FreeBytes() override {
    struct statvfs vfs {};
    if (::statvfs(root_.c_str(), &vfs) != 0) return Errno("statvfs", root_);
    return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }

 private:
  std::string root_;
  std::unique_ptr<env::Drive> drive_;
};

// Appends to the target file; one writer at a time.
class FileSink final : public env::AuditSink {
 public:
  explicit FileSink(env::FileTargetConfig config) : config_(std::move(config)) {}
  void Deliver(env::AuditBatch batch, Done done) override {
    base::Status status = base::Ok();
    {
      std::lock_guard lock(mu_);
      status = AppendJsonLines(config_, batch.body);
    }
    done(std::move(status));
  }

 private:
  env::FileTargetConfig config_;
  std::mutex mu_;
};

base::Status Rotate(const env::FileTargetConfig& config) {
  const unsigned keep = config.max_files < 1 ? 1 : config.max_files;
  for (unsigned i = keep - 1; i >= 1; --i) {
    const std::string from = i == 1 ? config.path : config.path + "." + std::to_string(i - 1);
    const std::string to = config.path + "." + std::to_string(i);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) return Errno("rename", from);
  }
  if (keep == 1) (void)::unlink(config.path.c_str());
  const auto slash = config.path.rfind('/');
  return FsyncDir(slash == std::string::npos ? "." : config.path.substr(0, slash));
}

}  // namespace

base::Status AppendJsonLines(const env::FileTargetConfig& config, std::string_view lines) {
  const int fd = ::open(config.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("open", config.path);
  base::Status status = WriteAll(fd, lines, config.path);
  if (status.has_value() && ::fdatasync(fd) != 0) status = Errno("fdatasync", config.path);
  struct stat st {};
  const bool rotate = status.has_value() && ::fstat(fd, &st) == 0 &&
                      static_cast<std::uint64_t>(st.st_size) >= config.rotate_size_bytes;
  ::close(fd);
  if (rotate) status = Rotate(config);
  return status;
}

base::Result<std::unique_ptr<env::AuditSink>> PosixAuditPeers::OpenFile(
    const env::FileTargetConfig& config) {
  if (config.path.empty()) return base::InvalidArgument("audit file target without a path");
  return std::unique_ptr<env::AuditSink>(std::make_unique<FileSink>(config));
}

base::Result<std::unique_ptr<env::SpoolDir>> PosixAuditPeers::OpenSpoolDir(std::string_view path) {
  COFFER_ASSIGN_OR_RETURN(auto drive, OpenPosixDrive(path));
  return std::unique_ptr<env::SpoolDir>(
      std::make_unique<PosixSpoolDir>(std::string(path), std::move(drive)));
}

}  // namespace coffer::posix
