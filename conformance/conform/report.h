#pragma once
// The run report of `coffer conform`: counts per suite, every divergence with its
// reproduction, the seed and the endpoint's Server header, rendered as Markdown (for people)
// and JSON (for machines). Rendering is pure and deterministic (suites in run order).

#include <string>
#include <vector>

namespace coffer::conform {

struct Divergence {
  std::string title;         // One line: what diverged.
  std::string expected;      // What the model (reference evaluator, SigV4 rules) predicts.
  std::string actual;        // What the server answered.
  std::string reproduction;  // Ready to run: policy JSON and a curl/aws command.
  int shrink_steps = 0;      // Property evaluations spent shrinking it.
};

struct SuiteReport {
  std::string name;
  int cases = 0;    // Generated cases run.
  int checks = 0;   // Requests compared.
  int skipped = 0;  // Checks the endpoint could not be asked (see notes).
  std::vector<std::string> notes;
  std::vector<Divergence> divergences;
  bool error = false;  // The suite could not run (setup failed); see notes.
};

struct RunReport {
  std::string endpoint;
  std::string server_header;
  std::string adapter;  // "generic" or "coffer".
  unsigned long long seed = 0;
  int cases_per_suite = 0;
  std::string started;  // RFC 3339 UTC.
  std::string finished;
  std::string version;
  std::vector<SuiteReport> suites;
  std::vector<std::string> cleanup_problems;
  bool interrupted = false;

  int TotalDivergences() const;
  bool AnyError() const;
};

std::string RenderMarkdown(const RunReport& report);
std::string RenderJson(const RunReport& report);

}  // namespace coffer::conform
