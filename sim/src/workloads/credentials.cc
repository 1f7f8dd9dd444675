// Credential leakage (threat row 5): STS credentials are stolen and used
// after they expire, after their parent user is disabled or deleted, with the
// session token tampered with or swapped, and signed under a skewed clock.
// Invariants:
//
//   expired-session-refused    a session used at or after its Expiration is
//                              refused;
//   orphaned-session-refused   a session whose parent is disabled or gone
//                              (after the config commit is reconciled) is
//                              refused;
//   tampered-token-refused     a token with any byte changed, or another
//                              session's token, is refused;
//   skewed-signature-refused   a request signed more than 15 minutes off the
//                              server's clock is refused.

#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

struct Session {
  Credentials credentials;
  std::string parent;
  base::WallTime expires;
};

enum class Carol { kEnabled, kDisabled, kDeleted };

std::map<std::string, std::string> ConfigWith(Carol carol) {
  std::string users = R"([users.alice]
secret = "env:ALICE_SECRET"
policies = ["readwrite"]

[users.bob]
secret = "env:BOB_SECRET"
policies = ["readwrite"]

[buckets.vault]
)";
  if (carol != Carol::kDeleted) {
    users += "\n[users.carol]\nsecret = \"env:CAROL_SECRET\"\npolicies = [\"readwrite\"]\n";
    if (carol == Carol::kDisabled) users += "enabled = false\n";
  }
  return {{"users.toml", users}};
}

// ISO 8601 "2026-01-01T00:15:00Z" (what STS answers) to a time.
std::optional<base::WallTime> ParseIso(const std::string& s) {
  std::tm tm{};
  if (s.size() < 19 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
                                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return base::WallTime(std::chrono::seconds(timegm(&tm)));
}

class CredentialTheft final : public Workload {
 public:
  void Setup(World& world, SeededRandom& rng, StepLog& log) override {
    CommitAndReconcile(world, ConfigWith(Carol::kEnabled));
    Reply r = world.Send(Put("/vault/doc", Body(rng, 200)));
    log.Check(r.ok(), "expired-session-refused", "setup PUT answered " + std::to_string(r.status));
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    const std::uint64_t roll = rng.Uniform(0, 99);
    if (roll < 25 || sessions_.empty()) {
      Mint(world, rng, log);
    } else if (roll < 60) {
      Use(world, rng, log);
    } else if (roll < 75) {
      Tamper(world, rng, log);
    } else if (roll < 85) {
      Skewed(world, rng, log);
    } else {
      ChangeCarol(world, rng, log);
    }
    Advance(world, rng.Chance(0.3) ? std::chrono::seconds(rng.Uniform(300, 2400))
                                   : std::chrono::seconds(rng.Uniform(1, 60)));
  }

 private:
  bool ParentValid(const std::string& parent) const {
    return parent != "carol" || carol_ == Carol::kEnabled;
  }

  void Mint(World& world, SeededRandom& rng, StepLog& log) {
    static const std::vector<std::string> users = {"alice", "bob", "carol"};
    const std::string user = Pick(rng, users);
    const std::uint64_t duration = rng.Uniform(900, 3600);
    Request req;
    req.method = "POST";
    req.target = "/";
    req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    req.body = "Action=AssumeRole&Version=2011-06-15&DurationSeconds=" + std::to_string(duration);
    Reply r = world.Send(std::move(req), As({user, SecretOf(user), ""}, "sts"));
    log.Event("AssumeRole " + user + " " + std::to_string(duration) + " s -> " +
              std::to_string(r.status));
    if (!r.ok()) {
      log.Count("mint.refused");
      return;
    }
    Session s;
    s.credentials = {r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"),
                     r.XmlText("SessionToken")};
    s.parent = user;
    const auto expires = ParseIso(r.XmlText("Expiration"));
    if (!expires || s.credentials.access_key.empty() || s.credentials.session_token.empty()) {
      log.Check(false, "expired-session-refused", "AssumeRole answered 200 without credentials");
      return;
    }
    s.expires = *expires;
    sessions_.push_back(std::move(s));
    if (sessions_.size() > 12) sessions_.erase(sessions_.begin());
    log.Count("mint.ok");
  }

  void Use(World& world, SeededRandom& rng, StepLog& log) {
    const Session& s = sessions_[rng.Uniform(0, sessions_.size() - 1)];
    const base::WallTime now = world.env().clock().Now();
    Reply r = world.Send(Get("/vault/doc"), As(s.credentials));
    log.Event("session of " + s.parent + " GET -> " + std::to_string(r.status) + " " + r.Code());
    if (now >= s.expires) {
      log.Check(!r.ok(), "expired-session-refused",
                "a session of " + s.parent + " was served " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(now - s.expires).count()) +
                    " s after its expiry");
    }
    if (!ParentValid(s.parent)) {
      log.Check(!r.ok(), "orphaned-session-refused",
                "a session of carol was served while carol is " +
                    std::string(carol_ == Carol::kDisabled ? "disabled" : "deleted"));
    }
    log.Count(r.ok() ? "use.served" : "use.refused");
  }

  void Tamper(World& world, SeededRandom& rng, StepLog& log) {
    Session s = sessions_[rng.Uniform(0, sessions_.size() - 1)];
    std::string& token = s.credentials.session_token;
    if (sessions_.size() > 1 && rng.Chance(0.3)) {
      const Session& other = sessions_[rng.Uniform(0, sessions_.size() - 1)];
      if (other.credentials.session_token == token) return;
      token = other.credentials.session_token;
      log.Event("swapped token");
    } else {
      // Not the last characters: their spare base64 bits may not count, so a
      // change there can leave the decoded token as it was.
      if (token.size() < 8) return;
      const std::size_t i = rng.Uniform(0, token.size() - 4);
      static const std::string alphabet =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=";
      char c = alphabet[rng.Uniform(0, alphabet.size() - 1)];
      if (c == token[i]) return;
      token[i] = c;
      log.Event("tampered token byte " + std::to_string(i));
    }
    Reply r = world.Send(Get("/vault/doc"), As(s.credentials));
    log.Check(!r.ok(), "tampered-token-refused",
              "a tampered session token was served (" + std::to_string(r.status) + ")");
    log.Count("tamper.refused");
  }

  void Skewed(World& world, SeededRandom& rng, StepLog& log) {
    const Session& s = sessions_[rng.Uniform(0, sessions_.size() - 1)];
    const auto skew = std::chrono::seconds(rng.Uniform(15 * 60 + 1, 3 * 3600));
    const base::WallTime now = world.env().clock().Now();
    SendOptions options = As(s.credentials);
    options.signed_at = rng.Chance(0.5) ? now + skew : now - skew;
    Reply r = world.Send(Get("/vault/doc"), options);
    log.Check(!r.ok(), "skewed-signature-refused",
              "a session request signed " + std::to_string(skew.count()) + " s off was served");
    log.Count("skew.refused");
  }

  void ChangeCarol(World& world, SeededRandom& rng, StepLog& log) {
    static const std::vector<Carol> states = {Carol::kEnabled, Carol::kDisabled, Carol::kDeleted};
    carol_ = Pick(rng, states);
    CommitAndReconcile(world, ConfigWith(carol_));
    log.Event(std::string("carol is now ") + (carol_ == Carol::kEnabled    ? "enabled"
                                              : carol_ == Carol::kDisabled ? "disabled"
                                                                           : "deleted"));
  }

  Carol carol_ = Carol::kEnabled;
  std::vector<Session> sessions_;
};

}  // namespace

std::unique_ptr<Workload> MakeCredentials() { return std::make_unique<CredentialTheft>(); }

}  // namespace coffer::sim::workloads
