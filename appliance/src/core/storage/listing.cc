// Listing: the union of keys on the drives, walked in byte order (keys are
// hex-encoded, which keeps their order), then filtered to what a quorum of
// drives agrees on. That filter already reads every listed key's xl.meta, so
// listed ObjectInfos carry headers, tags and part sizes like StatObject's, at
// no extra read.

#include <algorithm>
#include <set>

#include "set_core.h"

namespace coffer::core::storage {

using Core = ErasureSet::Core;

namespace {

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

struct Walk {
  env::Drive& drive;
  std::string hex_prefix;
  std::string hex_marker;
  std::set<std::string>& keys;
};

base::Status WalkDir(Walk& w, const std::string& dir, const std::string& acc) {
  auto names = w.drive.List(dir);
  if (!names) {
    if (names.error().code() == base::ErrorCode::kNotFound) return base::Ok();
    return names.error();
  }
  for (const std::string& name : *names) {
    if (name == kXlMetaName) {
      if (acc.starts_with(w.hex_prefix) && acc > w.hex_marker) {
        if (auto key = HexDecode(acc)) w.keys.insert(*key);
      }
      continue;
    }
    if (name.empty() || name.back() != '/') continue;
    const std::string part = name.substr(0, name.size() - 1);
    if (!IsHex(part)) continue;  // Data folders ("d-...") and strays.
    const std::string child = acc + part;
    const bool prefix_ok = child.starts_with(w.hex_prefix) || w.hex_prefix.starts_with(child);
    // Every key below `child` starts with it; if child sorts before the marker
    // without being its prefix, so does every key below it.
    const bool marker_ok = child > w.hex_marker || w.hex_marker.starts_with(child);
    if (prefix_ok && marker_ok) COFFER_RETURN_IF_ERROR(WalkDir(w, dir + "/" + part, child));
  }
  return base::Ok();
}

}  // namespace

base::Result<std::vector<std::string>> Core::CollectKeys(std::string_view bucket,
                                                         std::string_view prefix,
                                                         std::string_view marker) {
  std::set<std::string> keys;
  int answered = 0;
  for (int d = 0; d < drives(); ++d) {
    env::Drive* drv = drive(d);
    if (drv == nullptr) continue;
    Walk w{*drv, HexEncode(prefix), HexEncode(marker), keys};
    if (WalkDir(w, BucketDir(bucket) + "/o", "")) ++answered;
  }
  if (answered < read_quorum()) {
    return base::Unavailable("only " + std::to_string(answered) + " drives could be listed");
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

base::Result<std::vector<std::string>> Core::CollectBuckets() {
  std::set<std::string> names;
  int answered = 0;
  for (int d = 0; d < drives(); ++d) {
    env::Drive* drv = drive(d);
    if (drv == nullptr) continue;
    auto list = drv->List(kBucketsDir);
    if (!list && list.error().code() != base::ErrorCode::kNotFound) continue;
    ++answered;
    if (!list) continue;
    for (const std::string& n : *list) {
      if (!n.empty() && n.back() == '/') names.insert(n.substr(0, n.size() - 1));
    }
  }
  if (answered < read_quorum()) return base::Unavailable("too few drives could be listed");
  return std::vector<std::string>(names.begin(), names.end());
}

namespace {

// The common prefix a key rolls up into, or "" when it stands alone.
std::string CommonPrefix(std::string_view key, std::string_view prefix,
                         std::string_view delimiter) {
  if (delimiter.empty()) return "";
  const std::size_t at = key.find(delimiter, prefix.size());
  if (at == std::string_view::npos) return "";
  return std::string(key.substr(0, at + delimiter.size()));
}

}  // namespace

base::Result<ListResult> ErasureSet::ListObjects(std::string_view bucket,
                                                 const ListOptions& options) {
  COFFER_RETURN_IF_ERROR(core_->ReadBucket(bucket));
  COFFER_ASSIGN_OR_RETURN(auto keys, core_->CollectKeys(bucket, options.prefix, options.marker));
  ListResult out;
  std::string last_prefix;
  std::uint32_t count = 0;
  for (const std::string& key : keys) {
    const std::string cp = CommonPrefix(key, options.prefix, options.delimiter);
    if (!cp.empty() && (cp == last_prefix || options.marker.starts_with(cp))) continue;
    // A key counts (alone or under its prefix) only when its latest version
    // is live, as S3 hides prefixes whose objects are all deleted.
    const Resolved r = core_->Resolve(bucket, key);
    if (r.versions.empty() || r.versions.front().version.kind == VersionKind::kDeleteMarker) {
      continue;
    }
    if (count == options.max_keys) {
      out.is_truncated = true;
      break;
    }
    if (cp.empty()) {
      out.objects.push_back(ToObjectInfo(bucket, key, r.versions.front().version, true));
      out.next_marker = key;
    } else {
      out.common_prefixes.push_back(cp);
      last_prefix = cp;
      out.next_marker = cp;
    }
    ++count;
  }
  if (!out.is_truncated) out.next_marker.clear();
  return out;
}

base::Result<ListVersionsResult> ErasureSet::ListObjectVersions(
    std::string_view bucket, const ListVersionsOptions& options) {
  COFFER_RETURN_IF_ERROR(core_->ReadBucket(bucket));
  COFFER_ASSIGN_OR_RETURN(auto keys, core_->CollectKeys(bucket, options.prefix, ""));
  ListVersionsResult out;
  std::string last_prefix;
  std::uint32_t count = 0;
  for (const std::string& key : keys) {
    if (key < options.key_marker) continue;
    if (key == options.key_marker && options.version_id_marker.empty()) continue;
    const std::string cp = CommonPrefix(key, options.prefix, options.delimiter);
    if (!cp.empty()) {
      if (cp == last_prefix || options.key_marker.starts_with(cp)) continue;
      if (count == options.max_keys) {
        out.is_truncated = true;
        break;
      }
      out.common_prefixes.push_back(cp);
      last_prefix = cp;
      out.next_key_marker = cp;
      out.next_version_id_marker.clear();
      ++count;
      continue;
    }
    const Resolved r = core_->Resolve(bucket, key);
    bool skipping = key == options.key_marker;
    for (std::size_t i = 0; i < r.versions.size(); ++i) {
      const ObjectVersion& v = r.versions[i].version;
      if (skipping) {
        if (PublicVersionId(v.version_id) == options.version_id_marker) skipping = false;
        continue;
      }
      if (count == options.max_keys) {
        out.is_truncated = true;
        break;
      }
      out.versions.push_back(ToObjectInfo(bucket, key, v, i == 0));
      out.next_key_marker = key;
      out.next_version_id_marker = PublicVersionId(v.version_id);
      ++count;
    }
    if (out.is_truncated) break;
  }
  if (!out.is_truncated) {
    out.next_key_marker.clear();
    out.next_version_id_marker.clear();
  }
  return out;
}

}  // namespace coffer::core::storage
