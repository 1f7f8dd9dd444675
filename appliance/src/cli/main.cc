// `coffer`: one binary, one verb per job. Each verb parses its own flags with
// Boost.Program_options (see commands.h); this file only dispatches.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "heal_command.h"
#include "version.h"

namespace coffer::cli {
namespace {

constexpr const char* kUsage = R"(usage: coffer <command> [options]

Appliance:
  serve      run the S3 appliance (see `coffer serve --help`)
  certs      generate a local CA and server certificate (certs generate)
  heal       scan the erasure set and repair every object (--dry-run to report)
  version    print version, git revision and build type

Desired state (GitOps):
  validate   check a config repo; errors as FILE:LINE:COL: message
  plan       show what apply would change in the IAM store
  apply      apply a config repo to the IAM store in one transaction
  status     show the applied revision, counts, last error and drift
  seal       seal a secret (stdin) to the appliance's public key
  unseal     open a sealed secret with the appliance's private key

Key service:
  kms        KES-compatible key service: kms serve, create|delete|list|rotate|status, identity

Policies:
  policy     validate or evaluate IAM policy documents

Audit:
  audit tail print the file audit target's entries (--user, --bucket, --status, --since)

Administration:
  admin      mc-style verbs that edit the config repo and commit: admin user|group|policy|
             encrypt|anonymous|config|idp (see `coffer admin --help`)
  admin sts  list or revoke STS sessions (admin sts list|revoke --store PATH)

Conformance:
  conform    attack a live S3 endpoint with generated cases and report divergences
             (runs coffer-conform, installed next to coffer; `coffer conform --help`)

Run `coffer <command> --help` for a command's options.
)";

// `coffer conform ...` runs the conformance engine, a separate binary (appliance/ may not depend
// on conformance/): $COFFER_CONFORM_BIN, else coffer-conform beside this executable. Returns only
// when it cannot be started.
int ExecConform(const Args& rest) {
  std::string path;
  if (const char* env = std::getenv("COFFER_CONFORM_BIN"); env != nullptr && *env != '\0') {
    path = env;
  } else {
    std::vector<char> self(4096, '\0');
    const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
    std::string dir = n > 0 ? std::string(self.data(), static_cast<std::size_t>(n)) : "";
    dir = dir.substr(0, dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/') + 1);
    path = dir + "coffer-conform";
  }
  std::vector<std::string> args = {path};
  args.insert(args.end(), rest.begin(), rest.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  std::fprintf(stderr,
               "coffer conform: cannot run %s: %s\n(install coffer-conform next to coffer, or set "
               "COFFER_CONFORM_BIN)\n",
               path.c_str(), std::strerror(errno));
  return 127;
}

int Dispatch(std::string_view verb, const Args& rest) {
  if (verb == "conform") return ExecConform(rest);
  if (verb == "serve") return RunServe(rest);
  if (verb == "certs") return RunCerts(rest);
  if (verb == "heal") return RunHeal(rest);
  if (verb == "version") {
    std::printf("%s\n", VersionLine().c_str());
    return 0;
  }
  if (verb == "policy") return RunPolicy(rest);
  if (verb == "kms") return RunKms(rest);
  if (verb == "audit") return RunAudit(rest);
  if (verb == "admin") return RunAdmin(rest);
  if (verb == "validate") return RunValidate(rest);
  if (verb == "plan") return RunPlan(rest);
  if (verb == "apply") return RunApply(rest);
  if (verb == "status") return RunStatus(rest);
  if (verb == "seal") return RunSeal(rest);
  if (verb == "unseal") return RunUnseal(rest);
  std::fprintf(stderr, "coffer: unknown command '%.*s'\n\n%s", static_cast<int>(verb.size()),
               verb.data(), kUsage);
  return 2;
}

}  // namespace
}  // namespace coffer::cli

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(coffer::cli::kUsage, stderr);
    return 2;
  }
  const std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    std::fputs(coffer::cli::kUsage, stdout);
    return 0;
  }
  if (verb == "--version") {
    std::printf("%s\n", coffer::cli::VersionLine().c_str());
    return 0;
  }
  coffer::cli::Args rest(argv + 2, argv + argc);
  return coffer::cli::Dispatch(verb, rest);
}
