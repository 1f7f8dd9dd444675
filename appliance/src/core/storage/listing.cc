// Listing: a depth-first walk of the key folders (set_core.h), merged across
// drives one folder at a time, that descends only where keys under the prefix
// and past the marker can be, rolls a common prefix up by skipping its whole
// subtree, and stops once max-keys (+1, to know IsTruncated) is reached. Each
// offered key is resolved by quorum, which reads its xl.meta, so listed
// ObjectInfos carry headers, tags and part sizes like StatObject's, at no
// extra read.

#include <algorithm>
#include <set>

#include "set_core.h"

namespace coffer::core::storage {

using Core = ErasureSet::Core;

namespace {

bool IsHex(std::string_view s) {
  return !s.empty() && s.size() % 2 == 0 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

KeyWalker::KeyWalker(Core& core, std::string_view bucket, std::string_view prefix, bool exact)
    : core_(core), root_(BucketDir(bucket) + "/o"), prefix_(HexEncode(prefix)), exact_(exact) {}

void KeyWalker::StartAfter(std::string_view key, bool inclusive) {
  bound_ = HexEncode(key);
  bound_inclusive_ = inclusive;
  bound_skips_prefix_ = false;
}

void KeyWalker::SkipPrefix(std::string_view prefix) {
  bound_ = HexEncode(prefix);
  bound_inclusive_ = false;
  bound_skips_prefix_ = true;
}

bool KeyWalker::MayHold(const std::string& hex) const {
  // Every key below the folder starts with `hex`.
  if (!hex.starts_with(prefix_) && !prefix_.starts_with(hex)) return false;
  if (bound_skips_prefix_ && hex.starts_with(bound_)) return false;
  // A folder that sorts before the bound without being its prefix holds only
  // keys before it.
  return hex >= bound_ || bound_.starts_with(hex);
}

bool KeyWalker::Passes(const std::string& hex) const {
  if (!hex.starts_with(prefix_)) return false;
  if (bound_skips_prefix_ && hex.starts_with(bound_)) return false;
  return hex > bound_ || (bound_inclusive_ && hex == bound_);
}

base::Status KeyWalker::Offer(const std::string& hex) {
  if (!Passes(hex)) return base::Ok();
  auto key = HexDecode(hex);
  if (!key) return base::Ok();
  if ((*visit_)(*key) == Step::kStop) stop_ = true;
  return base::Ok();
}

base::Status KeyWalker::WalkDir(const std::string& dir, const std::string& hex) {
  // The union of the drives' sub-folders (each list is sorted, and dropping
  // the trailing '/' of hex names keeps that order).
  std::vector<std::string> entries;
  bool has_meta = false;
  int answered = 0;
  for (int d = 0; d < core_.drives(); ++d) {
    env::Drive* drv = core_.drive(d);
    if (drv == nullptr) continue;
    auto names = drv->List(dir);
    if (!names) {
      if (names.error().code() == base::ErrorCode::kNotFound) ++answered;
      continue;
    }
    ++answered;
    std::vector<std::string> mine;
    mine.reserve(names->size());
    for (const std::string& name : *names) {
      if (name == kXlMetaName) {
        has_meta = true;
        continue;
      }
      if (name.empty() || name.back() != '/') continue;
      std::string part = name.substr(0, name.size() - 1);
      if (IsHex(part)) mine.push_back(std::move(part));  // Not data folders ("d-...").
    }
    if (!std::is_sorted(mine.begin(), mine.end())) std::sort(mine.begin(), mine.end());
    if (entries.empty()) {
      entries = std::move(mine);
    } else {
      std::vector<std::string> merged;
      merged.reserve(std::max(entries.size(), mine.size()));
      std::set_union(std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()), std::make_move_iterator(mine.begin()),
                     std::make_move_iterator(mine.end()), std::back_inserter(merged));
      entries = std::move(merged);
    }
  }
  if (answered < core_.read_quorum()) {
    return base::Unavailable("only " + std::to_string(answered) + " drives could list " + dir);
  }
  // The key of this folder sorts before every key below it.
  if (!hex.empty() && has_meta) COFFER_RETURN_IF_ERROR(Offer(hex));
  // Siblings that sort before the next byte of the prefix or of the bound
  // hold nothing to list (those that are prefixes of either share that byte).
  auto first = entries.begin();
  for (const std::string* limit : {&prefix_, &bound_}) {
    if (limit->size() > hex.size() && limit->starts_with(hex)) {
      first = std::max(
          first, std::lower_bound(entries.begin(), entries.end(), limit->substr(hex.size(), 2)));
    }
  }
  for (auto it = first; it != entries.end() && !stop_; ++it) {
    // A visitor may have skipped past this whole folder.
    if (!hex.empty() && !MayHold(hex)) break;
    const std::string child = hex + *it;
    if (!child.starts_with(prefix_) && !prefix_.starts_with(child) && child > prefix_) break;
    if (!MayHold(child)) continue;
    if (exact_ || SegmentMayHoldChildren(*it)) {
      COFFER_RETURN_IF_ERROR(WalkDir(dir + "/" + *it, child));
    } else {
      COFFER_RETURN_IF_ERROR(Offer(child));
    }
  }
  return base::Ok();
}

base::Status KeyWalker::Run(const std::function<Step(const std::string& key)>& visit) {
  visit_ = &visit;
  stop_ = false;
  return WalkDir(root_, "");
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
  ListResult out;
  std::uint32_t count = 0;
  KeyWalker walker(*core_, bucket, options.prefix, /*exact=*/false);
  walker.StartAfter(options.marker);
  COFFER_RETURN_IF_ERROR(walker.Run([&](const std::string& key) {
    const std::string cp = CommonPrefix(key, options.prefix, options.delimiter);
    if (!cp.empty() && options.marker.starts_with(cp)) {
      // The marker is inside this prefix: it was returned already.
      walker.SkipPrefix(cp);
      return KeyWalker::Step::kNext;
    }
    // A key counts (alone or under its prefix) only when its latest version
    // is live, as S3 hides prefixes whose objects are all deleted.
    const Resolved r = core_->Resolve(bucket, key);
    if (r.versions.empty() || r.versions.front().version.kind == VersionKind::kDeleteMarker) {
      return KeyWalker::Step::kNext;
    }
    if (count == options.max_keys) {
      out.is_truncated = true;
      return KeyWalker::Step::kStop;
    }
    if (cp.empty()) {
      out.objects.push_back(ToObjectInfo(bucket, key, r.versions.front().version, true));
      out.next_marker = key;
    } else {
      out.common_prefixes.push_back(cp);
      out.next_marker = cp;
      walker.SkipPrefix(cp);
    }
    ++count;
    return KeyWalker::Step::kNext;
  }));
  if (!out.is_truncated) out.next_marker.clear();
  return out;
}

base::Result<ListVersionsResult> ErasureSet::ListObjectVersions(
    std::string_view bucket, const ListVersionsOptions& options) {
  COFFER_RETURN_IF_ERROR(core_->ReadBucket(bucket));
  ListVersionsResult out;
  std::uint32_t count = 0;
  KeyWalker walker(*core_, bucket, options.prefix, /*exact=*/false);
  // With a version id marker, the marker's key still has versions to list.
  walker.StartAfter(options.key_marker, /*inclusive=*/!options.version_id_marker.empty());
  COFFER_RETURN_IF_ERROR(walker.Run([&](const std::string& key) {
    const std::string cp = CommonPrefix(key, options.prefix, options.delimiter);
    if (!cp.empty() && options.key_marker.starts_with(cp)) {
      walker.SkipPrefix(cp);
      return KeyWalker::Step::kNext;
    }
    const Resolved r = core_->Resolve(bucket, key);
    if (r.versions.empty()) return KeyWalker::Step::kNext;
    if (!cp.empty()) {
      if (count == options.max_keys) {
        out.is_truncated = true;
        return KeyWalker::Step::kStop;
      }
      out.common_prefixes.push_back(cp);
      out.next_key_marker = cp;
      out.next_version_id_marker.clear();
      ++count;
      walker.SkipPrefix(cp);
      return KeyWalker::Step::kNext;
    }
    bool skipping = key == options.key_marker;
    for (std::size_t i = 0; i < r.versions.size(); ++i) {
      const ObjectVersion& v = r.versions[i].version;
      if (skipping) {
        if (PublicVersionId(v.version_id) == options.version_id_marker) skipping = false;
        continue;
      }
      if (count == options.max_keys) {
        out.is_truncated = true;
        return KeyWalker::Step::kStop;
      }
      out.versions.push_back(ToObjectInfo(bucket, key, v, i == 0));
      out.next_key_marker = key;
      out.next_version_id_marker = PublicVersionId(v.version_id);
      ++count;
    }
    return KeyWalker::Step::kNext;
  }));
  if (!out.is_truncated) {
    out.next_key_marker.clear();
    out.next_version_id_marker.clear();
  }
  return out;
}

}  // namespace coffer::core::storage
