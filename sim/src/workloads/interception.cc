// Network interception (threat row 4): a client sends over a plain link what
// must only travel under TLS. Invariants:
//
//   plain-sts-refused         STS over plain HTTP is refused (it would hand a
//                             secret key to the wire);
//   plain-ssec-refused        SSE-C (a PUT or GET carrying the customer key)
//                             over plain HTTP is refused;
//   secure-transport-enforced a policy that allows only with
//                             aws:SecureTransport refuses plain requests and
//                             serves TLS ones;
//   no-secret-on-plain-link   no answer on a plain link carries a secret key,
//                             a session token or a customer key.

#include "coffer/core/auth/crypto.h"
#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

constexpr const char* kConfig = R"([users.dave]
secret = "env:DAVE_SECRET"
policies = ["tls-only"]

[users.erin]
secret = "env:ERIN_SECRET"
policies = ["readwrite"]

[policies.tls-only]
json = '''
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
   "Resource": ["arn:aws:s3:::wire/*"],
   "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
'''

[buckets.wire]
)";

class Interception final : public Workload {
 public:
  void Setup(World& world, SeededRandom& rng, StepLog& log) override {
    CommitAndReconcile(world, {{"users.toml", kConfig}});
    Reply r = world.Send(Put("/wire/open", Body(rng, 64)));
    log.Check(r.ok(), "secure-transport-enforced", "setup PUT: " + std::to_string(r.status));
    secrets_ = {SecretOf("dave"), SecretOf("erin"), world.options().root_password};
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    switch (rng.Uniform(0, 3)) {
      case 0:
        Sts(world, rng, log);
        break;
      case 1:
        SseC(world, rng, log);
        break;
      default:
        TlsOnlyPolicy(world, rng, log);
        break;
    }
    Advance(world, std::chrono::seconds(rng.Uniform(1, 120)));
  }

 private:
  // Checks an answer that crossed a plain link.
  void Plain(const Reply& r, StepLog& log, const std::vector<std::string>& extra = {}) {
    std::string all = r.body;
    for (const auto& [k, v] : r.headers) all += k + ": " + v + "\n";
    bool clean = all.find("<SecretAccessKey>") == std::string::npos &&
                 all.find("<SessionToken>") == std::string::npos;
    for (const auto& s : secrets_) clean = clean && all.find(s) == std::string::npos;
    for (const auto& s : extra) clean = clean && all.find(s) == std::string::npos;
    log.Check(clean, "no-secret-on-plain-link", "a secret crossed a plain link");
  }

  void Sts(World& world, SeededRandom& rng, StepLog& log) {
    const bool secure = rng.Chance(0.3);
    Request req;
    req.method = "POST";
    req.target = "/";
    req.secure = secure;
    req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    req.body = "Action=AssumeRole&Version=2011-06-15";
    Reply r = world.Send(std::move(req), As({"erin", SecretOf("erin"), ""}, "sts"));
    log.Event(std::string("AssumeRole over ") + (secure ? "TLS" : "plain") + " -> " +
              std::to_string(r.status));
    if (secure) {
      log.Count(r.ok() ? "sts.tls.ok" : "sts.tls.refused");
      return;
    }
    log.Check(!r.ok(), "plain-sts-refused", "AssumeRole answered 200 over plain HTTP");
    Plain(r, log);
    log.Count("sts.plain.refused");
  }

  void SseC(World& world, SeededRandom& rng, StepLog& log) {
    const bool secure = rng.Chance(0.3);
    const std::string key = Body(rng, 32);
    const std::string key64 = core::auth::Base64Encode(key);
    const bool put = rng.Chance(0.5) || !have_ssec_;
    Request req = put ? Put("/wire/ssec", Body(rng, 100)) : Get("/wire/ssec");
    req.secure = secure;
    const std::string& use64 = put ? key64 : ssec_key64_;
    const std::string use_md5 = put ? Md5Base64(key) : ssec_md5_;
    req.headers.emplace_back("x-amz-server-side-encryption-customer-algorithm", "AES256");
    req.headers.emplace_back("x-amz-server-side-encryption-customer-key", use64);
    req.headers.emplace_back("x-amz-server-side-encryption-customer-key-md5", use_md5);
    Reply r = world.Send(std::move(req), As({"erin", SecretOf("erin"), ""}));
    log.Event(std::string("SSE-C ") + (put ? "PUT" : "GET") + " over " +
              (secure ? "TLS" : "plain") + " -> " + std::to_string(r.status));
    if (secure) {
      if (put && r.ok()) {
        have_ssec_ = true;
        ssec_key64_ = key64;
        ssec_md5_ = use_md5;
      }
      log.Count(r.ok() ? "ssec.tls.ok" : "ssec.tls.refused");
      return;
    }
    log.Check(!r.ok(), "plain-ssec-refused", "an SSE-C request was served over plain HTTP");
    Plain(r, log, {use64});
    log.Count("ssec.plain.refused");
  }

  void TlsOnlyPolicy(World& world, SeededRandom& rng, StepLog& log) {
    const bool secure = rng.Chance(0.5);
    Request req = rng.Chance(0.5)
                      ? Get("/wire/open")
                      : Put("/wire/d" + std::to_string(rng.Uniform(0, 5)), Body(rng, 40));
    req.secure = secure;
    Reply r = world.Send(std::move(req), As({"dave", SecretOf("dave"), ""}));
    if (secure) {
      log.Check(r.ok(), "secure-transport-enforced",
                "dave over TLS was refused: " + std::to_string(r.status) + " " + r.Code());
      log.Count("tls-only.tls.ok");
    } else {
      log.Check(!r.ok(), "secure-transport-enforced", "dave over plain HTTP was served");
      Plain(r, log);
      log.Count("tls-only.plain.refused");
    }
  }

  std::vector<std::string> secrets_;
  bool have_ssec_ = false;
  std::string ssec_key64_;
  std::string ssec_md5_;
};

}  // namespace

std::unique_ptr<Workload> MakeInterception() { return std::make_unique<Interception>(); }

}  // namespace coffer::sim::workloads
