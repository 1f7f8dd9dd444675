// Replay attacks (threat row 8): an eavesdropper holds signed requests and
// presigned URLs a user sent, and sends them again later. Invariants:
//
//   expired-presign-refused   a presigned URL used after X-Amz-Expires is
//                             refused;
//   stale-signature-refused   a header-signed request replayed (or first
//                             sent) more than 15 minutes from the server's
//                             clock is refused, either way;
//   fresh-request-served      the same requests inside their window are
//                             served (the attacks are refused for the right
//                             reason, not because nothing works).

#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

constexpr const char* kUsers = R"([users.alice]
secret = "env:ALICE_SECRET"
policies = ["readwrite"]

[buckets.photos]
)";

struct Captured {
  core::HttpRequest request;
  std::string body;
  base::WallTime signed_at;
  std::chrono::seconds presign_expires{0};  // 0: header-signed.
};

class Replay final : public Workload {
 public:
  void Setup(World& world, SeededRandom& rng, StepLog& log) override {
    CommitAndReconcile(world, {{"users.toml", kUsers}});
    alice_ = {"alice", SecretOf("alice"), ""};
    Reply r = world.Send(Put("/photos/cat.jpg", Body(rng, 100)), As(alice_));
    log.Check(r.ok(), "fresh-request-served", "alice's first PUT: " + std::to_string(r.status));
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    const base::WallTime now = world.env().clock().Now();
    const std::uint64_t roll = rng.Uniform(0, 99);
    if (roll < 35 || captured_.empty()) {
      Capture(world, rng, log, now);
    } else if (roll < 85) {
      ReplayOne(world, rng, log, now);
    } else {
      SkewedClient(world, rng, log, now);
    }
    // Time moves: seconds, sometimes most of an hour.
    Advance(world, rng.Chance(0.2) ? std::chrono::seconds(rng.Uniform(60, 3000))
                                   : std::chrono::seconds(rng.Uniform(1, 30)));
  }

 private:
  void Capture(World& world, SeededRandom& rng, StepLog& log, base::WallTime now) {
    Captured c;
    c.signed_at = now;
    SendOptions options = As(alice_);
    Request req = rng.Chance(0.5) ? Get("/photos/cat.jpg")
                                  : Put("/photos/p" + std::to_string(rng.Uniform(0, 9)),
                                        Body(rng, rng.Uniform(0, 64)));
    if (req.method == "GET" && rng.Chance(0.5)) {
      options.auth = Auth::kPresigned;
      options.presign_expires = std::chrono::seconds(rng.Uniform(1, 900));
      c.presign_expires = options.presign_expires;
    }
    c.body = req.body;
    Reply r = world.Send(std::move(req), options, &c.request);
    log.Event("alice " + c.request.method + " " + c.request.target.substr(0, 40) + " -> " +
              std::to_string(r.status));
    log.Check(r.ok(), "fresh-request-served",
              "a fresh request by alice answered " + std::to_string(r.status) + " " + r.Code());
    captured_.push_back(std::move(c));
    if (captured_.size() > 16) captured_.erase(captured_.begin());
  }

  void ReplayOne(World& world, SeededRandom& rng, StepLog& log, base::WallTime now) {
    const Captured& c = captured_[rng.Uniform(0, captured_.size() - 1)];
    Reply r = world.Replay(c.request, c.body);
    const auto age = now - c.signed_at;
    log.Event("replay of a request " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
              " s old -> " + std::to_string(r.status));
    if (c.presign_expires.count() > 0) {
      if (age > c.presign_expires) {
        log.Check(
            !r.ok(), "expired-presign-refused",
            "a presigned URL " + std::to_string(c.presign_expires.count()) + " s long was served " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                " s after signing");
      }
    } else if (age > std::chrono::minutes(15)) {
      log.Check(!r.ok(), "stale-signature-refused",
                "a header-signed request was served " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                    " s after signing");
    }
    log.Count(r.ok() ? "replay.served" : "replay.refused");
  }

  // A client whose clock is off by more than the allowed skew, either way.
  void SkewedClient(World& world, SeededRandom& rng, StepLog& log, base::WallTime now) {
    const auto skew = std::chrono::seconds(rng.Uniform(15 * 60 + 1, 6 * 3600));
    const base::WallTime at = rng.Chance(0.5) ? now + skew : now - skew;
    SendOptions options = As(alice_);
    options.signed_at = at;
    Reply r = world.Send(Get("/photos/cat.jpg"), options);
    log.Check(!r.ok(), "stale-signature-refused",
              "a request signed " + std::to_string(skew.count()) + " s off was served");
    log.Count("skewed.refused");
  }

  Credentials alice_;
  std::vector<Captured> captured_;
};

}  // namespace

std::unique_ptr<Workload> MakeReplay() { return std::make_unique<Replay>(); }

}  // namespace coffer::sim::workloads
