// `coffer policy validate FILE...` and `coffer policy eval ...`: the policy-dsl library on the
// command line. Reading files is the CLI's job; the library itself never does I/O.

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "coffer/core/admin/policy_simulation.h"
#include "coffer/policy/builtin.h"
#include "coffer/policy/compile.h"
#include "coffer/policy/evaluate.h"
#include "coffer/policy/explain.h"
#include "coffer/policy/parse.h"
#include "coffer/policy/validate.h"

#include "commands.h"
#include "options.h"

namespace coffer::cli {
namespace {

using policy::PolicyKind;

constexpr std::string_view kBuiltinPrefix = "builtin:";

// Returns the text of a policy file or built-in, or nullopt after printing why not.
std::optional<std::string> LoadPolicyText(const std::string& source) {
  if (source.starts_with(kBuiltinPrefix)) {
    const auto json = policy::BuiltinPolicyJson(source.substr(kBuiltinPrefix.size()));
    if (!json) {
      std::fprintf(stderr, "%s: no such built-in policy\n", source.c_str());
      return std::nullopt;
    }
    return std::string(*json);
  }
  std::ifstream in(source, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read file\n", source.c_str());
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool NamesPrincipal(const policy::Document& doc) {
  for (const policy::Statement& st : doc.statements) {
    if (st.principal || st.not_principal) return true;
  }
  return false;
}

std::optional<PolicyKind> KindFromName(const std::string& name, const policy::Document& doc) {
  if (name == "identity") return PolicyKind::kIdentity;
  if (name == "bucket") return PolicyKind::kBucket;
  if (name == "session") return PolicyKind::kSession;
  if (name == "auto") return NamesPrincipal(doc) ? PolicyKind::kBucket : PolicyKind::kIdentity;
  return std::nullopt;
}

// Validates one file; prints FILE:LINE:COL: message per problem. Returns true when valid.
bool ValidateOne(const std::string& file, const std::string& kind_name) {
  const std::optional<std::string> text = LoadPolicyText(file);
  if (!text) return false;
  auto doc = policy::Parse(*text);
  if (!doc.has_value()) {
    std::printf("%s:%s\n", file.c_str(), doc.error().message().c_str());
    return false;
  }
  const std::optional<PolicyKind> kind = KindFromName(kind_name, *doc);
  if (!kind) {
    std::fprintf(stderr, "unknown --kind %s (identity, bucket, session, auto)\n",
                 kind_name.c_str());
    return false;
  }
  const std::vector<policy::Diagnostic> diagnostics = policy::Validate(*doc, {*kind});
  for (const policy::Diagnostic& d : diagnostics) {
    std::printf("%s\n", policy::FormatDiagnostic(d, file).c_str());
  }
  return diagnostics.empty();
}

int RunPolicyValidate(const Args& args) {
  po::options_description desc("coffer policy validate FILE...");
  std::vector<std::string> files;
  std::string kind;
  desc.add_options()("file", po::value(&files)->multitoken(), "policy JSON files")(
      "kind", po::value(&kind)->default_value("auto"),
      "identity, bucket, session, or auto (bucket when a statement names a Principal)");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer policy validate", desc, args, vm, "file")) return *exit;
  if (files.empty()) {
    std::fprintf(stderr, "coffer policy validate: no files given\n");
    return 2;
  }
  bool all_valid = true;
  for (const std::string& file : files) all_valid = ValidateOne(file, kind) && all_valid;
  return all_valid ? 0 : 1;
}

std::shared_ptr<const policy::CompiledPolicy> LoadCompiled(const std::string& source,
                                                           PolicyKind kind) {
  const std::optional<std::string> text = LoadPolicyText(source);
  if (!text) return nullptr;
  auto compiled = policy::CompileText(*text, source, kind);
  if (!compiled.has_value()) {
    std::fprintf(stderr, "%s:%s\n", source.c_str(), compiled.error().message().c_str());
    return nullptr;
  }
  return *compiled;
}

struct EvalFlags {
  std::vector<std::string> policies;
  std::string bucket_policy;
  std::string session_policy;
  std::string action;
  std::string resource;
  std::string principal;
  bool anonymous = false;
  bool brief = false;
  std::vector<std::string> context;
};

// Parses the --context KEY=VALUE pairs (the simulator adds aws:username/aws:userid from
// --principal unless given).
std::optional<std::vector<std::pair<std::string, std::string>>> ParseContext(
    const EvalFlags& flags) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& pair : flags.context) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "--context %s: expected KEY=VALUE\n", pair.c_str());
      return std::nullopt;
    }
    pairs.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return pairs;
}

int Evaluate(const EvalFlags& flags) {
  std::vector<std::shared_ptr<const policy::CompiledPolicy>> owned;
  std::vector<const policy::CompiledPolicy*> identity;
  for (const std::string& source : flags.policies) {
    owned.push_back(LoadCompiled(source, PolicyKind::kIdentity));
    if (owned.back() == nullptr) return 2;
    identity.push_back(owned.back().get());
  }
  policy::PolicySet set;
  set.identity = identity;
  if (!flags.bucket_policy.empty()) {
    owned.push_back(LoadCompiled(flags.bucket_policy, PolicyKind::kBucket));
    if (owned.back() == nullptr) return 2;
    set.bucket = owned.back().get();
  }
  if (!flags.session_policy.empty()) {
    owned.push_back(LoadCompiled(flags.session_policy, PolicyKind::kSession));
    if (owned.back() == nullptr) return 2;
    set.session = owned.back().get();
  }
  auto pairs = ParseContext(flags);
  if (!pairs) return 2;
  // The admin API's policy simulator runs the same code (issue #16: the
  // console's answers must equal this command's).
  core::admin::SimulationInput input;
  input.identity = identity;
  input.bucket = set.bucket;
  input.session = set.session;
  input.action = flags.action;
  input.resource = flags.resource;
  input.principal = flags.principal;
  input.anonymous = flags.anonymous;
  input.context = *std::move(pairs);
  input.all_statements = !flags.brief;
  const policy::Explanation explanation = core::admin::Simulate(input);
  std::fputs(policy::FormatExplanation(explanation).c_str(), stdout);
  return 0;
}

int RunPolicyEval(const Args& args) {
  po::options_description desc("coffer policy eval");
  EvalFlags flags;
  desc.add_options()("policy", po::value(&flags.policies)->composing(),
                     "identity policy file or builtin:NAME (repeatable)")(
      "bucket-policy", po::value(&flags.bucket_policy), "bucket policy file")(
      "session-policy", po::value(&flags.session_policy), "STS session policy file")(
      "action", po::value(&flags.action)->required(), "action, e.g. s3:GetObject")(
      "resource", po::value(&flags.resource)->required(), "resource ARN")(
      "principal", po::value(&flags.principal), "user name or access key")(
      "anonymous", po::bool_switch(&flags.anonymous), "evaluate as an anonymous request")(
      "brief", po::bool_switch(&flags.brief), "explain only the deciding statements")(
      "context", po::value(&flags.context)->composing(), "condition key KEY=VALUE (repeatable)");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer policy eval", desc, args, vm)) return *exit;
  return Evaluate(flags);
}

}  // namespace

int RunPolicy(const Args& args) {
  static constexpr const char* kUsage =
      "usage: coffer policy validate FILE...\n"
      "       coffer policy eval --policy FILE|builtin:NAME ... --action A --resource ARN\n";
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "validate") return RunPolicyValidate(rest);
  if (args[0] == "eval") return RunPolicyEval(rest);
  if (args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "coffer policy: unknown subcommand '%s'\n%s", args[0].c_str(), kUsage);
  return 2;
}

}  // namespace coffer::cli
