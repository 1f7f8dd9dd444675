// The validator reports every problem in a document, each with its position and JSON path.

#include <algorithm>
#include <map>
#include <string>

#include "coffer/policy/validate.h"

#include "catalog.h"
#include "condition/condition.h"
#include "pattern.h"

namespace coffer::policy {
namespace {

using internal::OpFamily;

constexpr std::string_view kVersion2012 = "2012-10-17";
constexpr std::string_view kVersion2008 = "2008-10-17";
constexpr std::string_view kS3ArnPrefix = "arn:aws:s3:::";

class Checker {
 public:
  Checker(std::vector<Diagnostic>& out, PolicyKind kind, bool variables)
      : out_(out), kind_(kind), variables_(variables) {}

  void Statement(const policy::Statement& st) {
    if (st.empty_object) {
      Error(st.pos, st.path, "empty statement");
      return;
    }
    Sid(st);
    Effect(st);
    Principals(st);
    Actions(st);
    Resources(st);
    for (const ConditionEntry& entry : st.conditions) Condition(st, entry);
  }

 private:
  void Error(SourcePos pos, const std::string& path, std::string message) {
    out_.push_back({pos, path, std::move(message)});
  }

  void Variables(const Text& text, const std::string& path) {
    if (!variables_) return;
    const auto refs = internal::FindVariables(text.value);
    for (const internal::VariableRef& ref : refs) {
      if (!internal::IsKnownConditionKey(ref.name)) {
        Error(text.pos, path, "unknown policy variable ${" + std::string(ref.name) + "}");
      }
    }
    if (refs.size() > internal::Pattern::kMaxVariables) {
      Error(text.pos, path, "more than 8 policy variables in one string");
    }
  }

  void Sid(const policy::Statement& st) {
    if (!st.sid) return;
    const auto [it, inserted] = sids_.emplace(st.sid->value, st.sid->pos);
    if (!inserted) {
      Error(st.sid->pos, st.path + ".Sid",
            "duplicate Sid \"" + st.sid->value + "\" (first at " + std::to_string(it->second.line) +
                ":" + std::to_string(it->second.col) + ")");
    }
  }

  void Effect(const policy::Statement& st) {
    if (!st.effect) {
      Error(st.pos, st.path, "missing Effect");
    } else if (st.effect->value != "Allow" && st.effect->value != "Deny") {
      Error(st.effect->pos, st.path + ".Effect",
            "Effect must be \"Allow\" or \"Deny\", not \"" + st.effect->value + "\"");
    }
  }

  void PrincipalBlock(const policy::PrincipalBlock& block, const std::string& path) {
    for (const Text& type : block.other_types) {
      Error(type.pos, path, "unsupported principal type \"" + type.value + "\"; use \"AWS\"");
    }
    if (!block.wildcard && block.aws.empty() && block.other_types.empty()) {
      Error(block.pos, path, "principal names no one");
    }
    for (const Text& name : block.aws) {
      if (name.value.empty()) Error(name.pos, path + ".AWS", "empty principal name");
    }
  }

  void Principals(const policy::Statement& st) {
    const bool has = st.principal.has_value();
    const bool has_not = st.not_principal.has_value();
    if (kind_ != PolicyKind::kBucket) {
      if (has) Error(st.principal->pos, st.path + ".Principal", Kindly("Principal"));
      if (has_not) Error(st.not_principal->pos, st.path + ".NotPrincipal", Kindly("NotPrincipal"));
      return;
    }
    if (has && has_not) {
      Error(st.pos, st.path, "statement has both Principal and NotPrincipal");
    } else if (!has && !has_not) {
      Error(st.pos, st.path, "bucket policy statement needs a Principal or NotPrincipal");
    }
    if (has) PrincipalBlock(*st.principal, st.path + ".Principal");
    if (has_not) PrincipalBlock(*st.not_principal, st.path + ".NotPrincipal");
  }

  static std::string Kindly(std::string_view key) {
    return std::string(key) + " is only allowed in bucket policies";
  }

  void Actions(const policy::Statement& st) {
    if (st.action && st.not_action) {
      Error(st.not_action->pos, st.path + ".NotAction", "statement has both Action and NotAction");
    } else if (!st.action && !st.not_action) {
      Error(st.pos, st.path, "missing Action or NotAction");
    }
    for (const auto* list : {&st.action, &st.not_action}) {
      if (!list->has_value()) continue;
      const std::string path = st.path + (list == &st.action ? ".Action" : ".NotAction");
      if ((*list)->items.empty()) Error((*list)->pos, path, "empty action list");
      for (size_t i = 0; i < (*list)->items.size(); ++i) {
        const Text& action = (*list)->items[i];
        if (!internal::ActionPatternIsKnown(action.value)) {
          Error(action.pos, path + "[" + std::to_string(i) + "]",
                "unknown action \"" + action.value + "\"");
        }
      }
    }
  }

  static bool MayNameS3Action(const policy::Statement& st) {
    if (st.not_action) return true;
    if (!st.action) return false;
    return std::any_of(st.action->items.begin(), st.action->items.end(), [](const Text& a) {
      return a.value.starts_with("*") || internal::StartsWithIgnoreCase(a.value, "s3");
    });
  }

  void Resource(const Text& resource, const std::string& path) {
    if (resource.value == "*") return;
    const std::string_view v = resource.value;
    if (!v.starts_with(kS3ArnPrefix) || v.size() == kS3ArnPrefix.size() ||
        v[kS3ArnPrefix.size()] == '/') {
      Error(
          resource.pos, path,
          "malformed resource ARN \"" + resource.value + "\"; expected arn:aws:s3:::BUCKET[/KEY]");
      return;
    }
    Variables(resource, path);
  }

  void Resources(const policy::Statement& st) {
    if (st.resource && st.not_resource) {
      Error(st.not_resource->pos, st.path + ".NotResource",
            "statement has both Resource and NotResource");
    } else if (!st.resource && !st.not_resource && MayNameS3Action(st)) {
      Error(st.pos, st.path, "missing Resource or NotResource for s3 actions");
    }
    for (const auto* list : {&st.resource, &st.not_resource}) {
      if (!list->has_value()) continue;
      const std::string path = st.path + (list == &st.resource ? ".Resource" : ".NotResource");
      if ((*list)->items.empty()) Error((*list)->pos, path, "empty resource list");
      for (size_t i = 0; i < (*list)->items.size(); ++i) {
        Resource((*list)->items[i], path + "[" + std::to_string(i) + "]");
      }
    }
  }

  void ConditionValue(OpFamily family, const Text& value, const std::string& path) {
    const std::string& v = value.value;
    std::string problem;
    switch (family) {
      case OpFamily::kNumeric:
        if (!internal::ParseNumber(v)) problem = "bad number";
        break;
      case OpFamily::kDate:
        if (!internal::ParseDateMillis(v)) problem = "bad date (want ISO 8601 or epoch seconds)";
        break;
      case OpFamily::kBool:
      case OpFamily::kNull:
        if (!internal::ParseBool(v)) problem = "bad boolean (want \"true\" or \"false\")";
        break;
      case OpFamily::kIpAddress:
        if (!internal::ParseCidr(v)) problem = "bad CIDR";
        break;
      case OpFamily::kBinaryEquals:
        if (!internal::IsBase64(v)) problem = "bad base64 value";
        break;
      case OpFamily::kArnEquals:
      case OpFamily::kArnLike: {
        std::array<std::string_view, 6> parts;
        if (!internal::SplitArn(v, variables_, parts)) problem = "malformed ARN";
        Variables(value, path);
        break;
      }
      default:
        Variables(value, path);
    }
    if (!problem.empty()) Error(value.pos, path, problem + " \"" + v + "\"");
  }

  void Condition(const policy::Statement& st, const ConditionEntry& entry) {
    const std::string op_path = st.path + ".Condition." + entry.op.value;
    const auto op = internal::ParseOperator(entry.op.value);
    if (!op) {
      Error(entry.op.pos, op_path, "unknown condition operator \"" + entry.op.value + "\"");
    }
    const std::string key_path = op_path + "." + entry.key.value;
    if (!internal::IsKnownConditionKey(entry.key.value)) {
      Error(entry.key.pos, key_path, "unknown condition key \"" + entry.key.value + "\"");
    }
    if (entry.values.items.empty()) Error(entry.values.pos, key_path, "condition has no values");
    if (!op) return;
    for (const Text& value : entry.values.items) ConditionValue(op->family, value, key_path);
  }

  std::vector<Diagnostic>& out_;
  PolicyKind kind_;
  bool variables_;
  std::map<std::string, SourcePos> sids_;
};

}  // namespace

std::vector<Diagnostic> Validate(const Document& document, const ValidateOptions& options) {
  std::vector<Diagnostic> out = document.shape_errors;
  const bool variables = document.version && document.version->value == kVersion2012;
  if (document.version && document.version->value != kVersion2012 &&
      document.version->value != kVersion2008) {
    out.push_back({document.version->pos, "Version",
                   "unknown Version \"" + document.version->value +
                       "\"; use \"2012-10-17\" or \"2008-10-17\""});
  }
  if (!document.has_statement) {
    out.push_back({{1, 1}, "", "policy has no Statement"});
  } else if (document.statements.empty()) {
    out.push_back({document.statement_pos, "Statement", "Statement is empty"});
  }
  Checker checker(out, options.kind, variables);
  for (const Statement& st : document.statements) checker.Statement(st);
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.col < b.pos.col;
  });
  return out;
}

}  // namespace coffer::policy
