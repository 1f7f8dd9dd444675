#include "coffer/sim/sim_drive.h"

#include <algorithm>

#include "coffer/base/bytes.h"

namespace coffer::sim {

std::uint64_t SimDisk::UsedBytes() const {
  std::uint64_t used = 0;
  for (const auto& [path, content] : files) used += content.size();
  return used;
}

bool FlipBitForTest(SimDisk& disk, const std::string& path, std::uint64_t bit) {
  auto it = disk.files.find(path);
  if (it == disk.files.end() || it->second.empty()) return false;
  const std::uint64_t b = bit % (it->second.size() * 8);
  it->second[b / 8] = static_cast<char>(it->second[b / 8] ^ (1 << (b % 8)));
  return true;
}

bool TruncateForTest(SimDisk& disk, const std::string& path, std::uint64_t size) {
  auto it = disk.files.find(path);
  if (it == disk.files.end()) return false;
  if (size < it->second.size()) it->second.resize(size);
  return true;
}

namespace {

// Heterogeneous erase arrives only in C++23.
template <typename Container>
bool EraseKey(Container& c, std::string_view key) {
  auto it = c.find(key);
  if (it == c.end()) return false;
  c.erase(it);
  return true;
}

bool HasPrefixDir(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

class SimDrive final : public env::Drive {
 public:
  SimDrive(std::shared_ptr<SimDisk> disk, SimWorld world) : disk_(std::move(disk)), world_(world) {}

  const std::string& Name() const override { return disk_->name; }

  base::Result<std::string> ReadAll(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(Begin("read", path));
    COFFER_RETURN_IF_ERROR(ReadFaults(path));
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(Where(path));
    return it->second;
  }

  base::Result<std::size_t> ReadAt(std::string_view path, std::uint64_t offset,
                                   std::span<std::byte> out) override {
    COFFER_RETURN_IF_ERROR(Begin("read_at", path));
    COFFER_RETURN_IF_ERROR(ReadFaults(path));
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(Where(path));
    const std::string& content = it->second;
    if (offset >= content.size()) return std::size_t{0};
    const std::size_t n = std::min<std::size_t>(out.size(), content.size() - offset);
    std::copy_n(reinterpret_cast<const std::byte*>(content.data()) + offset, n, out.data());
    return n;
  }

  base::Status WriteAtomic(std::string_view path, std::span<const std::byte> data) override {
    COFFER_RETURN_IF_ERROR(Begin("write", path));
    return Store(path, base::AsChars(data));
  }

  base::Result<std::unique_ptr<env::FileWriter>> CreateWriter(std::string_view path) override;

  base::Status Rename(std::string_view from, std::string_view to) override {
    COFFER_RETURN_IF_ERROR(Begin("rename", from));
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(to));
    if (auto it = disk_->files.find(from); it != disk_->files.end()) {
      disk_->files[std::string(to)] = std::move(it->second);
      disk_->files.erase(it);
      return base::Ok();
    }
    if (!IsDir(from)) return base::NotFound(Where(from));
    MoveTree(from, to);
    return base::Ok();
  }

  base::Result<std::vector<std::string>> List(std::string_view dir) override {
    if (!dir.empty()) COFFER_RETURN_IF_ERROR(Begin("list", dir));
    if (dir.empty()) COFFER_RETURN_IF_ERROR(Online());
    if (!dir.empty() && !IsDir(dir)) return base::NotFound(Where(dir));
    const std::string prefix = dir.empty() ? std::string() : std::string(dir) + "/";
    std::set<std::string> names;
    auto add = [&](const std::string& path, bool is_file) {
      if (path.compare(0, prefix.size(), prefix) != 0 || path.size() == prefix.size()) return;
      const std::string rest = path.substr(prefix.size());
      const auto slash = rest.find('/');
      if (slash == std::string::npos) {
        names.insert(is_file ? rest : rest + "/");
      } else {
        names.insert(rest.substr(0, slash + 1));
      }
    };
    for (const auto& [path, content] : disk_->files) add(path, true);
    for (const auto& d : disk_->dirs) add(d, false);
    return std::vector<std::string>(names.begin(), names.end());
  }

  base::Status Remove(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(Begin("remove", path));
    if (EraseKey(disk_->files, path)) return base::Ok();
    if (!IsDir(path)) return base::NotFound(Where(path));
    for (const auto& [p, c] : disk_->files) {
      if (HasPrefixDir(p, path)) return base::FailedPrecondition("directory not empty");
    }
    for (const auto& d : disk_->dirs) {
      if (HasPrefixDir(d, path)) return base::FailedPrecondition("directory not empty");
    }
    EraseKey(disk_->dirs, path);
    return base::Ok();
  }

  base::Status RemoveAll(std::string_view path) override {
    COFFER_RETURN_IF_ERROR(Begin("remove_all", path));
    EraseKey(disk_->files, path);
    EraseKey(disk_->dirs, path);
    std::erase_if(disk_->files, [&](const auto& kv) { return HasPrefixDir(kv.first, path); });
    std::erase_if(disk_->dirs, [&](const std::string& d) { return HasPrefixDir(d, path); });
    return base::Ok();
  }

  base::Result<env::FileInfo> Stat(std::string_view path) override {
    if (path.empty()) {
      COFFER_RETURN_IF_ERROR(Online());
      return env::FileInfo{0, true};
    }
    COFFER_RETURN_IF_ERROR(Begin("stat", path));
    if (auto it = disk_->files.find(path); it != disk_->files.end()) {
      return env::FileInfo{it->second.size(), false};
    }
    if (IsDir(path)) return env::FileInfo{0, true};
    return base::NotFound(Where(path));
  }

  base::Status Sync(std::string_view path) override {
    if (!path.empty()) COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    return Online();
  }

  base::Result<env::DriveUsage> Usage() override {
    COFFER_RETURN_IF_ERROR(Online());
    const std::uint64_t used = disk_->UsedBytes();
    return env::DriveUsage{disk_->capacity_bytes,
                           used >= disk_->capacity_bytes ? 0 : disk_->capacity_bytes - used};
  }

  // Applies a whole new content to `path` with the write faults. Shared by
  // WriteAtomic and the streaming writer's Commit.
  base::Status Store(std::string_view path, std::string_view data) {
    if (Fault("drive.write.eio")) return base::Unavailable(Where(path) + ": injected EIO");
    if (Fault("drive.full")) return base::ResourceExhausted(Where(path) + ": disk full");
    const auto existing = disk_->files.find(path);
    const std::uint64_t old_size = existing == disk_->files.end() ? 0 : existing->second.size();
    if (disk_->UsedBytes() - old_size + data.size() > disk_->capacity_bytes) {
      return base::ResourceExhausted(Where(path) + ": disk full");
    }
    if (Fault("drive.write.torn")) {
      // A lying disk: a prefix lands in place of the whole.
      const std::uint64_t keep = data.empty() ? 0 : world_.random.Uniform(0, data.size() - 1);
      disk_->files[std::string(path)] = std::string(data.substr(0, keep));
      return base::Unavailable(Where(path) + ": torn write");
    }
    std::string& slot = disk_->files[std::string(path)];
    slot.assign(data);
    if (!slot.empty() && Fault("drive.write.bitflip")) {
      FlipBitForTest(*disk_, std::string(path), world_.random.Uniform(0, slot.size() * 8 - 1));
    }
    return base::Ok();
  }

  base::Status Begin(std::string_view op, std::string_view path) {
    COFFER_RETURN_IF_ERROR(env::ValidateDrivePath(path));
    COFFER_RETURN_IF_ERROR(Online());
    std::string line = "drive ";
    line += disk_->name;
    line += ' ';
    line += op;
    line += ' ';
    line += path;
    world_.trace.Add(line);
    if (Fault("drive.slow")) {
      world_.clock.Advance(std::chrono::milliseconds(world_.random.Uniform(1, 500)));
    }
    return base::Ok();
  }

 private:
  base::Status Online() const {
    if (disk_->offline) return base::Unavailable(disk_->name + ": drive offline");
    return base::Ok();
  }

  base::Status ReadFaults(std::string_view path) {
    if (Fault("drive.read.eio")) return base::DataLoss(Where(path) + ": injected EIO");
    if (Fault("drive.vanish")) EraseKey(disk_->files, path);
    return base::Ok();
  }

  bool Fault(std::string_view point) { return world_.faults.Fire(point); }

  bool IsDir(std::string_view path) const {
    if (disk_->dirs.contains(path)) return true;
    for (const auto& [p, c] : disk_->files) {
      if (HasPrefixDir(p, path)) return true;
    }
    for (const auto& d : disk_->dirs) {
      if (HasPrefixDir(d, path)) return true;
    }
    return false;
  }

  void MoveTree(std::string_view from, std::string_view to) {
    std::map<std::string, std::string, std::less<>> moved;
    for (auto it = disk_->files.begin(); it != disk_->files.end();) {
      if (HasPrefixDir(it->first, from)) {
        moved.emplace(std::string(to) + it->first.substr(from.size()), std::move(it->second));
        it = disk_->files.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [p, c] : moved) disk_->files[p] = std::move(c);
    std::set<std::string, std::less<>> dirs;
    for (const auto& d : disk_->dirs) {
      if (d == from) {
        dirs.insert(std::string(to));
      } else if (HasPrefixDir(d, from)) {
        dirs.insert(std::string(to) + d.substr(from.size()));
      } else {
        dirs.insert(d);
      }
    }
    disk_->dirs = std::move(dirs);
  }

  std::string Where(std::string_view path) const { return disk_->name + ":" + std::string(path); }

  std::shared_ptr<SimDisk> disk_;
  SimWorld world_;
};

// Buffers appended bytes; Commit stores them in one step, so the final path
// is never seen half written (unless a torn-write fault says the disk lies).
class SimWriter final : public env::FileWriter {
 public:
  SimWriter(SimDrive& drive, std::string path) : drive_(drive), path_(std::move(path)) {}

  base::Status Append(std::span<const std::byte> data) override {
    if (done_) return base::FailedPrecondition("writer already finished");
    buffer_.append(base::AsChars(data));
    return base::Ok();
  }

  base::Status Commit() override {
    if (done_) return base::FailedPrecondition("writer already finished");
    done_ = true;
    COFFER_RETURN_IF_ERROR(drive_.Begin("commit", path_));
    return drive_.Store(path_, buffer_);
  }

 private:
  SimDrive& drive_;
  std::string path_;
  std::string buffer_;
  bool done_ = false;
};

base::Result<std::unique_ptr<env::FileWriter>> SimDrive::CreateWriter(std::string_view path) {
  COFFER_RETURN_IF_ERROR(Begin("create", path));
  return std::unique_ptr<env::FileWriter>(std::make_unique<SimWriter>(*this, std::string(path)));
}

}  // namespace

std::unique_ptr<env::Drive> MakeSimDrive(std::shared_ptr<SimDisk> disk, SimWorld world) {
  return std::make_unique<SimDrive>(std::move(disk), world);
}

}  // namespace coffer::sim
