// Data exposure at rest (threat row 2): objects are written under each SSE
// mode (SSE-S3, SSE-KMS under a named key with an encryption context, SSE-C,
// and a bucket whose default is SSE-KMS), some small enough to be inlined in
// the metadata, some over several packages and blocks. An attacker who holds
// every raw drive (the erasure set's and the key service's) looks for them.
// Invariants:
//
//   no-plaintext-at-rest  no object's plaintext (nor any 32-byte window of it)
//                         appears on any drive;
//   no-key-at-rest        no SSE-C key (raw or base64) and not the key
//                         service's root key appears on any drive;
//   round-trip            every object reads back byte for byte with its key;
//                         an SSE-C object without its key, or with another,
//                         is refused.

#include "coffer/core/auth/crypto.h"
#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

constexpr const char* kConfig = R"([key_service]
address = "in-process"
create_keys = ["app-key"]

[buckets.vault]

[buckets.autokms]
encryption = "sse-kms"
kms_key = "app-key"
)";

struct Written {
  std::string target;
  std::string body;
  std::string mode;
  std::string ssec_key;  // Raw 32 bytes for SSE-C, else empty.
};

void AddSseC(Request& r, const std::string& key, bool copy_source = false) {
  const std::string prefix = copy_source ? "x-amz-copy-source-server-side-encryption-customer-"
                                         : "x-amz-server-side-encryption-customer-";
  r.headers.emplace_back(prefix + "algorithm", "AES256");
  r.headers.emplace_back(prefix + "key", core::auth::Base64Encode(key));
  r.headers.emplace_back(prefix + "key-md5", Md5Base64(key));
}

class AtRest final : public Workload {
 public:
  void Setup(World& world, SeededRandom&, StepLog& log) override {
    (void)world.keys().CreateKey("app-key");
    CommitAndReconcile(world, {{"buckets.toml", kConfig}});
    log.Event("setup: vault (per-request SSE), autokms (default SSE-KMS)");
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    const std::uint64_t roll = rng.Uniform(0, 99);
    if (roll < 45 || written_.empty()) {
      Write(world, rng, log);
    } else if (roll < 80) {
      Read(world, rng, log);
    } else {
      Scan(world, log);
    }
    Advance(world, std::chrono::seconds(rng.Uniform(1, 30)));
  }

  void Finish(World& world, StepLog& log) override { Scan(world, log); }

 private:
  void Write(World& world, SeededRandom& rng, StepLog& log) {
    static const std::vector<std::string> modes = {"sse-s3", "sse-kms", "sse-c", "default-kms"};
    Written w;
    w.mode = Pick(rng, modes);
    // Inline (under 4 KiB), one package, or several packages and blocks.
    const std::size_t sizes[] = {static_cast<std::size_t>(rng.Uniform(40, 4000)),
                                 static_cast<std::size_t>(rng.Uniform(4097, 60000)),
                                 static_cast<std::size_t>(rng.Uniform(70000, 200000))};
    w.body = Body(rng, sizes[rng.Uniform(0, 2)]);
    w.target =
        (w.mode == "default-kms" ? "/autokms/o" : "/vault/o") + std::to_string(written_.size());
    Request req = Put(w.target, w.body);
    if (w.mode == "sse-s3") {
      req.headers.emplace_back("x-amz-server-side-encryption", "AES256");
    } else if (w.mode == "sse-kms") {
      req.headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
      req.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", "app-key");
      req.headers.emplace_back("x-amz-server-side-encryption-context",
                               core::auth::Base64Encode(R"({"team":"sim"})"));
    } else if (w.mode == "sse-c") {
      w.ssec_key = Body(rng, 32);
      AddSseC(req, w.ssec_key);
    }
    Reply r = world.Send(std::move(req));
    log.Event("PUT " + w.target + " " + w.mode + " " + std::to_string(w.body.size()) + " -> " +
              std::to_string(r.status) + " " + r.Code());
    log.Check(r.ok(), "round-trip",
              w.mode + " PUT answered " + std::to_string(r.status) + " " + r.Code());
    if (r.ok()) written_.push_back(std::move(w));
    log.Count("put." + (r.ok() ? written_.back().mode : std::string("failed")));
  }

  void Read(World& world, SeededRandom& rng, StepLog& log) {
    const Written& w = written_[rng.Uniform(0, written_.size() - 1)];
    Request req = Get(w.target);
    if (w.mode == "sse-c") AddSseC(req, w.ssec_key);
    Reply r = world.Send(req);
    log.Check(r.ok() && r.body == w.body, "round-trip",
              "GET " + w.target + " (" + w.mode + ") answered " + std::to_string(r.status) + " " +
                  r.Code() + " with " + std::to_string(r.body.size()) + " bytes");
    if (w.mode == "sse-c") {
      Request without = Get(w.target);
      Reply denied = world.Send(without);
      log.Check(!denied.ok() && denied.body.find(w.body.substr(0, 16)) == std::string::npos,
                "round-trip", "an SSE-C object was served without its key");
      Request wrong = Get(w.target);
      AddSseC(wrong, Body(rng, 32));
      Reply refused = world.Send(wrong);
      log.Check(!refused.ok(), "round-trip", "an SSE-C object was served with another key");
    }
    log.Count("get.checked");
  }

  // The attacker's view: every file on every simulated drive.
  void Scan(World& world, StepLog& log) {
    std::vector<std::string> needles_plain;
    std::vector<std::string> needles_key;
    for (const Written& w : written_) {
      // The head, the tail and a middle window of every plaintext.
      const std::size_t n = std::min<std::size_t>(32, w.body.size());
      needles_plain.push_back(w.body.substr(0, n));
      needles_plain.push_back(w.body.substr(w.body.size() - n));
      needles_plain.push_back(w.body.substr((w.body.size() - n) / 2, n));
      if (!w.ssec_key.empty()) {
        needles_key.push_back(w.ssec_key);
        needles_key.push_back(core::auth::Base64Encode(w.ssec_key));
      }
    }
    needles_key.push_back(world.options().kms_root_key);
    std::uint64_t files = 0;
    for (const std::string& name : world.env().DiskNames()) {
      auto disk = world.env().Disk(name);
      for (const auto& [path, bytes] : disk->files) {
        ++files;
        // One check per file and invariant: every needle must be absent.
        auto find = [&](const std::vector<std::string>& needles) {
          for (const std::string& needle : needles) {
            if (bytes.find(needle) != std::string::npos) return true;
          }
          return false;
        };
        if (!log.Check(!find(needles_plain), "no-plaintext-at-rest",
                       "plaintext found in " + name + ":" + path) ||
            !log.Check(!find(needles_key), "no-key-at-rest",
                       "a key found in " + name + ":" + path)) {
          return;
        }
      }
    }
    log.Event("scan: " + std::to_string(files) + " files, " +
              std::to_string(needles_plain.size() + needles_key.size()) + " needles");
    log.Count("scan");
  }

  std::vector<Written> written_;
};

}  // namespace

std::unique_ptr<Workload> MakeAtRest() { return std::make_unique<AtRest>(); }

}  // namespace coffer::sim::workloads
