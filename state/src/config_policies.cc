// Policies in the repo: inline JSON in a TOML string, a JSON file in the repo, or a TOML
// table. Whatever the form, errors point at the place a person would edit: inside the TOML
// string, or at line:col of the JSON file.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "coffer/state/builtin_policies.h"

#include "loader_internal.h"
#include "policy_bridge.h"

namespace coffer::state::internal {
namespace {

using Json = nlohmann::json;

PolicyUse UseOf(bool bucket) { return bucket ? PolicyUse::kBucket : PolicyUse::kIdentity; }

// Byte index of a 1-based (line, column) in text, clamped to the text.
std::size_t IndexOf(std::string_view text, int line, int column) {
  std::size_t i = 0;
  for (int l = 1; l < line && i < text.size(); ++i) {
    if (text[i] == '\n') ++l;
  }
  return std::min(text.size(), i + static_cast<std::size_t>(std::max(column, 1) - 1));
}

// Where the content of the TOML string starting at `value_at` begins, in the file text.
std::size_t ContentStart(std::string_view text, std::size_t value_at) {
  std::string_view rest = text.substr(value_at);
  std::size_t skip = 1;
  if (rest.starts_with("'''") || rest.starts_with("\"\"\"")) {
    skip = 3;
    // TOML trims a newline right after the opening delimiter of a multi-line string.
    if (rest.substr(3).starts_with("\n")) skip = 4;
    if (rest.substr(3).starts_with("\r\n")) skip = 5;
  }
  return std::min(text.size(), value_at + skip);
}

SourceLocation MapIntoToml(const toml::node& value, std::size_t offset, LoadContext& ctx) {
  SourceLocation where = Where(value.source());
  auto it = ctx.tree->files.find(where.file);
  if (it == ctx.tree->files.end()) return where;
  std::string_view text = it->second;
  std::size_t start = ContentStart(text, IndexOf(text, where.line, where.column));
  // Count lines and columns in the file itself, so multi-line strings map line by line.
  std::string_view prefix = text.substr(0, std::min(text.size(), start + offset));
  auto [line, column] = OffsetToLineColumn(prefix, prefix.size());
  where.line = line;
  where.column = column;
  return where;
}

Json TomlToJson(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    Json obj = Json::object();
    for (auto&& [k, v] : *t) obj[std::string(k.str())] = TomlToJson(v);
    return obj;
  }
  if (const auto* a = node.as_array()) {
    Json arr = Json::array();
    for (const toml::node& v : *a) arr.push_back(TomlToJson(v));
    return arr;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  return Json();  // Dates and times have no JSON form; the checker rejects the null.
}

std::optional<std::string> Finish(PolicyCheck check) {
  if (!check.issues.empty()) return std::nullopt;
  return std::move(check.canonical);
}

std::string Normalize(const std::filesystem::path& p) {
  return p.lexically_normal().generic_string();
}

}  // namespace

std::optional<std::string> CheckPolicyFromString(const toml::node& value, bool bucket,
                                                 LoadContext& ctx) {
  const auto* s = value.as_string();
  if (s == nullptr) {
    ctx.Error(value.source(),
              "policy: expected a JSON string, found " + std::string(TypeName(value.type())));
    return std::nullopt;
  }
  PolicyCheck check = CheckPolicyJson(s->get(), UseOf(bucket));
  for (const PolicyIssue& issue : check.issues) {
    ctx.Error(MapIntoToml(value, issue.offset, ctx), "policy: " + issue.message);
  }
  return Finish(std::move(check));
}

std::optional<std::string> CheckPolicyFromFile(const toml::node& value,
                                               const std::string& toml_file, bool bucket,
                                               LoadContext& ctx) {
  const auto* s = value.as_string();
  if (s == nullptr) {
    ctx.Error(value.source(), "policy file: expected a path string");
    return std::nullopt;
  }
  std::filesystem::path rel(s->get());
  std::string near = Normalize(std::filesystem::path(toml_file).parent_path() / rel);
  std::string root = Normalize(rel);
  auto it = ctx.tree->files.find(near);
  if (it == ctx.tree->files.end()) it = ctx.tree->files.find(root);
  if (rel.is_absolute() || it == ctx.tree->files.end()) {
    ctx.Error(value.source(), "policy file \"" + s->get() + "\" not found in the config repo");
    return std::nullopt;
  }
  PolicyCheck check = CheckPolicyJson(it->second, UseOf(bucket));
  for (const PolicyIssue& issue : check.issues) {
    auto [line, column] = OffsetToLineColumn(it->second, issue.offset);
    ctx.Error(SourceLocation{it->first, line, column}, "policy: " + issue.message);
  }
  return Finish(std::move(check));
}

std::optional<std::string> CheckPolicyFromTable(const toml::node& value, bool bucket,
                                                LoadContext& ctx) {
  std::string json = TomlToJson(value).dump(-1, ' ', false, Json::error_handler_t::replace);
  PolicyCheck check = CheckPolicyJson(json, UseOf(bucket));
  for (const PolicyIssue& issue : check.issues) {
    ctx.Error(value.source(), "policy: " + issue.message);
  }
  return Finish(std::move(check));
}

void LoadPolicies(const toml::table& section, const std::string& file, LoadContext& ctx) {
  for (auto&& [key, node] : section) {
    std::string name(key.str());
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      ctx.Error(node.source(), "policy \"" + name + "\": expected a table");
      continue;
    }
    if (IsBuiltinPolicy(name)) {
      ctx.Error(key.source(), "policy \"" + name + "\" is built in and cannot be redefined");
      continue;
    }
    if (auto it = ctx.state.policies.find(name); it != ctx.state.policies.end()) {
      const SourceLocation& first = it->second.where;
      ctx.Error(key.source(), "duplicate policy \"" + name + "\" (first defined at " + first.file +
                                  ":" + std::to_string(first.line) + ":" +
                                  std::to_string(first.column) + ")");
      continue;
    }
    TableReader r(*table, ctx, "policies." + name);
    const toml::node* json = r.Node("json");
    const toml::node* path = r.Node("file");
    const toml::node* doc = r.Node("document");
    r.Allow("description");
    if (const toml::node* d = table->get("description"); d != nullptr && !d->is_string()) {
      ctx.Error(d->source(), "policies." + name + ".description: expected a string");
    }
    r.Finish();
    int forms = (json != nullptr) + (path != nullptr) + (doc != nullptr);
    if (forms != 1) {
      ctx.Error(key.source(), "policies." + name + ": give exactly one of json, file, document");
      continue;
    }
    std::optional<std::string> canonical =
        json != nullptr   ? CheckPolicyFromString(*json, false, ctx)
        : path != nullptr ? CheckPolicyFromFile(*path, file, false, ctx)
                          : CheckPolicyFromTable(*doc, false, ctx);
    PolicyConfig policy{name, canonical.value_or(""), Where(key.source())};
    // A broken policy is still recorded so references to it are not also reported as dangling.
    ctx.state.policies.emplace(name, std::move(policy));
  }
}

}  // namespace coffer::state::internal
