#pragma once
// The audit seams in the simulator: spool folders on a simulated disk whose
// appends are durable only once synced (a crash loses the rest), with the
// disk's write faults; and webhook targets that deliver to a simulated
// receiver that can be up, down or slow, after a virtual-time latency.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "coffer/env/audit_sink.h"
#include "coffer/sim/sim_env.h"

namespace coffer::sim {

// What the receiving end of the webhooks saw. Shared by every sink.
struct SimReceiver {
  enum class Mode { kUp, kDown, kSlow };
  Mode mode = Mode::kUp;
  std::multiset<std::string> delivered;  // Request IDs, once per delivery.
  std::uint64_t batches = 0;
  std::uint64_t refused = 0;
};

class SimAuditPeers final : public env::AuditPeers {
 public:
  // Spools live on the disk `disk_name` of `env`.
  SimAuditPeers(SimEnv& env, std::shared_ptr<SimReceiver> receiver,
                std::string disk_name = "audit");

  base::Result<std::unique_ptr<env::AuditSink>> OpenWebhook(
      const env::WebhookTargetConfig& config) override;
  base::Result<std::unique_ptr<env::AuditSink>> OpenFile(
      const env::FileTargetConfig& config) override;
  base::Result<std::unique_ptr<env::SpoolDir>> OpenSpoolDir(std::string_view path) override;

 private:
  SimEnv& env_;
  std::shared_ptr<SimReceiver> receiver_;
  std::string disk_name_;
};

}  // namespace coffer::sim
