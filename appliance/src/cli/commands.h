#pragma once
// The `coffer` verbs. Each Run* function receives the arguments after its verb
// (e.g. for `coffer policy eval --action x`, args = {"eval", "--action", "x"}),
// writes to stdout/stderr, and returns the process exit code. Usage errors
// (unknown flag, bad value) print a clear message and return 2.

#include <string>
#include <vector>

namespace coffer::cli {

using Args = std::vector<std::string>;

// coffer serve: appliance/src/cli/serve_command.cc
int RunServe(const Args& args);
// coffer certs generate: appliance/src/cli/certs_command.cc
int RunCerts(const Args& args);
// coffer policy validate|eval: appliance/src/cli/policy_command.cc
int RunPolicy(const Args& args);
// coffer validate|plan|apply|status|seal|unseal: appliance/src/cli/state_command.cc
int RunValidate(const Args& args);
int RunPlan(const Args& args);
int RunApply(const Args& args);
int RunStatus(const Args& args);
int RunSeal(const Args& args);
int RunUnseal(const Args& args);
// coffer admin sts list|revoke: appliance/src/cli/sts_command.cc (args start with "sts")
int RunAdminSts(const Args& args);
// coffer admin user|group|policy|encrypt|anonymous|config|idp (admin_command.cc), and
// admin sts (handed to RunAdminSts).
int RunAdmin(const Args& args);

// coffer kms serve|create|delete|list|rotate|status|identity: appliance/src/cli/kms_command.cc
int RunKms(const Args& args);

// coffer audit tail: appliance/src/cli/audit_command.cc (args start with "tail")
int RunAudit(const Args& args);

}  // namespace coffer::cli
