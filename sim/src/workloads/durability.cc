// Durability (the threat model's "plus durability" row): objects are written
// and read while drives fail, rot, tear writes and fill up, and while the
// workload itself takes drives offline, flips bits in stored files and
// deletes them. Invariants:
//
//   never-wrong-bytes      a GET that answers 200 returns exactly the bytes of
//                          an acknowledged PUT of that key (or of a PUT that
//                          failed, which may have landed: old-or-new);
//   acknowledged-readable  an acknowledged object whose damage is within
//                          parity reads back. Damage counts conservatively:
//                          drives hurt since its last clean point (its PUT, or
//                          a heal that left it healthy), plus every
//                          destructive fault fired anywhere since, plus the
//                          read faults during the GET;
//   healed-redundancy      at the end, with every drive back, one heal leaves
//                          every object within parity readable (and an object
//                          heal calls healthy or healed is readable).

#include <array>
#include <set>

#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

struct Expected {
  std::vector<std::string> bodies;  // Acceptable contents: the last ack, plus failed PUTs after.
  bool acknowledged = false;
  std::set<int> hurt_drives;  // Drives damaged since the last acknowledged PUT.
  // Destructive faults (anywhere: a PUT, a heal, a background repair) that
  // had fired before its last clean point (acknowledged, or healed). Any
  // fired since may have hit this object: counted against it.
  std::uint64_t faults_at_clean = 0;
};

template <std::size_t N>
std::uint64_t Fired(World& world, const std::array<std::string_view, N>& points) {
  std::uint64_t n = 0;
  const auto& fired = world.env().sim_faults().fired();
  for (std::string_view p : points) {
    if (auto it = fired.find(p); it != fired.end()) n += it->second;
  }
  return n;
}

// Faults that can leave a stored file damaged or gone.
constexpr std::array<std::string_view, 5> kDestructive = {
    "drive.write.eio", "drive.write.torn", "drive.write.bitflip", "drive.full", "drive.vanish"};
// Faults that make one read fail.
constexpr std::array<std::string_view, 2> kReadFaults = {"drive.read.eio", "drive.vanish"};

class Durability final : public Workload {
 public:
  void Setup(World& world, SeededRandom&, StepLog& log) override {
    CommitAndReconcile(world, {{"buckets.toml", "[buckets.data]\n"}});
    log.Event("setup bucket data");
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    const std::uint64_t roll = rng.Uniform(0, 99);
    if (roll < 40) {
      PutOne(world, rng, log);
    } else if (roll < 80) {
      GetOne(world, rng, log);
    } else if (roll < 92) {
      Damage(world, rng, log);
    } else {
      Heal(world, log);
    }
    Advance(world, std::chrono::milliseconds(rng.Uniform(1, 2000)));
  }

  void Finish(World& world, StepLog& log) override {
    for (int d = 0; d < world.options().drives; ++d) Disk(world, d).offline = false;
    Heal(world, log);
    for (auto& [key, e] : objects_) {
      if (!e.acknowledged) continue;
      Reply r = world.Send(Get("/data/" + key));
      const bool matches = r.ok() && Acceptable(e, r.body);
      // After a heal with every drive back, an object is lost only if it was
      // damaged beyond parity before the heal.
      if (Damage(world, e) <= static_cast<std::uint64_t>(world.options().parity)) {
        log.Check(matches, "healed-redundancy",
                  "data/" + key + " answers " + std::to_string(r.status) + " after heal");
      } else {
        log.Check(!r.ok() || matches, "never-wrong-bytes", "data/" + key + " after heal");
      }
    }
  }

 private:
  static SimDisk& Disk(World& world, int d) {
    return *world.env().Disk("drive" + std::to_string(d));
  }

  static std::uint64_t Damage(World& world, const Expected& e) {
    return e.hurt_drives.size() + Fired(world, kDestructive) - e.faults_at_clean;
  }

  static bool Acceptable(const Expected& e, const std::string& body) {
    for (const auto& b : e.bodies) {
      if (b == body) return true;
    }
    return false;
  }

  void PutOne(World& world, SeededRandom& rng, StepLog& log) {
    const std::string key = "obj" + std::to_string(rng.Uniform(0, 24));
    // Mostly small (inline), some over several 64 KiB blocks.
    const std::size_t size = rng.Chance(0.3) ? rng.Uniform(4097, 300000) : rng.Uniform(0, 4096);
    std::string body = Body(rng, size);
    const std::uint64_t before = Fired(world, kDestructive);
    Reply r = world.Send(Put("/data/" + key, body));
    Expected& e = objects_[key];
    if (r.ok()) {
      e.bodies = {std::move(body)};
      e.acknowledged = true;
      // A drive that is offline now never got its shard.
      e.hurt_drives.clear();
      for (int d = 0; d < world.options().drives; ++d) {
        if (Disk(world, d).offline) e.hurt_drives.insert(d);
      }
      e.faults_at_clean = before;
      log.Count("put.acknowledged");
    } else {
      // Not acknowledged: it may or may not have landed.
      e.bodies.push_back(std::move(body));
      log.Count("put.failed");
    }
    log.Event("put data/" + key + " " + std::to_string(size) + " -> " + std::to_string(r.status));
  }

  void GetOne(World& world, SeededRandom& rng, StepLog& log) {
    if (objects_.empty()) return;
    auto it = objects_.begin();
    std::advance(it, static_cast<long>(rng.Uniform(0, objects_.size() - 1)));
    const auto& [key, e] = *it;
    const std::uint64_t before = Fired(world, kReadFaults);
    Reply r = world.Send(Get("/data/" + key));
    const std::uint64_t read_faults = Fired(world, kReadFaults) - before;
    log.Event("get data/" + key + " -> " + std::to_string(r.status));
    if (r.ok()) {
      log.Check(Acceptable(e, r.body), "never-wrong-bytes",
                "GET data/" + key + " returned " + std::to_string(r.body.size()) +
                    " bytes that no PUT wrote");
      log.Count("get.ok");
      return;
    }
    log.Count("get.failed");
    if (e.acknowledged && e.bodies.size() == 1 &&
        Damage(world, e) + read_faults <= static_cast<std::uint64_t>(world.options().parity)) {
      DumpObject(world, key, log);
      log.Check(false, "acknowledged-readable",
                "GET data/" + key + " answered " + std::to_string(r.status) + " " + r.Code() +
                    " with damage " + std::to_string(Damage(world, e)) + "+" +
                    std::to_string(read_faults));
    }
  }

  // What each drive holds of `key`, for the trace of a failing run.
  static void DumpObject(World& world, const std::string& key, StepLog& log) {
    std::string hex;
    for (unsigned char c : key) {
      static constexpr char kHex[] = "0123456789abcdef";
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    for (int d = 0; d < world.options().drives; ++d) {
      const SimDisk& disk = Disk(world, d);
      std::string line = "  drive" + std::to_string(d) + (disk.offline ? " (offline)" : "") + ":";
      for (const auto& [p, bytes] : disk.files) {
        if (p.find("/" + hex + "/") != std::string::npos) {
          line += " " + p.substr(p.find(hex) + hex.size() + 1) + "=" + std::to_string(bytes.size());
        }
      }
      log.Event(line);
    }
  }

  // Hurts one drive: offline, bit flips in a few files, or lost files.
  void Damage(World& world, SeededRandom& rng, StepLog& log) {
    const int d = static_cast<int>(rng.Uniform(0, world.options().drives - 1));
    SimDisk& disk = Disk(world, d);
    const std::uint64_t kind = rng.Uniform(0, 2);
    if (kind == 0) {
      disk.offline = !disk.offline;
      log.Event("drive" + std::to_string(d) + (disk.offline ? " offline" : " online"));
    } else if (!disk.files.empty()) {
      std::vector<std::string> paths;
      for (const auto& [p, bytes] : disk.files) {
        if (p.find("data/") != std::string::npos && !bytes.empty()) paths.push_back(p);
      }
      if (paths.empty()) return;
      for (int i = 0; i < 3; ++i) {
        const std::string& p = Pick(rng, paths);
        if (kind == 1) {
          FlipBitForTest(disk, p, rng.Uniform(0, disk.files[p].size() * 8 - 1));
        } else {
          TruncateForTest(disk, p, rng.Uniform(0, disk.files[p].size() - 1));
        }
      }
      log.Event("drive" + std::to_string(d) + (kind == 1 ? " bit rot" : " truncated files"));
    }
    for (auto& [key, e] : objects_) e.hurt_drives.insert(d);
    log.Count("damage");
  }

  void Heal(World& world, StepLog& log) {
    // A heal repairs from what is readable; an offline drive stays hurt.
    const std::uint64_t faults_before_heal = Fired(world, kDestructive);
    auto report = world.objects().HealAll({});
    log.Event("heal: " + (report ? std::to_string(report->healed) + " healed, " +
                                       std::to_string(report->unrecoverable) + " unrecoverable"
                                 : report.error().message()));
    if (!report) return;
    std::set<int> offline;
    for (int d = 0; d < world.options().drives; ++d) {
      if (Disk(world, d).offline) offline.insert(d);
    }
    for (const auto& o : report->objects) {
      if (o.bucket != "data") continue;
      static constexpr const char* kOutcomes[] = {"healthy", "healed", "would heal",
                                                  "unrecoverable", "failed"};
      std::string line = "  " + o.key + ": " + kOutcomes[static_cast<int>(o.outcome)];
      for (const auto& a : o.actions) line += "; " + a;
      log.Event(line);
      auto it = objects_.find(o.key);
      if (it == objects_.end()) continue;
      if (o.outcome == core::storage::HealOutcome::kHealthy ||
          o.outcome == core::storage::HealOutcome::kHealed) {
        it->second.hurt_drives = offline;
        it->second.faults_at_clean = faults_before_heal;
      }
    }
    log.Count("heal");
  }

  std::map<std::string, Expected> objects_;
};

}  // namespace

std::unique_ptr<Workload> MakeDurability() { return std::make_unique<Durability>(); }

}  // namespace coffer::sim::workloads
