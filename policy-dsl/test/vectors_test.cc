// Runs the data-driven cases in fixtures/vectors/policy*.toml. Each file has a name, a
// description and [[cases]]; a case either evaluates a request (expect = "allow" | "deny") or
// checks bad input (expect_parse_error, expect_errors). Identity policies come from `policies`
// (JSON texts, named p0, p1...) and `builtins` (MinIO built-in names, named builtin:NAME).

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "coffer/policy/builtin.h"
#include "coffer/policy/explain.h"

#include "test_util.h"

namespace coffer::policy {
namespace {

std::vector<std::string> Strings(const toml::node* node) {
  std::vector<std::string> out;
  if (node == nullptr) return out;
  if (const auto* s = node->as_string()) {
    out.push_back(s->get());
  } else if (const auto* arr = node->as_array()) {
    for (const auto& item : *arr) {
      if (const auto* s2 = item.as_string()) out.push_back(s2->get());
    }
  }
  return out;
}

PolicyKind KindOf(const toml::table& c) {
  const std::string kind = c["kind"].value_or(std::string("identity"));
  if (kind == "bucket") return PolicyKind::kBucket;
  if (kind == "session") return PolicyKind::kSession;
  return PolicyKind::kIdentity;
}

void RunBadInput(const toml::table& c) {
  const std::string text = c["policy"].value_or(std::string());
  auto doc = Parse(text);
  if (const auto want = c["expect_parse_error"].value<std::string>()) {
    ASSERT_FALSE(doc.has_value());
    EXPECT_EQ(doc.error().message(), *want);
    return;
  }
  ASSERT_TRUE(doc.has_value()) << doc.error().ToString();
  std::vector<std::string> got;
  for (const Diagnostic& d : Validate(*doc, {KindOf(c)})) got.push_back(FormatDiagnostic(d, ""));
  EXPECT_EQ(got, Strings(c.get("expect_errors")));
}

std::shared_ptr<const CompiledPolicy> CompileOrFail(const std::string& text, PolicyKind kind,
                                                    const std::string& name) {
  auto compiled = CompileText(text, name, kind);
  EXPECT_TRUE(compiled.has_value()) << name << ": " << compiled.error().ToString();
  return compiled.has_value() ? *compiled : nullptr;
}

void RunEvaluation(const toml::table& c) {
  std::vector<std::shared_ptr<const CompiledPolicy>> owned;
  std::vector<const CompiledPolicy*> identity;
  const std::vector<std::string> texts = Strings(c.get("policies"));
  for (size_t i = 0; i < texts.size(); ++i) {
    owned.push_back(CompileOrFail(texts[i], PolicyKind::kIdentity, "p" + std::to_string(i)));
    ASSERT_NE(owned.back(), nullptr);
    identity.push_back(owned.back().get());
  }
  for (const std::string& name : Strings(c.get("builtins"))) {
    const auto json = BuiltinPolicyJson(name);
    ASSERT_TRUE(json.has_value()) << name;
    owned.push_back(CompileOrFail(std::string(*json), PolicyKind::kIdentity, "builtin:" + name));
    ASSERT_NE(owned.back(), nullptr);
    identity.push_back(owned.back().get());
  }
  PolicySet set;
  set.identity = identity;
  if (const auto text = c["bucket_policy"].value<std::string>()) {
    owned.push_back(CompileOrFail(*text, PolicyKind::kBucket, "bucket"));
    ASSERT_NE(owned.back(), nullptr);
    set.bucket = owned.back().get();
  }
  if (const auto text = c["session_policy"].value<std::string>()) {
    owned.push_back(CompileOrFail(*text, PolicyKind::kSession, "session"));
    ASSERT_NE(owned.back(), nullptr);
    set.session = owned.back().get();
  }
  Context ctx;
  if (const auto* context = c["context"].as_table()) {
    for (const auto& [key, value] : *context) {
      for (const std::string& v : Strings(&value)) ctx.Add(key.str(), v);
    }
  }
  const std::string action = c["action"].value_or(std::string("s3:GetObject"));
  const std::string resource = c["resource"].value_or(std::string());
  const std::string principal = c["principal"].value_or(std::string());
  const Request request{.action = action,
                        .resource = resource,
                        .principal = principal,
                        .anonymous = c["anonymous"].value_or(false),
                        .context = &ctx};
  const Explanation e = Explain(set, request, true);
  const std::string expect = c["expect"].value_or(std::string());
  EXPECT_EQ(e.decision.effect == Effect::kAllow ? "allow" : "deny", expect) << FormatExplanation(e);
  if (const auto reason = c["reason"].value<std::string>()) {
    EXPECT_EQ(ReasonName(e.decision.reason), *reason);
  }
  if (c.contains("deciding")) {
    std::vector<std::string> got;
    for (uint32_t i = 0; i < e.decision.statement_count; ++i) {
      got.push_back(e.decision.statements[i].ToString());
    }
    EXPECT_EQ(got, Strings(c.get("deciding")));
  }
}

TEST(PolicyVectors, AllCasesHold) {
  const std::filesystem::path dir = std::filesystem::path(COFFER_SOURCE_DIR) / "fixtures/vectors";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("policy") && name.ends_with(".toml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  size_t cases = 0;
  for (const auto& file : files) {
    toml::parse_result parsed = toml::parse_file(file.string());
    ASSERT_TRUE(parsed) << file << ": " << parsed.error().description();
    const toml::table& table = parsed.table();
    ASSERT_TRUE(table["name"].is_string()) << file;
    ASSERT_TRUE(table["description"].is_string()) << file;
    const toml::array* list = table["cases"].as_array();
    ASSERT_NE(list, nullptr) << file;
    for (const auto& node : *list) {
      const toml::table& c = *node.as_table();
      SCOPED_TRACE(file.filename().string() + ": " + c["name"].value_or(std::string("?")));
      if (c.contains("expect")) {
        RunEvaluation(c);
      } else {
        RunBadInput(c);
      }
      ++cases;
    }
  }
  std::printf("ran %zu policy vector cases from %zu files\n", cases, files.size());
}

}  // namespace
}  // namespace coffer::policy
