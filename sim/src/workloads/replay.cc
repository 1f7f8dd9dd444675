// Replay attacks (threat row 8): an eavesdropper holds signed requests and
// presigned URLs a user sent, and sends them again later. Invariants:
//
//   expired-presign-refused   a presigned URL used after X-Amz-Expires is
//                             refused;
//   stale-signature-refused   a header-signed request replayed (or first
//                             sent) more than 15 minutes from the server's
//                             clock is refused, either way;
//   chunk-tamper-refused      an aws-chunked upload whose signed chunks are
//                             reordered, dropped, altered or cut short is
//                             refused and stores nothing;
//   fresh-request-served      the same requests inside their window are
//                             served (the attacks are refused for the right
//                             reason, not because nothing works).

#include "coffer/core/auth/signer.h"
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
    } else if (roll < 75) {
      ReplayOne(world, rng, log, now);
    } else if (roll < 85) {
      Streaming(world, rng, log, now);
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

  // An aws-chunked upload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) of three
  // signed chunks, sent as signed or with its chunks tampered with on the way.
  void Streaming(World& world, SeededRandom& rng, StepLog& log, base::WallTime now) {
    auto crypto = core::auth::Crypto::Create(world.env().random().LibCtx());
    if (!crypto) return;
    core::HttpRequest http;
    http.method = "PUT";
    const std::string key = "streamed" + std::to_string(rng.Uniform(0, 3));
    http.target = "/photos/" + key;
    http.secure = true;
    http.remote_address = "10.0.0.2:40000";
    http.headers.emplace_back("host", "coffer.sim:9000");
    const std::vector<std::string> pieces = {Body(rng, 9000), Body(rng, 9000), Body(rng, 500)};
    http.headers.emplace_back("content-encoding", "aws-chunked");
    http.headers.emplace_back("x-amz-decoded-content-length", "18500");
    core::auth::Signer signer(**crypto, {alice_.access_key, base::Secret(alice_.secret_key), ""},
                              {});
    auto info = signer.Sign(http, now, core::auth::kStreamingSignedPayload);
    if (!info) return;
    core::auth::ChunkSigner chunks(**crypto, info->streaming);
    std::vector<std::string> framed;
    for (const auto& p : pieces) framed.push_back(chunks.Chunk(p));
    framed.push_back(chunks.Final());
    static const std::vector<std::string> attacks = {"none", "reorder", "drop", "alter", "cut"};
    const std::string& attack = Pick(rng, attacks);
    if (attack == "reorder") {
      std::swap(framed[0], framed[1]);
    } else if (attack == "drop") {
      framed.erase(framed.begin() + 1);
    } else if (attack == "alter") {
      std::string& c = framed[rng.Uniform(0, 2)];
      const std::size_t at = c.find("\r\n") + 2 + rng.Uniform(0, 400);
      c[at] = static_cast<char>(c[at] ^ 0x20);
    } else if (attack == "cut") {
      framed.pop_back();  // No final chunk.
    }
    std::string wire;
    for (const auto& c : framed) wire += c;
    http.headers.emplace_back("content-length", std::to_string(wire.size()));
    Reply r = world.Replay(http, wire);
    log.Event("streamed PUT " + key + " (" + attack + ") -> " + std::to_string(r.status) + " " +
              r.Code());
    if (attack == "none") {
      log.Check(r.ok(), "fresh-request-served",
                "a correctly signed streaming upload answered " + std::to_string(r.status) + " " +
                    r.Code());
      stored_[key] = pieces[0] + pieces[1] + pieces[2];
      return;
    }
    log.Check(!r.ok(), "chunk-tamper-refused",
              "a streaming upload with its chunks " + attack + " was accepted");
    // Nothing of the tampered upload was stored: the key holds what it held.
    Reply check = world.Send(Get("/photos/" + key), As(alice_));
    const auto it = stored_.find(key);
    log.Check(it == stored_.end() ? !check.ok() : (check.ok() && check.body == it->second),
              "chunk-tamper-refused", "a refused streaming upload changed " + key);
    log.Count("chunks." + attack + ".refused");
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
  std::map<std::string, std::string> stored_;  // Streamed keys and their bytes.
};

}  // namespace

std::unique_ptr<Workload> MakeReplay() { return std::make_unique<Replay>(); }

}  // namespace coffer::sim::workloads
