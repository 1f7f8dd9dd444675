// MinIO's canned policies. The statements follow MinIO's policy package (readonly, readwrite,
// writeonly, diagnostics, consoleAdmin); MinIO's resource "*" is written as arn:aws:s3:::*.

#include "coffer/policy/builtin.h"

namespace coffer::policy {
namespace {

struct Builtin {
  std::string_view name;
  std::string_view json;
};

constexpr Builtin kBuiltins[] = {
    {"readonly",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
     R"("Action":["s3:GetBucketLocation","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]})"},
    {"readwrite", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],)"
                  R"("Resource":["arn:aws:s3:::*"]}]})"},
    {"writeonly",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],)"
     R"("Resource":["arn:aws:s3:::*"]}]})"},
    {"diagnostics",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:Profiling",)"
     R"("admin:ServerTrace","admin:ConsoleLog","admin:ServerInfo","admin:TopLocksInfo",)"
     R"("admin:OBDInfo","admin:BandwidthMonitor","admin:Prometheus"],)"
     R"("Resource":["arn:aws:s3:::*"]}]})"},
    {"consoleAdmin",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]},)"
     R"({"Effect":"Allow","Action":["kms:*"]},)"
     R"({"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]})"},
};

constexpr std::string_view kNames[] = {"readonly", "readwrite", "writeonly", "diagnostics",
                                       "consoleAdmin"};

}  // namespace

std::optional<std::string_view> BuiltinPolicyJson(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return b.json;
  }
  return std::nullopt;
}

std::span<const std::string_view> BuiltinPolicyNames() { return kNames; }

}  // namespace coffer::policy
