#pragma once
// `coffer-conform` (also `coffer conform`): parses the command line, sets up the run (buckets,
// adapter), runs the chosen suites, cleans up everything it created (also after SIGINT or
// SIGTERM) and writes the report. Exit status: 0 no divergence, 1 divergences, 2 usage,
// 3 a suite or the setup could not run, 130 interrupted.

#include <string>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::conform {

struct Options {
  std::string endpoint;
  std::string plain_endpoint;
  std::string admin_credentials;  // KEY:SECRET or env:A,env:B.
  std::string region = "us-east-1";
  std::string ca_file;
  bool have_seed = false;
  unsigned long long seed = 0;
  int cases = 30;
  std::vector<std::string> suites;
  std::string report_path;
  std::string config_repo;
  std::string seal_key;
  std::string kms_key;
  std::string audit_sink;
  int shrink_budget = 40;
  int timeout_ms = 15000;
};

// Parses argv (without the program name). "help" as the error message means --help.
base::Result<Options> ParseOptions(const std::vector<std::string>& args);

// Resolves "KEY:SECRET" or "env:A,env:B" into (key, secret). Errors: kInvalidArgument naming
// the missing variable, never the secret.
base::Result<std::pair<std::string, std::string>> ResolveAdminCredentials(const std::string& spec);

extern const char* const kUsage;

int Run(const Options& options);

}  // namespace coffer::conform
