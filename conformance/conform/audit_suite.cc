// The audit suite (with --audit-sink file:PATH, the server's file audit target): every request
// the suite makes has exactly one entry, with its request id, and no entry anywhere in the
// trail holds a secret the run used (the admin's and users' secret keys, session secrets and
// tokens, SSE-C keys).

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "property_runner.h"
#include "suites.h"

namespace coffer::conform {
namespace {

std::string ReadTrail(const std::string& path) {
  std::string all;
  for (int i = 5; i >= 0; --i) {
    std::ifstream in(i == 0 ? path : path + "." + std::to_string(i));
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

std::map<std::string, int> CountIds(const std::string& trail) {
  std::map<std::string, int> counts;
  std::istringstream lines(trail);
  for (std::string line; std::getline(lines, line);) {
    const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("requestID") && doc["requestID"].is_string()) {
      ++counts[doc["requestID"].get<std::string>()];
    }
  }
  return counts;
}

}  // namespace

SuiteReport RunAuditSuite(Context& ctx) {
  SuiteReport report;
  report.name = "audit";
  if (!ctx.audit_sink.starts_with("file:")) {
    report.error = true;
    report.notes.push_back(
        "the audit suite needs --audit-sink file:PATH (the server's file "
        "audit target); got '" +
        ctx.audit_sink + "'");
    return report;
  }
  const std::string path = ctx.audit_sink.substr(5);
  std::vector<std::pair<std::string, std::string>> made;  // (request id, description)
  RunProperty(ctx, report, [&]() -> std::optional<Divergence> {
    S3Request r;
    r.bucket = *rc::gen::elementOf(ctx.buckets);
    const int kind = *rc::gen::inRange(0, 5);
    r.key =
        kind == 4 ? "" : *rc::gen::elementOf(std::vector<std::string>{"a/x", "other", "audit/new"});
    if (kind == 1) r.method = "HEAD";
    if (kind == 2) {
      r.method = "PUT";
      r.key = "audit/new";
      r.body = "audit";
    }
    if (kind == 4) r.query = {{"list-type", "2"}};
    const bool anonymous = *rc::gen::inRange(0, 4) == 0;
    auto resp = ctx.s3->Send(r, anonymous ? nullptr : &ctx.admin);
    ++report.checks;
    if (resp.has_value() && !resp->Header("x-amz-request-id").empty()) {
      made.emplace_back(resp->Header("x-amz-request-id"),
                        r.method + " " + TargetOf(r) + (anonymous ? " (anonymous)" : ""));
    } else {
      ++report.skipped;
    }
    return std::nullopt;
  });
  // Entries are written asynchronously: wait for them.
  std::string trail;
  std::map<std::string, int> counts;
  for (int i = 0; i < 100 && !ctx.Interrupted(); ++i) {
    trail = ReadTrail(path);
    counts = CountIds(trail);
    bool all = true;
    for (const auto& [id, what] : made) all = all && counts.count(id) > 0;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& [id, what] : made) {
    const int n = counts.count(id) ? counts[id] : 0;
    if (n != 1) {
      report.divergences.push_back(
          Divergence{"request " + id + " has " + std::to_string(n) + " audit entries: " + what,
                     "exactly 1 entry", std::to_string(n) + " entries in " + path,
                     "grep -c '\"requestID\":\"" + id + "\"' " + path + "\n", 0});
      if (report.divergences.size() >= 5) break;
    }
  }
  std::set<std::string> secrets = ctx.secrets;
  secrets.insert(std::string(ctx.admin.secret_key.Reveal()));
  for (const std::string& s : secrets) {
    if (s.size() < 8) continue;
    if (trail.find(s) != std::string::npos) {
      report.divergences.push_back(Divergence{
          "a secret the run used appears in the audit trail", "no secret in any entry",
          "found in " + path + " (secret not shown)",
          "# search the trail for the secret (from your own records):\ngrep -F \"$SECRET\" " +
              path + "\n",
          0});
    }
  }
  report.notes.push_back(std::to_string(made.size()) + " requests matched against " + path + " (" +
                         std::to_string(secrets.size()) + " secrets searched for)");
  return report;
}

}  // namespace coffer::conform
