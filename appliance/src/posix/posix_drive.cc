// POSIX files as a Drive. Every write is atomic: bytes go to a file under
// .coffer.sys/tmp/ on the same file system, are fsynced, renamed into place,
// and the target directory is fsynced, so a crash leaves old or new content.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "coffer/posix/posix_env.h"

namespace coffer::posix {
namespace {

constexpr std::string_view kTmpDir = ".coffer.sys/tmp";

base::Error FromErrno(int err, std::string_view what, const std::string& path) {
  std::string msg(what);
  msg += " ";
  msg += path;
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return base::NotFound(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return base::ResourceExhausted(std::move(msg));
    case EIO:
      return base::DataLoss(std::move(msg));
    case EEXIST:
    case ENOTEMPTY:
      return base::FailedPrecondition(std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS:
      return base::FailedPrecondition(std::move(msg));
    default:
      return base::Unavailable(std::move(msg));
  }
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string ParentOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

base::Status FsyncPath(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FromErrno(errno, "open", path);
  if (::fsync(fd.get()) != 0) return FromErrno(errno, "fsync", path);
  return base::Ok();
}

// mkdir -p. Existing directories are fine. `keep_root`, when not empty, is a
// folder that is never made: missing, it is an offline drive (an unmounted
// disk), not an empty one.
base::Status MakeDirs(const std::string& path, const std::string& keep_root) {
  if (path.empty()) return base::Ok();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return base::Ok();
    return base::FailedPrecondition("not a directory: " + path);
  }
  if (!keep_root.empty() && path == keep_root) {
    return base::Unavailable("drive folder " + path + " is missing (not mounted?)");
  }
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    COFFER_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), keep_root));
  }
  if (::mkdir(path.c_str(), 0750) != 0) {
    if (errno == EEXIST) return base::Ok();
    return FromErrno(errno, "mkdir", path);
  }
  // The new folder's name must survive a crash as the file renamed into it.
  return FsyncPath(ParentOf(path));
}

// rename(2) into a folder made first. A concurrent delete may remove an
// emptied parent folder between the two (the storage engine prunes empty key
// folders), so a missing parent is made again and the rename retried.
base::Status RenameMakingParents(const std::string& from, const std::string& to,
                                 const std::string& keep_root) {
  for (int attempt = 0;; ++attempt) {
    if (auto made = MakeDirs(ParentOf(to), keep_root); !made) {
      if (made.error().code() == base::ErrorCode::kNotFound && attempt < 8) continue;
      return made;
    }
    if (::rename(from.c_str(), to.c_str()) == 0) return base::Ok();
    const int err = errno;
    struct stat st {};
    if (err != ENOENT || attempt == 8 || ::lstat(from.c_str(), &st) != 0) {
      return FromErrno(err, "rename", from);
    }
  }
}

base::Status WriteFully(int fd, std::span<const std::byte> data, const std::string& path) {
  const auto* p = reinterpret_cast<const char*>(data.data());
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno(errno, "write", path);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return base::Ok();
}

class PosixDrive;

class PosixWriter final : public env::FileWriter {
 public:
  PosixWriter(int fd, std::string tmp, std::string final_path, const std::string& keep_root)
      : fd_(fd), tmp_(std::move(tmp)), final_(std::move(final_path)), keep_root_(keep_root) {}
  ~PosixWriter() override {
    if (!committed_) ::unlink(tmp_.c_str());
  }

  base::Status Append(std::span<const std::byte> data) override {
    if (done_) return base::FailedPrecondition("writer already finished");
    return WriteFully(fd_.get(), data, final_);
  }

  base::Status Commit() override {
    if (done_) return base::FailedPrecondition("writer already finished");
    done_ = true;
    if (::fsync(fd_.get()) != 0) return FromErrno(errno, "fsync", final_);
    if (::close(fd_.release()) != 0) return FromErrno(errno, "close", final_);
    if (auto renamed = RenameMakingParents(tmp_, final_, keep_root_); !renamed) {
      ::unlink(tmp_.c_str());
      return renamed;
    }
    committed_ = true;
    return FsyncPath(ParentOf(final_));
  }

 private:
  Fd fd_;
  std::string tmp_;
  std::string final_;
  std::string keep_root_;
  bool done_ = false;
  bool committed_ = false;
};

class PosixDrive final : public env::Drive {
 public:
  PosixDrive(std::string root, const PosixDriveOptions& options)
      : root_(std::move(root)), keep_root_(options.create_root ? std::string() : root_) {}

  const std::string& Name() const override { return root_; }

  base::Status Init() {
    COFFER_RETURN_IF_ERROR(MakeDirs(root_, keep_root_));
    // Leftovers of writes interrupted by a crash: never renamed, so never seen.
    const std::string tmp = Abs(kTmpDir);
    COFFER_RETURN_IF_ERROR(RemoveTree(tmp));
    return MakeDirs(tmp, keep_root_);
  }

  base::Result<std::string> ReadAll(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    const std::string abs = Abs(path);
    Fd fd(::open(abs.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return FromErrno(errno, "open", abs);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return FromErrno(errno, "stat", abs);
    if (S_ISDIR(st.st_mode)) return base::FailedPrecondition("is a directory: " + abs);
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t n =
          ::pread(fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return FromErrno(errno, "read", abs);
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
  }

  base::Result<std::size_t> ReadAt(std::string_view path, std::uint64_t offset,
                                   std::span<std::byte> out) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    const std::string abs = Abs(path);
    Fd fd(::open(abs.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return FromErrno(errno, "open", abs);
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::pread(fd.get(), reinterpret_cast<char*>(out.data()) + got,
                                out.size() - got, static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return FromErrno(errno, "read", abs);
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    return got;
  }

  base::Status WriteAtomic(std::string_view path, std::span<const std::byte> data) override {
    COFFER_ASSIGN_OR_RETURN(auto writer, CreateWriter(path));
    COFFER_RETURN_IF_ERROR(writer->Append(data));
    return writer->Commit();
  }

  base::Result<std::unique_ptr<env::FileWriter>> CreateWriter(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    std::string tmp = Abs(kTmpDir) + "/" + std::to_string(::getpid()) + "-" +
                      std::to_string(next_tmp_.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return FromErrno(errno, "create", tmp);
    return std::unique_ptr<env::FileWriter>(
        std::make_unique<PosixWriter>(fd, std::move(tmp), Abs(path), keep_root_));
  }

  base::Status Rename(std::string_view from, std::string_view to) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(from));
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(to));
    const std::string a = Abs(from);
    const std::string b = Abs(to);
    COFFER_RETURN_IF_ERROR(RenameMakingParents(a, b, keep_root_));
    COFFER_RETURN_IF_ERROR(FsyncPath(ParentOf(b)));
    if (ParentOf(a) != ParentOf(b)) return FsyncPath(ParentOf(a));
    return base::Ok();
  }

  base::Result<std::vector<std::string>> List(std::string_view dir) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(dir, /*allow_root=*/true));
    const std::string abs = dir.empty() ? root_ : Abs(dir);
    DIR* d = ::opendir(abs.c_str());
    if (d == nullptr) return FromErrno(errno, "opendir", abs);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = ::stat((abs + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      if (is_dir) name += '/';
      names.push_back(std::move(name));
    }
    ::closedir(d);
    // INVARIANT: listings are sorted, so nothing above depends on readdir order.
    std::sort(names.begin(), names.end());
    return names;
  }

  base::Status Remove(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    const std::string abs = Abs(path);
    if (::remove(abs.c_str()) != 0) return FromErrno(errno, "remove", abs);
    return base::Ok();
  }

  base::Status RemoveAll(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    return RemoveTree(Abs(path));
  }

  base::Result<env::FileInfo> Stat(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path, /*allow_root=*/true));
    const std::string abs = path.empty() ? root_ : Abs(path);
    struct stat st {};
    if (::stat(abs.c_str(), &st) != 0) return FromErrno(errno, "stat", abs);
    return env::FileInfo{static_cast<std::uint64_t>(st.st_size), S_ISDIR(st.st_mode)};
  }

  base::Status Sync(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path, /*allow_root=*/true));
    return FsyncPath(path.empty() ? root_ : Abs(path));
  }

  base::Result<env::DriveUsage> Usage() override {
    struct statvfs vfs {};
    if (::statvfs(root_.c_str(), &vfs) != 0) return FromErrno(errno, "statvfs", root_);
    return env::DriveUsage{static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize,
                           static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
  }

 private:
  std::string Abs(std::string_view rel) const {
    std::string s = root_;
    s += '/';
    s += rel;
    return s;
  }

  static base::Status RemoveTree(const std::string& abs) {
    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0) {
      if (errno == ENOENT) return base::Ok();
      return FromErrno(errno, "stat", abs);
    }
    if (S_ISDIR(st.st_mode)) {
      DIR* d = ::opendir(abs.c_str());
      if (d == nullptr) return FromErrno(errno, "opendir", abs);
      std::vector<std::string> children;
      while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (name != "." && name != "..") children.emplace_back(abs + "/" + std::string(name));
      }
      ::closedir(d);
      for (const auto& child : children) COFFER_RETURN_IF_ERROR(RemoveTree(child));
      if (::rmdir(abs.c_str()) != 0 && errno != ENOENT) return FromErrno(errno, "rmdir", abs);
      return base::Ok();
    }
    if (::unlink(abs.c_str()) != 0 && errno != ENOENT) return FromErrno(errno, "unlink", abs);
    return base::Ok();
  }

  std::string root_;
  std::string keep_root_;  // root_ when it must never be made, else empty.
  std::atomic<std::uint64_t> next_tmp_{0};
};

}  // namespace

base::Result<std::unique_ptr<env::Drive>> OpenPosixDrive(std::string_view root,
                                                         const PosixDriveOptions& options) {
  if (root.empty()) return base::InvalidArgument("empty drive folder");
  std::string r(root);
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  auto drive = std::make_unique<PosixDrive>(std::move(r), options);
  COFFER_RETURN_IF_ERROR(drive->Init());
  return std::unique_ptr<env::Drive>(std::move(drive));
}

}  // namespace coffer::posix
