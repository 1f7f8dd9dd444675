// Key compromise (threat row 3): the key service's keys are rotated, stored
// objects are rewrapped to the newest version (`coffer kms rewrap`), and old
// versions are destroyed (`coffer kms prune`) as after a suspected leak.
// The rules: an object opens exactly while the key version its data key is
// sealed under exists; rewrap moves it to the newest version. Invariants:
//
//   readable-while-version-exists   an object whose sealing version exists
//                                   reads back byte for byte;
//   refused-after-version-destroyed an object whose only sealing version was
//                                   destroyed is refused (never any bytes of
//                                   it).

#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/rewrap.h"
#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

constexpr const char* kConfig = R"([key_service]
address = "in-process"
create_keys = ["app-key"]

[buckets.keys]
)";

struct Stored {
  std::string body;
  std::string key_name;  // The key service key its data key is sealed under.
  std::uint32_t version = 1;
};

class Rotation final : public Workload {
 public:
  void Setup(World& world, SeededRandom&, StepLog& log) override {
    (void)world.keys().CreateKey("app-key");
    CommitAndReconcile(world, {{"buckets.toml", kConfig}});
    auto engine = core::sse::Engine::Create(world.env().random().LibCtx());
    log.Check(engine.has_value(), "readable-while-version-exists", "no SSE engine");
    if (engine) engine_ = std::move(engine).value();
    for (const std::string& k : {std::string("app-key"), world.options().sse_master_key}) {
      version_[k] = 1;
      oldest_[k] = 1;
    }
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    const std::uint64_t roll = rng.Uniform(0, 99);
    if (roll < 35 || objects_.empty()) {
      Write(world, rng, log);
    } else if (roll < 75) {
      Read(world, rng, log);
    } else if (roll < 85) {
      Rotate(world, rng, log);
    } else if (roll < 93) {
      Rewrap(world, log);
    } else {
      Prune(world, rng, log);
    }
    Advance(world, std::chrono::seconds(rng.Uniform(1, 30)));
  }

 private:
  std::string KeyFor(World& world, SeededRandom& rng) {
    return rng.Chance(0.5) ? "app-key" : world.options().sse_master_key;
  }

  void Write(World& world, SeededRandom& rng, StepLog& log) {
    const std::string key = KeyFor(world, rng);
    const std::string target = "/keys/o" + std::to_string(rng.Uniform(0, 29));
    std::string body =
        Body(rng, rng.Chance(0.5) ? rng.Uniform(16, 4000) : rng.Uniform(5000, 90000));
    Request req = Put(target, body);
    if (key == "app-key") {
      req.headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
      req.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", "app-key");
    } else {
      req.headers.emplace_back("x-amz-server-side-encryption", "AES256");
    }
    Reply r = world.Send(std::move(req));
    log.Event("PUT " + target + " under " + key + " v" + std::to_string(version_[key]) + " -> " +
              std::to_string(r.status));
    log.Check(r.ok(), "readable-while-version-exists",
              "a PUT under " + key + " answered " + std::to_string(r.status) + " " + r.Code());
    if (r.ok()) objects_[target] = {std::move(body), key, version_[key]};
  }

  void Read(World& world, SeededRandom& rng, StepLog& log) {
    auto it = objects_.begin();
    std::advance(it, static_cast<long>(rng.Uniform(0, objects_.size() - 1)));
    const auto& [target, o] = *it;
    Reply r = world.Send(Get(target));
    const bool exists = o.version >= oldest_[o.key_name];
    log.Event("GET " + target + " (" + o.key_name + " v" + std::to_string(o.version) +
              (exists ? "" : ", destroyed") + ") -> " + std::to_string(r.status));
    if (exists) {
      log.Check(r.ok() && r.body == o.body, "readable-while-version-exists",
                "GET " + target + " sealed under " + o.key_name + " v" + std::to_string(o.version) +
                    " answered " + std::to_string(r.status) + " " + r.Code());
      log.Count("read.ok");
    } else {
      log.Check(!r.ok() && r.body.find(o.body.substr(0, 16)) == std::string::npos,
                "refused-after-version-destroyed",
                "GET " + target + " was served although " + o.key_name + " v" +
                    std::to_string(o.version) + " was destroyed");
      log.Count("read.refused");
    }
  }

  void Rotate(World& world, SeededRandom& rng, StepLog& log) {
    const std::string key = KeyFor(world, rng);
    auto info = world.keys().RotateKey(key);
    log.Check(info.has_value() && info->latest_version == version_[key] + 1,
              "readable-while-version-exists", "rotating " + key + " did not add a version");
    if (info) version_[key] = info->latest_version;
    log.Event("rotate " + key + " -> v" + std::to_string(version_[key]));
    log.Count("rotate");
  }

  void Rewrap(World& world, StepLog& log) {
    if (!engine_) return;
    auto report = core::sse::RewrapObjects(world.objects(), *engine_, world.keys(), "keys");
    log.Event("rewrap: " + (report ? std::to_string(report->rewrapped) + " rewrapped, " +
                                         std::to_string(report->failures.size()) + " failed"
                                   : report.error().message()));
    if (!report) return;
    // Every object still openable is now sealed under its key's newest version.
    for (auto& [target, o] : objects_) {
      if (o.version >= oldest_[o.key_name]) o.version = version_[o.key_name];
    }
    log.Count("rewrap");
  }

  void Prune(World& world, SeededRandom& rng, StepLog& log) {
    const std::string key = KeyFor(world, rng);
    auto info = world.local_keys().PruneOldVersions(key);
    log.Event("prune " + key + " below v" + std::to_string(version_[key]) + ": " +
              (info ? "ok" : info.error().message()));
    if (info) oldest_[key] = version_[key];
    log.Count("prune");
  }

  std::unique_ptr<core::sse::Engine> engine_;
  std::map<std::string, std::uint32_t> version_;  // Newest version per key.
  std::map<std::string, std::uint32_t> oldest_;   // Oldest version not destroyed.
  std::map<std::string, Stored> objects_;
};

}  // namespace

std::unique_ptr<Workload> MakeRotation() { return std::make_unique<Rotation>(); }

}  // namespace coffer::sim::workloads
