#include "policy_bridge.h"

#include <nlohmann/json.hpp>

#include <set>

// The interim checker: structural IAM rules enough to reject typos and wrong shapes. It is
// replaced by coffer::policy's parse + validate when that library lands (TODO(#4)).

namespace coffer::state::internal {
namespace {

using Json = nlohmann::json;

// Records the byte offset of a JSON syntax error; builds nothing.
class ErrorOffsetSax : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception&) override {
    offset = position > 0 ? position - 1 : 0;
    token = last_token;
    return false;
  }
  std::size_t offset = 0;
  std::string token;
};

class Checker {
 public:
  Checker(std::string_view text, PolicyUse use) : text_(text), use_(use) {}

  void Add(std::string_view needle, std::string message) {
    std::size_t at = needle.empty() ? 0 : text_.find(needle);
    issues.push_back({at == std::string_view::npos ? 0 : at, std::move(message)});
  }

  void CheckStrings(const Json& value, std::string_view key, bool (*ok)(const std::string&)) {
    std::string needle = "\"" + std::string(key) + "\"";
    if (value.is_string()) {
      if (!ok(value.get<std::string>())) Add(needle, "invalid " + std::string(key) + " value");
      return;
    }
    if (!value.is_array() || value.empty()) {
      Add(needle, std::string(key) + " must be a string or a non-empty array of strings");
      return;
    }
    for (const Json& v : value) {
      if (!v.is_string() || !ok(v.get<std::string>())) {
        Add(needle, "invalid " + std::string(key) + " value");
        return;
      }
    }
  }

  void CheckStatement(const Json& st);
  void CheckDocument(const Json& doc);

  std::vector<PolicyIssue> issues;

 private:
  std::string_view text_;
  PolicyUse use_;
};

bool ValidAction(const std::string& a) {
  if (a == "*") return true;
  for (std::string_view prefix : {"s3:", "admin:", "sts:", "kms:"}) {
    if (a.size() > prefix.size() && a.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

bool ValidResource(const std::string& r) {
  return r == "*" || (r.rfind("arn:aws:s3:::", 0) == 0 && r.size() > 13) ||
         r.rfind("arn:minio:", 0) == 0;
}

bool AnyString(const std::string&) { return true; }

void Checker::CheckStatement(const Json& st) {
  static constexpr std::string_view kKeys[] = {"Sid",      "Effect",      "Action",
                                               "NotAction", "Resource",   "NotResource",
                                               "Principal", "NotPrincipal", "Condition"};
  if (!st.is_object()) return Add("\"Statement\"", "each statement must be an object");
  for (const auto& [k, v] : st.items()) {
    bool known = false;
    for (std::string_view key : kKeys) known = known || key == k;
    if (!known) Add("\"" + k + "\"", "unknown statement key \"" + k + "\"");
  }
  auto effect = st.find("Effect");
  if (effect == st.end()) {
    Add("\"Statement\"", "statement has no Effect");
  } else if (!effect->is_string() || (*effect != "Allow" && *effect != "Deny")) {
    Add("\"Effect\"", "Effect must be \"Allow\" or \"Deny\"");
  }
  bool has_action = st.contains("Action"), has_not_action = st.contains("NotAction");
  if (has_action == has_not_action) Add("\"Statement\"", "statement needs one of Action, NotAction");
  if (has_action) CheckStrings(st["Action"], "Action", ValidAction);
  if (has_not_action) CheckStrings(st["NotAction"], "NotAction", ValidAction);
  bool has_res = st.contains("Resource"), has_not_res = st.contains("NotResource");
  if (has_res && has_not_res) Add("\"NotResource\"", "Resource and NotResource are exclusive");
  if (!has_res && !has_not_res) Add("\"Statement\"", "statement needs Resource or NotResource");
  if (has_res) CheckStrings(st["Resource"], "Resource", ValidResource);
  if (has_not_res) CheckStrings(st["NotResource"], "NotResource", ValidResource);
  bool has_principal = st.contains("Principal") || st.contains("NotPrincipal");
  if (use_ == PolicyUse::kIdentity && has_principal) {
    Add("\"Principal\"", "an identity policy must not name a Principal");
  }
  if (use_ == PolicyUse::kBucket && !has_principal) {
    Add("\"Statement\"", "a bucket policy statement needs a Principal");
  }
  if (st.contains("Condition") && !st["Condition"].is_object()) {
    Add("\"Condition\"", "Condition must be an object");
  }
  if (st.contains("Sid")) CheckStrings(st["Sid"], "Sid", AnyString);
}

void Checker::CheckDocument(const Json& doc) {
  if (!doc.is_object()) return Add("", "a policy must be a JSON object");
  for (const auto& [k, v] : doc.items()) {
    if (k != "Version" && k != "Id" && k != "Statement") {
      Add("\"" + k + "\"", "unknown policy key \"" + k + "\"");
    }
  }
  auto version = doc.find("Version");
  if (version == doc.end()) {
    Add("", "policy has no Version");
  } else if (*version != "2012-10-17" && *version != "2008-10-17") {
    Add("\"Version\"", "Version must be \"2012-10-17\" or \"2008-10-17\"");
  }
  auto statements = doc.find("Statement");
  if (statements == doc.end()) return Add("", "policy has no Statement");
  if (statements->is_object()) return CheckStatement(*statements);
  if (!statements->is_array() || statements->empty()) {
    return Add("\"Statement\"", "Statement must be an object or a non-empty array");
  }
  for (const Json& st : *statements) CheckStatement(st);
}

}  // namespace

PolicyCheck CheckPolicyJson(std::string_view json, PolicyUse use) {
  PolicyCheck out;
  ErrorOffsetSax sax;
  if (!Json::sax_parse(json, &sax, nlohmann::detail::input_format_t::json, true, false)) {
    out.issues.push_back({std::min(sax.offset, json.size()),
                          "invalid JSON near '" + sax.token.substr(0, 20) + "'"});
    return out;
  }
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    out.issues.push_back({0, "invalid JSON"});
    return out;
  }
  Checker checker(json, use);
  checker.CheckDocument(doc);
  out.issues = std::move(checker.issues);
  out.canonical = doc.dump(-1, ' ', false, Json::error_handler_t::replace);
  return out;
}

std::shared_ptr<const void> CompilePolicy(std::string_view) { return nullptr; }

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
