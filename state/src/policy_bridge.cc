#include "policy_bridge.h"

#include <charconv>

#include "coffer/policy/compile.h"
#include "coffer/policy/parse.h"
#include "coffer/policy/validate.h"

// The one place coffer::state calls the policy language: parse (with positions), validate,
// print canonically, compile. Positions come back as line:col and are turned into byte
// offsets so callers can map them into whatever file holds the JSON.

namespace coffer::state::internal {
namespace {

policy::PolicyKind KindOf(PolicyUse use) {
  return use == PolicyUse::kBucket ? policy::PolicyKind::kBucket : policy::PolicyKind::kIdentity;
}

std::size_t LineColumnToOffset(std::string_view text, std::uint32_t line, std::uint32_t col) {
  if (line == 0) return 0;
  std::size_t i = 0;
  for (std::uint32_t l = 1; l < line && i < text.size(); ++i) {
    if (text[i] == '\n') ++l;
  }
  return std::min(text.size(), i + (col > 0 ? col - 1 : 0));
}

// Parse errors read "LINE:COL: message".
PolicyIssue FromParseError(std::string_view text, const std::string& message) {
  std::uint32_t line = 0, col = 0;
  const char* p = message.data();
  const char* end = message.data() + message.size();
  auto r1 = std::from_chars(p, end, line);
  if (r1.ec == std::errc() && r1.ptr < end && *r1.ptr == ':') {
    auto r2 = std::from_chars(r1.ptr + 1, end, col);
    if (r2.ec == std::errc() && r2.ptr + 2 <= end && r2.ptr[0] == ':' && r2.ptr[1] == ' ') {
      return {LineColumnToOffset(text, line, col), std::string(r2.ptr + 2, end)};
    }
  }
  return {0, message};
}

}  // namespace

PolicyCheck CheckPolicyJson(std::string_view json, PolicyUse use) {
  PolicyCheck out;
  base::Result<policy::Document> doc = policy::Parse(json);
  if (!doc.has_value()) {
    out.issues.push_back(FromParseError(json, doc.error().message()));
    return out;
  }
  for (const policy::Diagnostic& d : policy::Validate(*doc, {KindOf(use)})) {
    std::string message = d.path.empty() ? d.message : d.path + ": " + d.message;
    out.issues.push_back({LineColumnToOffset(json, d.pos.line, d.pos.col), std::move(message)});
  }
  if (out.issues.empty()) out.canonical = policy::Print(*doc);
  return out;
}

std::shared_ptr<const policy::CompiledPolicy> CompilePolicy(std::string_view canonical_json,
                                                            std::string_view name, PolicyUse use) {
  base::Result<std::shared_ptr<const policy::CompiledPolicy>> compiled =
      policy::CompileText(canonical_json, std::string(name), KindOf(use));
  if (!compiled.has_value()) return nullptr;
  return *std::move(compiled);
}

std::pair<int, int> OffsetToLineColumn(std::string_view text, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace coffer::state::internal
