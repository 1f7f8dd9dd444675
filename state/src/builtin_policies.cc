#include "coffer/state/builtin_policies.h"

namespace coffer::state {

const std::vector<BuiltinPolicy>& BuiltinPolicies() {
  // Keys are sorted as nlohmann's dump() sorts them, so these equal their canonical form.
  static const std::vector<BuiltinPolicy> kPolicies = {
      {"admin",
       R"({"Statement":[{"Action":["admin:*"],"Effect":"Allow","Resource":["*"]},)"
       R"({"Action":["kms:*"],"Effect":"Allow","Resource":["*"]},)"
       R"({"Action":["s3:*"],"Effect":"Allow","Resource":["arn:aws:s3:::*"]}],)"
       R"("Version":"2012-10-17"})",
       true},
      {"consoleAdmin",
       R"({"Statement":[{"Action":["admin:*"],"Effect":"Allow","Resource":["*"]},)"
       R"({"Action":["kms:*"],"Effect":"Allow","Resource":["*"]},)"
       R"({"Action":["s3:*"],"Effect":"Allow","Resource":["arn:aws:s3:::*"]}],)"
       R"("Version":"2012-10-17"})",
       true},
      {"diagnostics",
       R"({"Statement":[{"Action":["admin:BandwidthMonitor","admin:ConsoleLog",)"
       R"("admin:OBDInfo","admin:Profiling","admin:Prometheus","admin:ServerInfo",)"
       R"("admin:ServerTrace","admin:TopLocksInfo"],"Effect":"Allow","Resource":["*"]}],)"
       R"("Version":"2012-10-17"})",
       false},
      {"readonly",
       R"({"Statement":[{"Action":["s3:GetBucketLocation","s3:GetObject"],"Effect":"Allow",)"
       R"("Resource":["arn:aws:s3:::*"]}],"Version":"2012-10-17"})",
       false},
      {"readwrite",
       R"({"Statement":[{"Action":["s3:*"],"Effect":"Allow","Resource":["arn:aws:s3:::*"]}],)"
       R"("Version":"2012-10-17"})",
       false},
      {"writeonly",
       R"({"Statement":[{"Action":["s3:PutObject"],"Effect":"Allow",)"
       R"("Resource":["arn:aws:s3:::*"]}],"Version":"2012-10-17"})",
       false},
  };
  return kPolicies;
}

bool IsBuiltinPolicy(std::string_view name) {
  for (const BuiltinPolicy& p : BuiltinPolicies()) {
    if (p.name == name) return true;
  }
  return false;
}

}  // namespace coffer::state
