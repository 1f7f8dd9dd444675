// Privilege escalation (threat row 6): users with a home-prefix policy try
// to reach further: crafted user names in a config commit, a user named ".."
// and path tricks towards another user's prefix, session policies that try to
// widen, calls to the admin API and bucket policy to grant themselves more,
// and config commits that take a grant away racing their requests.
// Invariants:
//
//   crafted-name-refused     a commit naming a user "*", "a?", "${aws:username}",
//                            "x/y", "a b" or "" is not applied (validation);
//                            the last good state keeps serving;
//   no-cross-user-read       no user ever reads another user's object;
//   session-cannot-widen     a session whose policy allows everything still
//                            gets no more than its parent;
//   no-self-grant            a non-admin's admin API calls and bucket-policy
//                            changes are refused;
//   revocation-applies       after a commit that takes a user's policy away is
//                            reconciled, the user's next request is refused.

#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

constexpr const char* kHome = R"([policies.home]
json = '''
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
   "Resource": ["arn:aws:s3:::bkt/${aws:username}/*"]},
  {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::bkt"],
   "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}}]}
'''

[buckets.bkt]
)";

std::string Users(bool mallory_has_home) {
  std::string out = kHome;
  out += "\n[users.mallory]\nsecret = \"env:MALLORY_SECRET\"\npolicies = [";
  out += mallory_has_home ? "\"home\"]\n" : "]\n";
  out += "\n[users.victim]\nsecret = \"env:VICTIM_SECRET\"\npolicies = [\"home\"]\n";
  out += "\n[users.\"..\"]\nsecret = \"env:DOTDOT_SECRET\"\npolicies = [\"home\"]\n";
  return out;
}

class Escalation final : public Workload {
 public:
  void Setup(World& world, SeededRandom& rng, StepLog& log) override {
    CommitAndReconcile(world, {{"iam.toml", Users(true)}});
    victim_secret_ = "victim-private-" + std::to_string(rng.Uniform(0, 1u << 30));
    Reply r = world.Send(Put("/bkt/victim/secret", victim_secret_),
                         As({"victim", SecretOf("victim"), ""}));
    log.Check(r.ok(), "no-cross-user-read",
              "victim could not write home: " + std::to_string(r.status) + " " + r.Code());
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    switch (rng.Uniform(0, 5)) {
      case 0:
        CraftedName(world, rng, log);
        break;
      case 1:
        PathTricks(world, rng, log);
        break;
      case 2:
        WideSession(world, rng, log);
        break;
      case 3:
        SelfGrant(world, rng, log);
        break;
      case 4:
        Revocation(world, rng, log);
        break;
      default: {
        // Ordinary work: mallory in her own home.
        Reply r = world.Send(Put("/bkt/mallory/n" + std::to_string(rng.Uniform(0, 9)), "mine"),
                             As({"mallory", SecretOf("mallory"), ""}));
        log.Count(r.ok() ? "home.ok" : "home.refused");
        break;
      }
    }
    Advance(world, std::chrono::seconds(rng.Uniform(1, 60)));
  }

 private:
  bool Leaks(const Reply& r) const { return r.body.find(victim_secret_) != std::string::npos; }

  void CraftedName(World& world, SeededRandom& rng, StepLog& log) {
    static const std::vector<std::string> names = {"*",   "a?", "${aws:username}", "x/y",
                                                   "a b", "",   "victim/*",        "\u00fcser"};
    const std::string& name = Pick(rng, names);
    std::map<std::string, std::string> files = {{"iam.toml", Users(true)}};
    files["crafted.toml"] =
        "[users.\"" + name + "\"]\nsecret = \"env:MALLORY_SECRET\"\n" + "policies = [\"home\"]\n";
    files.emplace("appliance.toml", kRootToml);
    world.repo().Commit("Mallory <m@sim>", files);
    const auto pass = world.Reconcile();
    log.Event("commit with user '" + name + "': " + (pass.applied ? "applied" : pass.error));
    log.Check(!pass.applied, "crafted-name-refused", "a user named '" + name + "' was applied");
    // The last good state still serves; then the repo is put right again.
    Reply r = world.Send(Get("/bkt/victim/secret"), As({"victim", SecretOf("victim"), ""}));
    log.Check(r.ok() && r.body == victim_secret_, "crafted-name-refused",
              "after a refused commit the victim cannot read home: " + std::to_string(r.status));
    CommitAndReconcile(world, {{"iam.toml", Users(true)}});
    log.Count("crafted.refused");
  }

  void PathTricks(World& world, SeededRandom& rng, StepLog& log) {
    static const std::vector<std::string> targets = {"/bkt/victim/secret",
                                                     "/bkt/../victim/secret",
                                                     "/bkt/%2E%2E/victim/secret",
                                                     "/bkt/mallory/../victim/secret",
                                                     "/bkt/mallory/%2e%2e/victim/secret",
                                                     "/bkt//victim/secret",
                                                     "/bkt/?list-type=2&prefix=victim/",
                                                     "/bkt/?list-type=2&prefix=",
                                                     "/bkt/?list-type=2&prefix=../"};
    static const std::vector<std::string> users = {"mallory", ".."};
    const std::string& user = Pick(rng, users);
    const std::string& target = Pick(rng, targets);
    Reply r = world.Send(Get(target), As({user, SecretOf(user), ""}));
    log.Event(user + " GET " + target + " -> " + std::to_string(r.status));
    log.Check(!Leaks(r), "no-cross-user-read", user + " read victim's object via " + target);
    if (target.find("prefix=victim/") != std::string::npos) {
      log.Check(!r.ok() || r.body.find("victim/secret") == std::string::npos, "no-cross-user-read",
                user + " listed victim's keys");
    }
    log.Count(r.ok() ? "trick.served" : "trick.refused");
  }

  void WideSession(World& world, SeededRandom& rng, StepLog& log) {
    Request req;
    req.method = "POST";
    req.target = "/";
    req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    req.body =
        "Action=AssumeRole&Version=2011-06-15&Policy=%7B%22Version%22%3A%222012-10-17%22%2C"
        "%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C"
        "%22Resource%22%3A%22*%22%7D%5D%7D";
    Reply minted = world.Send(std::move(req), As({"mallory", SecretOf("mallory"), ""}, "sts"));
    if (!minted.ok()) {
      log.Count("session.refused");
      return;
    }
    const Credentials session{minted.XmlText("AccessKeyId"), minted.XmlText("SecretAccessKey"),
                              minted.XmlText("SessionToken")};
    Request read = Get(rng.Chance(0.5) ? "/bkt/victim/secret" : "/bkt/?list-type=2&prefix=victim/");
    Reply r = world.Send(read, As(session));
    log.Check(!r.ok() && !Leaks(r), "session-cannot-widen",
              "a wide session of mallory got " + std::to_string(r.status) + " on victim's data");
    Reply bucket_policy =
        world.Send(Put("/bkt?policy", R"({"Version":"2012-10-17","Statement":[]})"), As(session));
    log.Check(!bucket_policy.ok(), "session-cannot-widen",
              "a wide session of mallory changed the bucket policy");
    log.Count("session.checked");
  }

  void SelfGrant(World& world, SeededRandom& rng, StepLog& log) {
    const Credentials mallory{"mallory", SecretOf("mallory"), ""};
    Reply r;
    std::string what;
    switch (rng.Uniform(0, 2)) {
      case 0: {
        Request req =
            Put("/coffer/admin/v1/service-accounts", R"({"parent":"victim","policy":""})");
        req.method = "POST";
        req.headers.emplace_back("content-type", "application/json");
        r = world.Send(std::move(req), As(mallory));
        what = "create a service account for victim";
        break;
      }
      case 1:
        // Her own sessions she may list; the victim's she may not.
        r = world.Send(Get("/coffer/admin/v1/sts-sessions?user=victim"), As(mallory));
        what = "list victim's STS sessions";
        break;
      default: {
        const std::string grant =
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
            R"("Action":"s3:*","Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]}]})";
        r = world.Send(Put("/bkt?policy", grant), As(mallory));
        what = "set a public bucket policy";
        break;
      }
    }
    log.Event("mallory tries to " + what + " -> " + std::to_string(r.status));
    log.Check(!r.ok(), "no-self-grant", "mallory could " + what);
    Reply after = world.Send(Get("/bkt/victim/secret"), As(mallory));
    log.Check(!Leaks(after), "no-cross-user-read",
              "mallory read victim's object after trying to " + what);
  }

  void Revocation(World& world, SeededRandom& rng, StepLog& log) {
    CommitAndReconcile(world, {{"iam.toml", Users(false)}});
    Reply r =
        world.Send(Put("/bkt/mallory/after-revoke", "x"), As({"mallory", SecretOf("mallory"), ""}));
    log.Check(!r.ok(), "revocation-applies",
              "mallory wrote home after her policy was taken away: " + std::to_string(r.status));
    if (rng.Chance(0.7)) CommitAndReconcile(world, {{"iam.toml", Users(true)}});
    log.Count("revocation.checked");
  }

  std::string victim_secret_;
};

}  // namespace

std::unique_ptr<Workload> MakeEscalation() { return std::make_unique<Escalation>(); }

}  // namespace coffer::sim::workloads
