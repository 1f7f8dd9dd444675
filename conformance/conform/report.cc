#include "report.h"

#include <nlohmann/json.hpp>

namespace coffer::conform {
namespace {

// Markdown table cells cannot hold a '|' or a newline.
std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int RunReport::TotalDivergences() const {
  int n = 0;
  for (const SuiteReport& s : suites) n += static_cast<int>(s.divergences.size());
  return n;
}

bool RunReport::AnyError() const {
  for (const SuiteReport& s : suites) {
    if (s.error) return true;
  }
  return false;
}

std::string RenderMarkdown(const RunReport& r) {
  std::string out = "# coffer conform report\n\n";
  out += "| | |\n|---|---|\n";
  out += "| endpoint | " + Cell(r.endpoint) + " |\n";
  out += "| server header | " + Cell(r.server_header.empty() ? "(none)" : r.server_header) + " |\n";
  out += "| adapter | " + r.adapter + " |\n";
  out += "| seed | " + std::to_string(r.seed) + " |\n";
  out += "| cases per suite | " + std::to_string(r.cases_per_suite) + " |\n";
  out += "| started | " + r.started + " |\n| finished | " + r.finished + " |\n";
  out += "| conform version | " + Cell(r.version) + " |\n";
  out += "| divergences | " + std::to_string(r.TotalDivergences()) + " |\n";
  if (r.interrupted) out += "| interrupted | yes (partial results) |\n";
  out += "\n## Suites\n\n| suite | cases | checks | skipped | divergences | status |\n";
  out += "|---|---:|---:|---:|---:|---|\n";
  for (const SuiteReport& s : r.suites) {
    const std::string status = s.error ? "error" : s.divergences.empty() ? "pass" : "DIVERGES";
    out += "| " + s.name + " | " + std::to_string(s.cases) + " | " + std::to_string(s.checks) +
           " | " + std::to_string(s.skipped) + " | " + std::to_string(s.divergences.size()) +
           " | " + status + " |\n";
  }
  for (const SuiteReport& s : r.suites) {
    if (s.notes.empty()) continue;
    out += "\n### Notes: " + s.name + "\n\n";
    for (const std::string& n : s.notes) out += "- " + n + "\n";
  }
  int index = 0;
  for (const SuiteReport& s : r.suites) {
    for (const Divergence& d : s.divergences) {
      out +=
          "\n## Divergence " + std::to_string(++index) + " (" + s.name + "): " + d.title + "\n\n";
      out += "- expected: " + d.expected + "\n- actual: " + d.actual + "\n";
      if (d.shrink_steps > 0) {
        out += "- shrunk in " + std::to_string(d.shrink_steps) + " evaluations\n";
      }
      out += "- rerun: `coffer conform ... --suite " + s.name + " --seed " +
             std::to_string(r.seed) + "`\n";
      if (!d.reproduction.empty()) out += "\n```sh\n" + d.reproduction + "```\n";
    }
  }
  if (!r.cleanup_problems.empty()) {
    out += "\n## Cleanup problems\n\n";
    for (const std::string& p : r.cleanup_problems) out += "- " + p + "\n";
  }
  return out;
}

std::string RenderJson(const RunReport& r) {
  using nlohmann::json;
  json suites = json::array();
  for (const SuiteReport& s : r.suites) {
    json divergences = json::array();
    for (const Divergence& d : s.divergences) {
      divergences.push_back(json{{"title", d.title},
                                 {"expected", d.expected},
                                 {"actual", d.actual},
                                 {"reproduction", d.reproduction},
                                 {"shrink_steps", d.shrink_steps}});
    }
    suites.push_back(json{{"name", s.name},
                          {"cases", s.cases},
                          {"checks", s.checks},
                          {"skipped", s.skipped},
                          {"error", s.error},
                          {"notes", s.notes},
                          {"divergences", divergences}});
  }
  const json out{{"endpoint", r.endpoint},
                 {"server_header", r.server_header},
                 {"adapter", r.adapter},
                 {"seed", r.seed},
                 {"cases_per_suite", r.cases_per_suite},
                 {"started", r.started},
                 {"finished", r.finished},
                 {"version", r.version},
                 {"interrupted", r.interrupted},
                 {"divergences", r.TotalDivergences()},
                 {"cleanup_problems", r.cleanup_problems},
                 {"suites", suites}};
  return out.dump(2) + "\n";
}

}  // namespace coffer::conform
