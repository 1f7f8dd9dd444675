#pragma once
// The durable spool of one audit target: an append-only log of records
// (record.h) in segment files, a delivery cursor, and the undelivered
// records kept in memory for the deliverer.
//
// Append() returns once the record is durable (written and fdatasync'ed).
// Concurrent appenders share fsyncs (group commit): the first waiting caller
// writes and syncs everything queued so far, the others wait for it.
//
// Recovery (Open) reads every segment, keeps each one's valid prefix and
// drops a torn tail: bytes whose write never finished, hence never
// acknowledged to anyone. Records at or below the cursor were delivered and
// are skipped; new records always go to a fresh segment, so a torn tail is
// never followed by good records in the same file.
//
// Capacity: at most `queue_size` records undelivered (queued + being written
// + reserved), and the folder's file system must keep `min_free_bytes` free.
// Reserve() claims room for one record before the operation it audits runs,
// so a full spool refuses the operation instead of losing its record.
//
// Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/audit/record.h"
#include "coffer/env/audit_sink.h"

namespace coffer::core::audit {

struct SpoolOptions {
  std::size_t queue_size = 10000;              // Undelivered records at most.
  std::uint64_t segment_size_bytes = 8 << 20;  // A new segment past this size.
  std::uint64_t min_free_bytes = 1 << 20;      // Refuse below this much free disk.
};

struct SpoolRecovery {
  std::size_t segments = 0;
  std::size_t records = 0;     // Undelivered records found.
  std::size_t torn_bytes = 0;  // Dropped torn tails, all segments.
  std::uint64_t cursor = 0;    // Delivered through this sequence number.
};

class Spool {
 public:
  // Opens the spool in `dir`, recovering what a previous run left. Errors:
  // the folder cannot be listed or read (kUnavailable), a cursor file that is
  // not a number (kDataLoss).
  static base::Result<std::unique_ptr<Spool>> Open(std::unique_ptr<env::SpoolDir> dir,
                                                   const SpoolOptions& options);

  // Claims room for one record. kResourceExhausted when `queue_size` records
  // are undelivered or the disk is (nearly) full.
  base::Status Reserve();
  // Returns a reservation that will not be used.
  void Unreserve();

  // Appends one record and returns its sequence number once durable.
  // `reserved`: the caller holds a reservation, which this consumes (even on
  // error). Without one, kResourceExhausted when the spool is full. Errors
  // from the drive pass through (kResourceExhausted: disk full).
  base::Result<std::uint64_t> Append(std::string payload, bool reserved);
  // Appends `payloads` in order as one group and returns once all are
  // durable, ignoring `queue_size`: for records that were already durable
  // elsewhere (another spool of the same target), which must not be dropped.
  // Errors from the drive pass through.
  base::Status AppendAll(std::vector<std::string> payloads);

  // Up to `max` durable, undelivered records, oldest first (copies).
  std::vector<SpoolRecord> Peek(std::size_t max) const;
  // Marks every record up to `seq` delivered: persists the cursor, forgets
  // the records and removes segments that hold nothing undelivered.
  base::Status Ack(std::uint64_t seq);

  std::size_t queued() const;  // Durable and undelivered.
  // Changes the capacity (a reconfigured target); applies to the next Reserve().
  void set_queue_size(std::size_t n) { queue_size_.store(n); }
  std::uint64_t cursor() const;
  const SpoolRecovery& recovery() const { return recovery_; }

 private:
  struct Segment {
    std::string name;
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // 0 while empty.
    std::uint64_t size_bytes = 0;
  };

  Spool(std::unique_ptr<env::SpoolDir> dir, const SpoolOptions& options)
      : dir_(std::move(dir)), options_(options), queue_size_(options.queue_size) {}
  base::Status Recover();
  struct FailedRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    base::Error error;
  };
  // Writes and syncs `buffer`, starting a new segment named after `first`
  // when `roll`; the leader of a group, outside the lock.
  base::Status WriteGroup(const std::string& buffer, std::uint64_t first, bool roll);
  void LeadOneGroup(std::unique_lock<std::mutex>& lock);
  void RemoveDeliveredSegmentsLocked();
  bool FullLocked() const;

  std::unique_ptr<env::SpoolDir> dir_;
  const SpoolOptions options_;
  SpoolRecovery recovery_;
  std::atomic<std::size_t> queue_size_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t next_seq_ = 1;     // GUARDED_BY(mu_)
  std::uint64_t cursor_ = 0;       // GUARDED_BY(mu_)
  std::size_t reserved_ = 0;       // GUARDED_BY(mu_)
  std::deque<SpoolRecord> queue_;  // Durable, undelivered. GUARDED_BY(mu_)
  // The group being gathered: encoded bytes and the records.
  std::string pending_bytes_;         // GUARDED_BY(mu_)
  std::vector<SpoolRecord> pending_;  // GUARDED_BY(mu_)
  bool writing_ = false;              // A leader is writing. GUARDED_BY(mu_)
  std::uint64_t done_through_ = 0;    // Every seq <= this is settled. GUARDED_BY(mu_)
  std::size_t writing_records_ = 0;   // In the group being written. GUARDED_BY(mu_)
  // Groups that failed, newest last (trimmed: waiters look right away).
  std::deque<FailedRange> failed_;  // GUARDED_BY(mu_)
  // Segments oldest first; the last one is written (only by the leader).
  std::deque<Segment> segments_;  // GUARDED_BY(mu_)
  bool segment_open_ = false;     // segments_.back() is being appended to. GUARDED_BY(mu_)
  std::unique_ptr<env::AppendFile> current_;  // Touched by the leader only.
};

}  // namespace coffer::core::audit
