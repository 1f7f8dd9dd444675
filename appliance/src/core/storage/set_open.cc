// Opening a set: reading each drive's format, ordering drives by their
// recorded index, formatting fresh sets and adopting empty replacement drives.

#include <algorithm>
#include <charconv>
#include <map>

#include "coffer/base/bytes.h"

#include "set_core.h"

namespace coffer::core::storage {

// Format 2 cuts keys into folders at '/' (set_core.h); format 1 cut them every
// 100 bytes only. Format 1 drives are migrated when the set opens.
inline constexpr int kFormatVersion = 2;

struct DriveFormat {
  std::string set_id;
  int index = -1;
  int drives = 0;
  int data = 0;
  int parity = 0;
  std::uint32_t block_size_bytes = 0;
  int version = kFormatVersion;
};

namespace {

std::string FormatBody(const DriveFormat& f) {
  return "coffer-format " + std::to_string(f.version) + "\nset " + f.set_id + "\nindex " +
         std::to_string(f.index) + "\ndrives " + std::to_string(f.drives) + "\ndata " +
         std::to_string(f.data) + "\nparity " + std::to_string(f.parity) + "\nblock " +
         std::to_string(f.block_size_bytes) + "\n";
}

std::string EncodeFormat(const DriveFormat& f) {
  const std::string body = FormatBody(f);
  return body + "crc " + std::to_string(ShardChecksum(base::AsBytes(body))) + "\n";
}

bool ParseInt(std::string_view s, long long& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

base::Result<DriveFormat> DecodeFormat(std::string_view text) {
  std::map<std::string, std::string, std::less<>> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return base::DataLoss("format: unterminated line");
    const std::string_view line = text.substr(pos, nl - pos);
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return base::DataLoss("format: bad line");
    fields[std::string(line.substr(0, sp))] = std::string(line.substr(sp + 1));
    pos = nl + 1;
  }
  DriveFormat f;
  long long version = 0, index = 0, drives = 0, data = 0, parity = 0, block = 0;
  if (!ParseInt(fields["coffer-format"], version) || version < 1 || version > kFormatVersion ||
      !ParseInt(fields["index"], index) || !ParseInt(fields["drives"], drives) ||
      !ParseInt(fields["data"], data) || !ParseInt(fields["parity"], parity) ||
      !ParseInt(fields["block"], block)) {
    return base::DataLoss("format: missing or bad field");
  }
  f.set_id = fields["set"];
  f.index = static_cast<int>(index);
  f.drives = static_cast<int>(drives);
  f.data = static_cast<int>(data);
  f.parity = static_cast<int>(parity);
  f.block_size_bytes = static_cast<std::uint32_t>(block);
  f.version = static_cast<int>(version);
  if (EncodeFormat(f) != text) return base::DataLoss("format: checksum mismatch");
  if (f.index < 0 || f.index >= f.drives) return base::DataLoss("format: bad index");
  return f;
}

// A drive with nothing but Coffer's system folder counts as empty.
bool IsEmptyDrive(env::Drive& drive) {
  auto names = drive.List("");
  if (!names) return false;
  return std::all_of(names->begin(), names->end(),
                     [](const std::string& n) { return n == ".coffer.sys/"; });
}

// Moves the object folders under `dir` (key hex so far: `hex`) of a format 1
// drive to their format 2 paths: data folders first, xl.meta last, then the
// emptied folder. Idempotent: in both layouts a key's hex is the
// concatenation of the folder names on its path, so a walk after a crash
// finds moved and unmoved objects alike.
base::Status MigrateDir(env::Drive& drive, std::string_view bucket, const std::string& dir,
                        const std::string& hex) {
  auto names = drive.List(dir);
  if (!names) {
    if (names.error().code() == base::ErrorCode::kNotFound) return base::Ok();
    return names.error();
  }
  bool has_meta = false;
  std::vector<std::string> data_dirs;
  for (const std::string& name : *names) {
    if (name == kXlMetaName) has_meta = true;
    if (name.empty() || name.back() != '/') continue;
    const std::string part = name.substr(0, name.size() - 1);
    if (part.starts_with("d-")) {
      data_dirs.push_back(part);
    } else if (HexDecode(part)) {
      COFFER_RETURN_IF_ERROR(MigrateDir(drive, bucket, dir + "/" + part, hex + part));
    }
  }
  if (hex.empty()) return base::Ok();
  const auto key = HexDecode(hex);
  if (has_meta && key) {
    const std::string target = ObjectDir(bucket, *key);
    if (target != dir) {
      for (const std::string& d : data_dirs) {
        COFFER_RETURN_IF_ERROR(drive.Rename(dir + "/" + d, target + "/" + d));
      }
      COFFER_RETURN_IF_ERROR(drive.Rename(dir + "/" + std::string(kXlMetaName),
                                          target + "/" + std::string(kXlMetaName)));
    }
  }
  (void)drive.Remove(dir);  // Refused while it holds other keys.
  return base::Ok();
}

base::Status MigrateFormat1(env::Drive& drive) {
  auto buckets = drive.List(kBucketsDir);
  if (!buckets) {
    if (buckets.error().code() == base::ErrorCode::kNotFound) return base::Ok();
    return buckets.error();
  }
  for (const std::string& name : *buckets) {
    if (name.empty() || name.back() != '/') continue;
    const std::string bucket = name.substr(0, name.size() - 1);
    COFFER_RETURN_IF_ERROR(MigrateDir(drive, bucket, BucketDir(bucket) + "/o", ""));
  }
  return base::Ok();
}

}  // namespace

// Gathers what each location holds, then decides the set's membership.
class SetOpener {
 public:
  explicit SetOpener(ErasureSet::Core& core) : core_(core) {}

  struct Found {
    std::unique_ptr<env::Drive> drive;
    std::optional<DriveFormat> format;
    std::string location;
    std::string error;
  };

  base::Status Run();

 private:
  base::Status PickReference(std::vector<Found>& found);
  void Place(std::vector<Found>& found);
  base::Status Adopt(Found& f, int index, DriveState state);

  ErasureSet::Core& core_;
  DriveFormat reference_;
};

base::Status SetOpener::Run() {
  std::vector<Found> found;
  for (const std::string& location : core_.options_.drive_locations) {
    Found f;
    f.location = location;
    auto drive = core_.env_.OpenExistingDrive(location);
    if (!drive) {
      f.error = drive.error().ToString();
    } else {
      f.drive = std::move(drive).value();
      auto text = f.drive->ReadAll(kFormatPath);
      if (text) {
        auto format = DecodeFormat(*text);
        if (format)
          f.format = *format;
        else
          f.error = format.error().ToString();
      } else if (text.error().code() != base::ErrorCode::kNotFound) {
        f.error = text.error().ToString();
      }
    }
    found.push_back(std::move(f));
  }
  COFFER_RETURN_IF_ERROR(PickReference(found));
  Place(found);
  int usable = 0;
  for (const auto& slot : core_.slots_) usable += slot.drive ? 1 : 0;
  if (usable < core_.read_quorum()) {
    return base::Unavailable("only " + std::to_string(usable) + " of " +
                             std::to_string(core_.drives()) + " drives of the set are usable");
  }
  return base::Ok();
}

base::Status SetOpener::PickReference(std::vector<Found>& found) {
  // The set is whatever most formatted drives say; ties go to the smaller
  // set id, so every node picks the same one.
  std::map<std::string, int> votes;
  for (const Found& f : found) {
    if (f.format)
      votes[FormatBody(DriveFormat{f.format->set_id, 0, f.format->drives, f.format->data,
                                   f.format->parity,
                                   f.format->block_size_bytes})]++;  // Any version.
  }
  const int n = core_.drives();
  if (votes.empty()) {
    reference_ = DriveFormat{
        core_.NewUuid(), -1, n, core_.data(), core_.parity(), core_.options_.block_size_bytes};
    return base::Ok();
  }
  auto best = votes.begin();
  for (auto it = votes.begin(); it != votes.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  for (const Found& f : found) {
    if (!f.format) continue;
    DriveFormat g = *f.format;
    g.index = 0;
    g.version = kFormatVersion;
    if (FormatBody(g) == best->first) {
      reference_ = *f.format;
      reference_.version = kFormatVersion;
      break;
    }
  }
  if (reference_.drives != n || reference_.data != core_.data() ||
      reference_.parity != core_.parity()) {
    return base::FailedPrecondition(
        "drives are formatted as " + std::to_string(reference_.data) + "+" +
        std::to_string(reference_.parity) + " on " + std::to_string(reference_.drives) +
        " drives, options ask for " + std::to_string(core_.data()) + "+" +
        std::to_string(core_.parity()) + " on " + std::to_string(n));
  }
  return base::Ok();
}

void SetOpener::Place(std::vector<Found>& found) {
  std::vector<Found*> empties;
  for (Found& f : found) {
    if (!f.drive) {
      core_.extra_.push_back({f.location, -1, DriveState::kMissing, f.error});
      continue;
    }
    if (f.format && f.format->set_id == reference_.set_id) {
      auto& slot = core_.slots_[static_cast<std::size_t>(f.format->index)];
      if (!slot.drive) {
        const std::string location = f.location;
        auto status = Adopt(f, f.format->index, DriveState::kOk);
        if (!status) {
          core_.extra_.push_back({location, f.format->index, DriveState::kMissing,
                                  "format upgrade failed: " + status.error().ToString()});
        }
        continue;
      }
      core_.extra_.push_back({f.location, -1, DriveState::kForeign, "duplicate drive index"});
      continue;
    }
    if (!f.format && f.error.empty() && IsEmptyDrive(*f.drive)) {
      empties.push_back(&f);
      continue;
    }
    core_.extra_.push_back(
        {f.location, -1, DriveState::kForeign,
         f.format ? "belongs to set " + f.format->set_id : "holds data but no format " + f.error});
  }
  const bool fresh = reference_.index < 0;
  std::size_t next = 0;
  for (int i = 0; i < core_.drives() && next < empties.size(); ++i) {
    auto& slot = core_.slots_[static_cast<std::size_t>(i)];
    if (slot.drive) continue;
    Found& f = *empties[next++];
    if (!fresh && !core_.options_.adopt_empty_drives) {
      core_.extra_.push_back({f.location, i, DriveState::kMissing,
                              "empty drive, would be adopted as index " + std::to_string(i)});
      continue;
    }
    auto status = Adopt(f, i, fresh ? DriveState::kOk : DriveState::kReplaced);
    if (!status)
      core_.extra_.push_back({f.location, -1, DriveState::kMissing, status.error().ToString()});
  }
}

base::Status SetOpener::Adopt(Found& f, int index, DriveState state) {
  auto& slot = core_.slots_[static_cast<std::size_t>(index)];
  if (f.format && f.format->version < kFormatVersion) {
    COFFER_RETURN_IF_ERROR(MigrateFormat1(*f.drive));
    DriveFormat upgraded = *f.format;
    upgraded.version = kFormatVersion;
    COFFER_RETURN_IF_ERROR(
        f.drive->WriteAtomic(kFormatPath, base::AsBytes(EncodeFormat(upgraded))));
  }
  if (state != DriveState::kOk || !f.format) {
    DriveFormat format = reference_;
    format.index = index;
    COFFER_RETURN_IF_ERROR(f.drive->WriteAtomic(kFormatPath, base::AsBytes(EncodeFormat(format))));
  }
  // Leftovers of writes that a crash interrupted: never referenced by any
  // xl.meta, since metadata is written only after its shards are in place.
  (void)f.drive->RemoveAll(kStagingDir);
  slot.location = f.location;
  slot.drive = std::move(f.drive);
  slot.status = DriveStatus{f.location, index, state,
                            state == DriveState::kReplaced ? "empty drive adopted" : ""};
  return base::Ok();
}

base::Status ErasureSet::Core::OpenDrives() {
  SetOpener opener(*this);
  return opener.Run();
}

std::vector<DriveStatus> ErasureSet::Core::DriveStatuses() const {
  std::lock_guard lock(mu_);
  std::vector<DriveStatus> out;
  for (const auto& slot : slots_) {
    DriveStatus s = slot.status;
    if (!slot.drive) {
      s.index = static_cast<int>(&slot - slots_.data());
      s.state = DriveState::kMissing;
    }
    out.push_back(s);
  }
  out.insert(out.end(), extra_.begin(), extra_.end());
  return out;
}

std::vector<std::string> ErasureSet::Core::RefreshDrives(bool dry_run) {
  std::vector<std::string> actions;
  DriveFormat reference;
  for (auto& slot : slots_) {
    if (!slot.drive) continue;
    auto text = slot.drive->ReadAll(kFormatPath);
    if (text && DecodeFormat(*text)) {
      reference = *DecodeFormat(*text);
      break;
    }
  }
  if (reference.set_id.empty()) return actions;
  for (int i = 0; i < drives(); ++i) {
    auto& slot = slots_[static_cast<std::size_t>(i)];
    if (!slot.drive) continue;
    auto text = slot.drive->ReadAll(kFormatPath);
    if (text || text.error().code() != base::ErrorCode::kNotFound) continue;
    if (!IsEmptyDrive(*slot.drive)) continue;
    actions.push_back("drive " + std::to_string(i) + " (" + slot.location + "): empty, " +
                      (dry_run ? "would write" : "wrote") + " its format");
    if (dry_run) continue;
    DriveFormat format = reference;
    format.index = i;
    format.version = kFormatVersion;
    if (slot.drive->WriteAtomic(kFormatPath, base::AsBytes(EncodeFormat(format)))) {
      std::lock_guard lock(mu_);
      slot.status.state = DriveState::kReplaced;
      slot.status.detail = "emptied drive re-formatted";
    }
  }
  return actions;
}

}  // namespace coffer::core::storage
