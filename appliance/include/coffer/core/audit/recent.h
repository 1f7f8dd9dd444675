#pragma once
// The recent audit entries: a bounded in-memory ring of the last committed
// audit entries (requests, admin API calls, config changes, key operations),
// newest first, for the admin API's audit log endpoint and the console's
// live tail. Entries are kept exactly as they went to the audit targets
// (already redacted: no secrets). Bounded by a count and a byte budget; the
// oldest entries fall out first. Each entry gets a sequence number, so a
// poller asks for "entries after N" and sees each entry once.
//
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"

namespace coffer::core::audit {

// Parses an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)),
// as audit entries carry it and API callers send it. Nullopt when malformed.
std::optional<base::WallTime> ParseRfc3339(std::string_view text);

struct RecentAuditOptions {
  std::size_t max_entries = 10000;
  std::size_t max_bytes = 16u << 20;  // Sum of the entries' JSON sizes.
};

// A search over the recent entries. Empty strings and nullopts match all.
struct RecentAuditQuery {
  std::string user;    // accessKey or parentUser equals this.
  std::string bucket;  // api.bucket equals this.
  std::string api;     // api.name equals this.
  // api.statusCode: "200", or a class "2xx"/"4xx"/"5xx", or "error" (>= 400)
  // or "success" (< 400).
  std::string status;
  std::optional<base::WallTime> since;  // time >= since.
  std::optional<base::WallTime> until;  // time < until.
  std::uint64_t after = 0;              // Only entries with seq > after (live tail).
  std::optional<std::uint64_t> before;  // Only entries with seq < before (paging back).
  std::size_t limit = 100;              // At most this many, newest first.
};

struct RecentAuditEntry {
  std::uint64_t seq = 0;  // 1, 2, ... in commit order.
  std::string json;       // The entry as the targets got it.
};

struct RecentAuditPage {
  std::vector<RecentAuditEntry> entries;  // Newest first.
  std::uint64_t latest_seq = 0;           // The newest seq kept (0: none yet).
  std::uint64_t oldest_seq = 0;           // The oldest seq kept (0: none).
};

class RecentAuditLog {
 public:
  explicit RecentAuditLog(RecentAuditOptions options = {});
  RecentAuditLog(const RecentAuditLog&) = delete;
  RecentAuditLog& operator=(const RecentAuditLog&) = delete;

  // Keeps one entry (an audit entry's JSON). An entry that is not a JSON
  // object is kept with empty index fields (it still shows in the tail). An
  // entry larger than max_bytes is not kept.
  void Add(std::string_view entry_json);

  // The entries matching `query`, newest first.
  RecentAuditPage Find(const RecentAuditQuery& query) const;

  std::size_t size() const;
  std::size_t bytes() const;

  // One kept entry and its index fields (public for the .cc's reader only).
  struct Item {
    std::uint64_t seq = 0;
    std::string json;
    std::string access_key;
    std::string parent_user;
    std::string bucket;
    std::string api;
    unsigned status = 0;
    std::optional<base::WallTime> time;
  };

 private:
  static bool Matches(const Item& item, const RecentAuditQuery& query);

  const RecentAuditOptions options_;
  mutable std::mutex mu_;
  std::deque<Item> items_;  // Oldest first. GUARDED_BY(mu_)
  std::size_t bytes_ = 0;   // GUARDED_BY(mu_)
  std::uint64_t next_seq_ = 1;
};

}  // namespace coffer::core::audit
