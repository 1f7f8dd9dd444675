#pragma once
// The audit log: the set of audit targets (webhooks and files from the
// config repo), each with its durable spool and its deliverer.
//
// Every entry goes to every enabled target. An entry is durable in each
// target's spool before Commit() returns; delivery follows asynchronously,
// in spool order, at least once (the request ID is the idempotency key),
// one batch in flight per target, retried with exponential backoff and
// jitter on the env Scheduler.
//
// Full spools. Each target has a mode:
//   strict (the default): Begin() refuses (kResourceExhausted) when the
//     target's spool has no room, so the caller refuses the operation
//     before it changes anything, and Commit() fails when the record cannot
//     be made durable, so the caller withholds the response;
//   best-effort: the entry is dropped for that target and counted.
//
// Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/audit/recent.h"
#include "coffer/core/audit/spool.h"
#include "coffer/env/audit_sink.h"
#include "coffer/env/env.h"

namespace coffer::state {
class Snapshot;
}

namespace coffer::core::audit {

enum class FullMode { kStrict, kBestEffort };

struct TargetConfig {
  enum class Kind { kWebhook, kFile };
  Kind kind = Kind::kWebhook;
  std::string name;
  env::WebhookTargetConfig webhook;  // For kWebhook.
  env::FileTargetConfig file;        // For kFile.
  std::string queue_dir;             // The spool folder.
  std::size_t queue_size = 10000;    // Undelivered entries at most.
  std::size_t batch_size = 100;      // Entries per delivery at most.
  FullMode mode = FullMode::kStrict;
  std::uint64_t min_free_bytes = 1 << 20;

  // "webhook:NAME" or "file:NAME": a target's identity across reconfigures.
  std::string Id() const;
};

// The enabled targets of a snapshot's [audit.webhook.*] and [audit.file.*]
// settings. A target without queue_dir spools under `spool_root`/<kind>-<name>.
// Settings that cannot be used (a bad mode) are reported in `errors` and the
// target keeps the safe default (strict).
std::vector<TargetConfig> TargetsFromSnapshot(const state::Snapshot& snapshot,
                                              const std::string& spool_root,
                                              std::vector<std::string>& errors);

struct AuditLogOptions {
  std::string deployment_id;
  std::chrono::milliseconds retry_min{200};
  std::chrono::milliseconds retry_max{30000};
  // Where the log remembers each target's last queue_dir ("" = nowhere), so
  // a queue_dir changed while the appliance was down is still drained.
  std::string state_dir = {};
  // Also keeps every committed entry in memory for the admin API's audit log
  // (null: nowhere). Fed even when no target is configured.
  std::shared_ptr<RecentAuditLog> recent = nullptr;
};

struct TargetStats {
  std::string id;
  std::uint64_t delivered = 0;  // Entries acknowledged by the target.
  std::uint64_t failed = 0;     // Failed delivery attempts.
  std::uint64_t dropped = 0;    // Entries dropped (best-effort, spool full).
  std::uint64_t refused = 0;    // Operations refused (strict, spool full).
  std::uint64_t queued = 0;     // Durable, not yet delivered.
  std::uint64_t latency_count = 0;
  std::chrono::nanoseconds latency_sum{0};  // Of successful deliveries.
  std::string last_error;
};

class AuditLog {
 public:
  AuditLog(env::Env& env, env::AuditPeers& peers, AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Makes the targets `targets`: opens (and recovers) new ones, reconfigures
  // changed ones (a new endpoint or token applies to the next delivery),
  // stops removed ones (their spool stays on disk). A target whose queue_dir
  // changed (now, or since the state_dir last recorded it) keeps its
  // undelivered entries: they move into the new spool, ahead of new ones.
  // Returns one message per target that could not be opened (it is left
  // out) or whose old entries could not be moved.
  std::vector<std::string> Configure(const std::vector<TargetConfig>& targets);

  struct Target;  // Private to the .cc.

  // Room reserved in every target's spool for one entry; released on
  // destruction unless committed. Movable.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&&) = default;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class AuditLog;
    std::vector<std::shared_ptr<Target>> reserved_;
  };

  // Reserves room for one entry in every target. kResourceExhausted when a
  // strict target's spool is full (nothing stays reserved then).
  base::Result<Ticket> Begin();
  // Makes `entry` (JSON) durable in every target reserved by `ticket` and
  // starts delivery. Error when a strict target could not store it.
  base::Status Commit(Ticket& ticket, std::string entry);
  // Appends without a reservation (config changes, key operations).
  base::Status Record(std::string entry);

  const std::string& deployment_id() const { return options_.deployment_id; }
  // Per target, sorted by id.
  std::vector<TargetStats> Stats() const;

 private:
  void Kick(const std::shared_ptr<Target>& target);
  std::vector<std::shared_ptr<Target>> Current() const;
  // Moves the entries of `id`'s previous queue_dir (as recorded in
  // state_dir) into `spool`, when it was elsewhere.
  void AdoptPreviousSpool(const std::string& id, const std::string& queue_dir, Spool& spool,
                          std::vector<std::string>& errors);
  void SaveQueueDirs();  // Called with mu_ held.

  env::Env& env_;
  env::AuditPeers& peers_;
  const AuditLogOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Target>> targets_;  // By id. GUARDED_BY(mu_)
  std::string saved_queue_dirs_;                            // GUARDED_BY(mu_)
};

}  // namespace coffer::core::audit
