#include "coffer/sim/scenario.h"

#include <algorithm>

#include <toml++/toml.h>

namespace coffer::sim {
namespace {

std::string At(const std::string& path, const toml::source_region& where) {
  return path + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
}

const std::vector<std::string>& KnownFaultPoints() {
  static const std::vector<std::string> points = {
      "drive.read.eio", "drive.write.eio", "drive.write.torn", "drive.write.bitflip",
      "drive.full",     "drive.vanish",    "drive.slow"};
  return points;
}

base::Result<std::map<std::string, std::string>> StringTable(const std::string& path,
                                                             const toml::node& node,
                                                             std::string_view what) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return base::InvalidArgument(At(path, node.source()) + ": " + std::string(what) +
                                 " must be a table of strings");
  }
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : *table) {
    const auto* s = v.as_string();
    if (s == nullptr) {
      return base::InvalidArgument(At(path, v.source()) + ": " + std::string(what) + "." +
                                   std::string(k.str()) + " must be a string");
    }
    out[std::string(k.str())] = s->get();
  }
  return out;
}

}  // namespace

const std::map<std::string, std::vector<std::string>>& KnownWorkloads() {
  static const std::map<std::string, std::vector<std::string>> workloads = {
      {"at-rest", {"no-plaintext-at-rest", "no-key-at-rest", "round-trip"}},
      {"audit", {"acknowledged-is-durable", "delivered-at-least-once"}},
      {"authz", {"allowed-only", "deny-wins"}},
      {"interception",
       {"plain-sts-refused", "plain-ssec-refused", "secure-transport-enforced",
        "no-secret-on-plain-link"}},
      {"credentials",
       {"expired-session-refused", "tampered-token-refused", "orphaned-session-refused",
        "skewed-signature-refused"}},
      {"replay",
       {"expired-presign-refused", "stale-signature-refused", "chunk-tamper-refused",
        "fresh-request-served"}},
      {"rotation", {"readable-while-version-exists", "refused-after-version-destroyed"}},
      {"durability", {"never-wrong-bytes", "acknowledged-readable", "healed-redundancy"}},
      {"escalation",
       {"crafted-name-refused", "no-cross-user-read", "session-cannot-widen", "no-self-grant",
        "revocation-applies"}},
  };
  return workloads;
}

base::Result<Scenario> LoadScenario(const std::string& path, const std::string& text) {
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return base::InvalidArgument(At(path, e.source()) + ": " + std::string(e.description()));
  }
  const toml::table& root = parsed.table();
  Scenario s;
  s.path = path;
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    auto need_string = [&](std::string& out) -> base::Status {
      const auto* v = node.as_string();
      if (v == nullptr)
        return base::InvalidArgument(At(path, node.source()) + ": " + k + " must be a string");
      out = v->get();
      return base::Ok();
    };
    if (k == "name") {
      COFFER_RETURN_IF_ERROR(need_string(s.name));
    } else if (k == "threat") {
      COFFER_RETURN_IF_ERROR(need_string(s.threat));
    } else if (k == "description") {
      COFFER_RETURN_IF_ERROR(need_string(s.description));
    } else if (k == "workload") {
      COFFER_RETURN_IF_ERROR(need_string(s.workload));
      if (!KnownWorkloads().contains(s.workload)) {
        return base::InvalidArgument(At(path, node.source()) + ": unknown workload '" + s.workload +
                                     "'");
      }
    } else if (k == "steps") {
      const auto* v = node.as_integer();
      if (v == nullptr || v->get() < 1 || v->get() > 1000000) {
        return base::InvalidArgument(At(path, node.source()) + ": steps must be 1..1000000");
      }
      s.steps = static_cast<std::uint64_t>(v->get());
    } else if (k == "invariants") {
      const auto* a = node.as_array();
      if (a == nullptr)
        return base::InvalidArgument(At(path, node.source()) + ": invariants must be an array");
      for (const auto& item : *a) {
        const auto* v = item.as_string();
        if (v == nullptr)
          return base::InvalidArgument(At(path, item.source()) + ": invariant names are strings");
        s.invariants.push_back(v->get());
      }
    } else if (k == "faults") {
      const toml::table* t = node.as_table();
      if (t == nullptr)
        return base::InvalidArgument(At(path, node.source()) + ": faults must be a table");
      for (const auto& [fk, fv] : *t) {
        const std::string point(fk.str());
        const auto& known = KnownFaultPoints();
        if (std::find(known.begin(), known.end(), point) == known.end()) {
          return base::InvalidArgument(At(path, fv.source()) + ": unknown fault point '" + point +
                                       "'");
        }
        std::optional<double> rate = fv.value<double>();
        if (!rate || *rate < 0 || *rate > 1) {
          return base::InvalidArgument(At(path, fv.source()) +
                                       ": a fault rate is a number in 0..1");
        }
        s.faults[point] = *rate;
      }
    } else if (k == "repo") {
      COFFER_ASSIGN_OR_RETURN(s.repo, StringTable(path, node, "repo"));
    } else if (k == "secrets") {
      COFFER_ASSIGN_OR_RETURN(s.secrets, StringTable(path, node, "secrets"));
    } else {
      return base::InvalidArgument(At(path, node.source()) + ": unknown key '" + k + "'");
    }
  }
  if (s.name.empty() || s.workload.empty()) {
    return base::InvalidArgument(path + ": a scenario needs a name and a workload");
  }
  const auto& checks = KnownWorkloads().at(s.workload);
  for (const std::string& inv : s.invariants) {
    if (std::find(checks.begin(), checks.end(), inv) == checks.end()) {
      return base::InvalidArgument(path + ": workload " + s.workload +
                                   " does not check invariant '" + inv + "'");
    }
  }
  if (s.invariants.empty()) s.invariants = checks;
  return s;
}

}  // namespace coffer::sim
