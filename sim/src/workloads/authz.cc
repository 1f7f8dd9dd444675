// Unauthorized S3 access (threat row 1): random users with random identity
// policies (Allow and Deny, wildcards, ${aws:username}, conditions on TLS and
// source address) send random requests. Invariants:
//
//   allowed-only  an operation succeeds only if the reference evaluator
//                 (conformance/reference, written from the AWS documentation
//                 and sharing no code with policy-dsl) allows it;
//   deny-wins     an operation that an explicit Deny matches is refused.
//
// Root seeds the objects; users never act as root.

#include <nlohmann/json.hpp>

#include "coffer/reference/reference.h"
#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim::workloads {
namespace {

using nlohmann::json;

const std::vector<std::string> kUsers = {"u0", "u1", "u2", "u3"};
const std::vector<std::string> kBuckets = {"bk1", "bk2"};
const std::vector<std::string> kKeys = {"pub/a", "pub/b", "u0/x", "u1/x", "u2/x", "u3/x", "top"};

struct Op {
  const char* name;
  const char* method;
  const char* action;
  bool object;
};
const std::vector<Op> kOps = {{"GetObject", "GET", "s3:GetObject", true},
                              {"HeadObject", "HEAD", "s3:GetObject", true},
                              {"PutObject", "PUT", "s3:PutObject", true},
                              {"DeleteObject", "DELETE", "s3:DeleteObject", true},
                              {"ListObjectsV2", "GET", "s3:ListBucket", false}};

json RandomStatement(SeededRandom& rng) {
  static const std::vector<std::string> actions = {
      "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:*", "s3:Get*"};
  static const std::vector<std::string> resources = {
      "arn:aws:s3:::bk1/*",     "arn:aws:s3:::bk1",     "arn:aws:s3:::bk2/*",
      "arn:aws:s3:::bk2",       "arn:aws:s3:::*",       "arn:aws:s3:::bk1/${aws:username}/*",
      "arn:aws:s3:::bk2/pub/*", "arn:aws:s3:::bk*/u?/*"};
  json st;
  st["Effect"] = rng.Chance(0.3) ? "Deny" : "Allow";
  json a = json::array();
  for (int i = 0, n = static_cast<int>(rng.Uniform(1, 2)); i < n; ++i)
    a.push_back(Pick(rng, actions));
  st["Action"] = a;
  json r = json::array();
  for (int i = 0, n = static_cast<int>(rng.Uniform(1, 2)); i < n; ++i)
    r.push_back(Pick(rng, resources));
  st["Resource"] = r;
  switch (rng.Uniform(0, 5)) {
    case 0:
      st["Condition"] = {{"Bool", {{"aws:SecureTransport", "true"}}}};
      break;
    case 1:
      st["Condition"] = {{"IpAddress", {{"aws:SourceIp", "10.0.0.0/24"}}}};
      break;
    case 2:
      st["Condition"] = {{"NotIpAddress", {{"aws:SourceIp", "10.0.0.0/24"}}}};
      break;
    default:
      break;
  }
  return st;
}

class Authz final : public Workload {
 public:
  void Setup(World& world, SeededRandom& rng, StepLog& log) override {
    std::string toml;
    for (int p = 0; p < 4; ++p) {
      json doc = {{"Version", "2012-10-17"}, {"Statement", json::array()}};
      for (int i = 0, n = static_cast<int>(rng.Uniform(1, 3)); i < n; ++i) {
        doc["Statement"].push_back(RandomStatement(rng));
      }
      const std::string name = "gen" + std::to_string(p);
      policies_[name] = doc;
      toml += "[policies." + name + "]\njson = '''" + doc.dump() + "'''\n\n";
    }
    for (const std::string& u : kUsers) {
      std::vector<std::string> mine;
      for (const auto& [name, doc] : policies_) {
        if (rng.Chance(0.4)) mine.push_back(name);
      }
      toml += "[users." + u + "]\nsecret = \"env:" + Upper(u) + "_SECRET\"\npolicies = [";
      for (std::size_t i = 0; i < mine.size(); ++i) toml += (i ? ", \"" : "\"") + mine[i] + "\"";
      toml += "]\n\n";
      user_policies_[u] = mine;
    }
    for (const std::string& b : kBuckets) toml += "[buckets." + b + "]\n";
    CommitAndReconcile(world, {{"iam.toml", toml}});
    for (const std::string& b : kBuckets) {
      for (const std::string& k : kKeys) {
        if (rng.Chance(0.7)) world.Send(Put("/" + b + "/" + k, "seed-" + k));
      }
    }
    log.Event("setup: 4 policies, 4 users, 2 buckets");
  }

  void Step(World& world, SeededRandom& rng, StepLog& log) override {
    const std::string& user = Pick(rng, kUsers);
    const Op& op = Pick(rng, kOps);
    const std::string& bucket = Pick(rng, kBuckets);
    const std::string& key = Pick(rng, kKeys);
    const bool secure = rng.Chance(0.5);
    const std::string ip = rng.Chance(0.5) ? "10.0.0.7" : "192.0.2.9";

    Request req;
    req.method = op.method;
    req.target = "/" + bucket + (op.object ? "/" + key : "?list-type=2");
    if (std::string_view(op.name) == "PutObject") req.body = "put-by-" + user;
    req.secure = secure;
    req.remote_address = ip + ":40000";
    Reply r = world.Send(std::move(req), As({user, SecretOf(user), ""}));

    reference::Request q;
    q.action = op.action;
    q.principal = user;
    q.resource = "arn:aws:s3:::" + bucket + (op.object ? "/" + key : "");
    q.context["aws:sourceip"] = {ip};
    q.context["aws:securetransport"] = {secure ? "true" : "false"};
    q.context["aws:username"] = {user};
    q.context["aws:userid"] = {user};
    reference::Policies p;
    for (const std::string& name : user_policies_[user]) p.identity.push_back(policies_[name]);
    const reference::Outcome predicted = reference::Decide(p, q);

    const bool denied = r.status == 403;
    log.Event(user + " " + op.name + " " + bucket + (op.object ? "/" + key : "") +
              (secure ? " tls " : " plain ") + ip + " -> " + std::to_string(r.status) +
              " (reference: " + reference::OutcomeName(predicted) + ")");
    if (predicted == reference::Outcome::kUnsupported) {
      log.Count("reference.unsupported");
      return;
    }
    log.Check(denied || predicted == reference::Outcome::kAllow, "allowed-only",
              user + " " + op.name + " on " + q.resource + " answered " + std::to_string(r.status) +
                  " but the reference says " + reference::OutcomeName(predicted));
    if (predicted == reference::Outcome::kExplicitDeny) {
      log.Check(denied, "deny-wins",
                user + " " + op.name + " on " + q.resource + " matched a Deny but answered " +
                    std::to_string(r.status));
    }
    log.Count(predicted == reference::Outcome::kAllow ? "reference.allow" : "reference.deny");
    log.Count(denied ? "core.denied" : "core.served");
  }

 private:
  static std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }

  std::map<std::string, json> policies_;
  std::map<std::string, std::vector<std::string>> user_policies_;
};

}  // namespace

std::unique_ptr<Workload> MakeAuthz() { return std::make_unique<Authz>(); }

}  // namespace coffer::sim::workloads
