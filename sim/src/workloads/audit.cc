// Missing audit trail (threat row 7): requests are served while the webhook
// target is up, down or slow, the spool's disk fails writes or fills up, and
// the appliance crashes and starts again. Invariants:
//
//   acknowledged-is-durable   when a client sees a request succeed, its audit
//                             record is already durable (synced to the spool)
//                             or delivered;
//   delivered-at-least-once   once the target is back and the spool drained,
//                             every acknowledged request's record has reached
//                             the target at least once, crashes included.

#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

constexpr const char* kConfig = "[buckets.logged]\n";

class AuditTrail final : public Workload {
 public:
  void Setup(World& world, SeededRandom&, StepLog& log) override {
    CommitAndReconcile(world, {{"buckets.toml", kConfig}});
    log.Event("setup: bucket logged, one strict webhook target");
  }

  void Restarted(World& world, StepLog& log) override {
    CommitAndReconcile(world, {{"buckets.toml", kConfig}});
    log.Event("restarted");
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    SimReceiver& receiver = *world.options().audit_receiver;
    const std::uint64_t roll = rng.Uniform(0, 99);
    if (roll < 70) {
      Request req = rng.Chance(0.6)
                        ? Put("/logged/k" + std::to_string(rng.Uniform(0, 19)), Body(rng, 100))
                        : Get("/logged/k" + std::to_string(rng.Uniform(0, 19)));
      Reply r = world.Send(std::move(req));
      if (r.ok()) {
        acknowledged_.push_back(r.request_id);
        log.Check(Durable(world, receiver, r.request_id), "acknowledged-is-durable",
                  r.request_id + " was acknowledged before its record was durable");
        log.Count("acknowledged");
      } else {
        log.Count(r.status == 503 ? "refused.503" : "not-acknowledged");
      }
    } else if (roll < 85) {
      static const std::vector<SimReceiver::Mode> modes = {
          SimReceiver::Mode::kUp, SimReceiver::Mode::kDown, SimReceiver::Mode::kSlow};
      receiver.mode = Pick(rng, modes);
      log.Event(std::string("receiver ") + (receiver.mode == SimReceiver::Mode::kUp     ? "up"
                                            : receiver.mode == SimReceiver::Mode::kDown ? "down"
                                                                                        : "slow"));
    } else if (roll < 92) {
      log.RequestCrash();
    }
    Advance(world, std::chrono::milliseconds(rng.Uniform(10, 3000)));
  }

  void Finish(World& world, StepLog& log) override {
    SimReceiver& receiver = *world.options().audit_receiver;
    receiver.mode = SimReceiver::Mode::kUp;
    // Retries back off up to 5 s: a few virtual minutes drain everything.
    Advance(world, std::chrono::minutes(5));
    std::uint64_t missing = 0;
    std::string first;
    for (const std::string& id : acknowledged_) {
      if (!receiver.delivered.contains(id)) {
        if (missing++ == 0) first = id;
      }
    }
    log.Check(missing == 0, "delivered-at-least-once",
              std::to_string(missing) + " of " + std::to_string(acknowledged_.size()) +
                  " acknowledged requests never reached the target, first " + first);
    log.Count("delivered", receiver.delivered.size());
  }

 private:
  // Synced in the spool, or already delivered.
  static bool Durable(World& world, const SimReceiver& receiver, const std::string& id) {
    if (receiver.delivered.contains(id)) return true;
    auto disk = world.env().Disk("audit");
    if (disk == nullptr) return false;
    for (const auto& [path, bytes] : disk->files) {
      if (bytes.find("\"" + id + "\"") != std::string::npos) return true;
    }
    return false;
  }

  std::vector<std::string> acknowledged_;
};

}  // namespace

std::unique_ptr<Workload> MakeAudit() { return std::make_unique<AuditTrail>(); }

}  // namespace coffer::sim::workloads
