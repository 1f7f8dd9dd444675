#pragma once
// Shared by the config loader's translation units: the error sink, the TOML table reader and
// the per-section parsers. Private to coffer::state.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/state/config.h"

#include "toml_wrapper.h"

namespace coffer::state::internal {

SourceLocation Where(const toml::source_region& region);

// Text that must not reach toml::parse: toml++ 3.3 asserts on it (and, under NDEBUG, assumes
// it away: undefined behaviour). All of it is invalid TOML anyway. Every caller of
// toml::parse in coffer::state checks this first (the loader and the config editor).
struct TomlHazard {
  std::size_t offset;
  std::string_view message;
};
std::optional<TomlHazard> FindTomlHazard(std::string_view text);

// Everything the loader accumulates while it walks the files.
struct LoadContext {
  const ConfigTree* tree = nullptr;
  std::vector<ConfigError> errors;
  DesiredState state;

  void Error(const SourceLocation& where, std::string message) {
    errors.push_back({where, std::move(message)});
  }
  void Error(const toml::source_region& region, std::string message) {
    Error(Where(region), std::move(message));
  }
};

// Reads typed keys from one TOML table, reports wrong types and, at Finish(), unknown keys.
class TableReader {
 public:
  TableReader(const toml::table& table, LoadContext& ctx, std::string context)
      : table_(table), ctx_(ctx), context_(std::move(context)) {}

  const toml::node* Node(std::string_view key);
  std::optional<std::string> String(std::string_view key, bool required = false);
  std::optional<bool> Bool(std::string_view key);
  std::optional<std::int64_t> Int(std::string_view key);
  std::optional<std::vector<std::string>> StringList(std::string_view key);
  // A secret reference; a plain value is an error.
  std::optional<SecretRef> Secret(std::string_view key, bool required = false);
  // Marks a key as known without reading it.
  void Allow(std::string_view key) { used_.insert(std::string(key)); }
  // Reports every key that was never read or allowed.
  void Finish();

  const toml::table& table() const { return table_; }
  const std::string& context() const { return context_; }

 private:
  void TypeError(const toml::node& node, std::string_view key, std::string_view expected);

  const toml::table& table_;
  LoadContext& ctx_;
  std::string context_;
  std::set<std::string, std::less<>> used_;
};

std::string_view TypeName(toml::node_type type);
std::string JsonQuote(std::string_view s);
std::string ToJsonArray(const std::vector<std::string>& values);
std::vector<std::string> SortedUnique(std::vector<std::string> values);

// Section parsers: each adds to ctx.state and ctx.errors. `first_seen` remembers where a name
// was first defined, to report duplicates across files.
void LoadUsers(const toml::table& section, LoadContext& ctx);
void LoadGroups(const toml::table& section, LoadContext& ctx);
void LoadBuckets(const toml::table& section, const std::string& file, LoadContext& ctx);
void LoadPolicies(const toml::table& section, const std::string& file, LoadContext& ctx);
void LoadSettings(const toml::table& table, std::string_view kind, std::string name,
                  LoadContext& ctx);

// Validates policy JSON taken from a TOML string value (errors mapped into the TOML file) or
// from a JSON file (errors inside that file). Returns the canonical JSON, or nullopt.
std::optional<std::string> CheckPolicyFromString(const toml::node& value, bool bucket,
                                                 LoadContext& ctx);
std::optional<std::string> CheckPolicyFromFile(const toml::node& value,
                                               const std::string& toml_file, bool bucket,
                                               LoadContext& ctx);
std::optional<std::string> CheckPolicyFromTable(const toml::node& value, bool bucket,
                                                LoadContext& ctx);

// Cross-object checks: dangling references, built-in name clashes, group membership union.
void CheckReferences(LoadContext& ctx);

}  // namespace coffer::state::internal
