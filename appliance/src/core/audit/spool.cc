#include "coffer/core/audit/spool.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <utility>

#include "coffer/base/assert.h"
#include "coffer/base/bytes.h"

namespace coffer::core::audit {
namespace {

constexpr std::string_view kCursorFile = "cursor";
constexpr std::string_view kSegmentSuffix = ".seg";
constexpr std::size_t kMaxFailedRanges = 64;

std::string SegmentName(std::uint64_t first) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu", static_cast<unsigned long long>(first));
  return std::string(name) + std::string(kSegmentSuffix);
}

bool IsSegmentName(std::string_view name) {
  return name.size() > kSegmentSuffix.size() &&
         name.substr(name.size() - kSegmentSuffix.size()) == kSegmentSuffix;
}

bool ParseU64(std::string_view text, std::uint64_t& out) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

base::Result<std::unique_ptr<Spool>> Spool::Open(std::unique_ptr<env::SpoolDir> dir,
                                                 const SpoolOptions& options) {
  COFFER_ASSERT(dir != nullptr);
  std::unique_ptr<Spool> spool(new Spool(std::move(dir), options));
  COFFER_RETURN_IF_ERROR(spool->Recover());
  return spool;
}

base::Status Spool::Recover() {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> names, dir_->List());
  if (std::find(names.begin(), names.end(), kCursorFile) != names.end()) {
    COFFER_ASSIGN_OR_RETURN(std::string text, dir_->ReadAll(kCursorFile));
    if (!ParseU64(text, cursor_)) return base::DataLoss("audit spool cursor is not a number");
  }
  next_seq_ = cursor_ + 1;
  for (const std::string& name : names) {
    if (!IsSegmentName(name)) continue;
    std::uint64_t first = 0;
    if (!ParseU64(std::string_view(name).substr(0, name.size() - kSegmentSuffix.size()), first)) {
      continue;
    }
    COFFER_ASSIGN_OR_RETURN(std::string data, dir_->ReadAll(name));
    DecodedSegment decoded = DecodeSegment(data);
    recovery_.segments++;
    recovery_.torn_bytes += decoded.torn_bytes;
    Segment segment{name, first, 0, decoded.valid_bytes};
    for (SpoolRecord& record : decoded.records) {
      segment.last = record.seq;
      next_seq_ = std::max(next_seq_, record.seq + 1);
      // Records of an older segment never follow a newer one's; skip
      // anything out of order rather than deliver it twice.
      if (record.seq <= cursor_ || (!queue_.empty() && record.seq <= queue_.back().seq)) continue;
      queue_.push_back(std::move(record));
    }
    segments_.push_back(std::move(segment));
  }
  recovery_.records = queue_.size();
  recovery_.cursor = cursor_;
  done_through_ = next_seq_ - 1;
  RemoveDeliveredSegmentsLocked();
  return base::Ok();
}

bool Spool::FullLocked() const {
  return queue_.size() + pending_.size() + writing_records_ + reserved_ >= queue_size_.load();
}

base::Status Spool::Reserve() {
  // SECURITY: checked before the operation runs, so a full spool refuses
  // the operation rather than performing it without a record.
  auto free_bytes = dir_->FreeBytes();
  if (free_bytes.has_value() && *free_bytes < options_.min_free_bytes) {
    return base::ResourceExhausted("audit spool disk is full");
  }
  std::lock_guard lock(mu_);
  if (FullLocked()) return base::ResourceExhausted("audit spool is full");
  reserved_++;
  return base::Ok();
}

void Spool::Unreserve() {
  std::lock_guard lock(mu_);
  COFFER_ASSERT(reserved_ > 0);
  reserved_--;
}

base::Result<std::uint64_t> Spool::Append(std::string payload, bool reserved) {
  std::unique_lock lock(mu_);
  if (reserved) {
    COFFER_ASSERT(reserved_ > 0);
    reserved_--;
  } else if (FullLocked()) {
    return base::ResourceExhausted("audit spool is full");
  }
  const std::uint64_t seq = next_seq_++;
  EncodeRecord(seq, payload, pending_bytes_);
  pending_.push_back({seq, std::move(payload)});
  while (done_through_ < seq) {
    if (!writing_) {
      LeadOneGroup(lock);
    } else {
      cv_.wait(lock);
    }
  }
  for (const FailedRange& failed : failed_) {
    if (seq >= failed.first && seq <= failed.last) return failed.error;
  }
  return seq;
}

base::Status Spool::AppendAll(std::vector<std::string> payloads) {
  if (payloads.empty()) return base::Ok();
  std::unique_lock lock(mu_);
  const std::uint64_t first = next_seq_;
  for (std::string& payload : payloads) {
    const std::uint64_t seq = next_seq_++;
    EncodeRecord(seq, payload, pending_bytes_);
    pending_.push_back({seq, std::move(payload)});
  }
  const std::uint64_t last = next_seq_ - 1;
  while (done_through_ < last) {
    if (!writing_) {
      LeadOneGroup(lock);
    } else {
      cv_.wait(lock);
    }
  }
  for (const FailedRange& failed : failed_) {
    if (failed.last >= first && failed.first <= last) return failed.error;
  }
  return base::Ok();
}

// Group commit: the caller takes everything gathered so far, writes and
// syncs it with the lock released, and wakes the others.
void Spool::LeadOneGroup(std::unique_lock<std::mutex>& lock) {
  writing_ = true;
  std::string bytes = std::move(pending_bytes_);
  pending_bytes_.clear();
  std::vector<SpoolRecord> records = std::move(pending_);
  pending_.clear();
  COFFER_ASSERT(!records.empty());
  writing_records_ = records.size();
  const std::uint64_t first = records.front().seq;
  const std::uint64_t last = records.back().seq;
  const bool roll = !segment_open_ || segments_.empty() ||
                    segments_.back().size_bytes >= options_.segment_size_bytes;
  lock.unlock();
  base::Status written = WriteGroup(bytes, first, roll);
  lock.lock();
  // current_ is the leader's alone; it is non-null here when the file exists.
  const bool created = roll && current_ != nullptr;
  if (created) segments_.push_back({SegmentName(first), first, 0, 0});
  if ((!roll || created) && !segments_.empty()) {
    segments_.back().last = last;
    segments_.back().size_bytes += bytes.size();
  }
  segment_open_ = written.has_value();
  if (written.has_value()) {
    for (SpoolRecord& record : records) queue_.push_back(std::move(record));
  } else {
    // The file may now end in a torn record: the next group starts a new
    // segment so no good record ever follows it.
    current_.reset();
    failed_.push_back({first, last, written.error()});
    if (failed_.size() > kMaxFailedRanges) failed_.pop_front();
  }
  writing_records_ = 0;
  done_through_ = last;
  writing_ = false;
  cv_.notify_all();
}

base::Status Spool::WriteGroup(const std::string& buffer, std::uint64_t first, bool roll) {
  if (roll) {
    current_.reset();
    COFFER_ASSIGN_OR_RETURN(current_, dir_->Create(SegmentName(first)));
  }
  COFFER_RETURN_IF_ERROR(current_->Append(base::AsBytes(buffer)));
  return current_->Sync();
}

std::vector<SpoolRecord> Spool::Peek(std::size_t max) const {
  std::lock_guard lock(mu_);
  std::vector<SpoolRecord> out;
  const std::size_t n = std::min(max, queue_.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(queue_[i]);
  return out;
}

base::Status Spool::Ack(std::uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    if (seq <= cursor_) return base::Ok();
    cursor_ = seq;
    while (!queue_.empty() && queue_.front().seq <= seq) queue_.pop_front();
  }
  const std::string text = std::to_string(seq) + "\n";
  COFFER_RETURN_IF_ERROR(dir_->WriteAtomic(kCursorFile, base::AsBytes(text)));
  std::lock_guard lock(mu_);
  RemoveDeliveredSegmentsLocked();
  return base::Ok();
}

void Spool::RemoveDeliveredSegmentsLocked() {
  // INVARIANT: the segment being appended to (the last one, while current_
  // is open) is never removed.
  const std::size_t keep_last = segment_open_ ? 1 : 0;
  while (segments_.size() > keep_last && segments_.front().last <= cursor_) {
    (void)dir_->Remove(segments_.front().name);
    segments_.pop_front();
  }
}

std::size_t Spool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::uint64_t Spool::cursor() const {
  std::lock_guard lock(mu_);
  return cursor_;
}

}  // namespace coffer::core::audit
