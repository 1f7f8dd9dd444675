// The workloads by name (scenario files name them).

#include <cctype>

#include "coffer/sim/workload.h"

#include "common.h"

namespace coffer::sim {

std::unique_ptr<Workload> MakeWorkload(std::string_view name) {
  if (name == "at-rest") return workloads::MakeAtRest();
  if (name == "audit") return workloads::MakeAudit();
  if (name == "authz") return workloads::MakeAuthz();
  if (name == "credentials") return workloads::MakeCredentials();
  if (name == "durability") return workloads::MakeDurability();
  if (name == "escalation") return workloads::MakeEscalation();
  if (name == "interception") return workloads::MakeInterception();
  if (name == "replay") return workloads::MakeReplay();
  if (name == "rotation") return workloads::MakeRotation();
  return nullptr;
}

void AdjustWorldOptions(std::string_view workload, WorldOptions& options) {
  if (workload == "audit") options.audit_receiver = std::make_shared<SimReceiver>();
  // Every actor a workload may name gets its secret as NAME_SECRET.
  for (const char* user :
       {"alice", "bob", "carol", "dave", "erin", "mallory", "victim", "u0", "u1", "u2", "u3"}) {
    std::string var = user;
    for (char& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    options.secrets.emplace(var + "_SECRET", workloads::SecretOf(user));
  }
  options.secrets.emplace("DOTDOT_SECRET", workloads::SecretOf(".."));
}

}  // namespace coffer::sim
