#pragma once
// Targeted edits of a config repo's TOML files, as `coffer admin` makes them: set or remove
// one key of one [table], add a table, remove a table. Each edit rewrites only the lines of
// the key or table it names; every other byte of the file (comments, blank lines, key order,
// quoting) stays as the operator wrote it, so a commit made by a tool reads like one made by
// hand. Positions come from toml++'s source regions.
//
// Tables are addressed by their path ({"users", "alice"} is [users.alice]). Only tables that
// have their own [header] line can be edited; a table written inline or through dotted keys
// is refused with kFailedPrecondition naming FILE:LINE, so the operator edits it by hand.
//
// ConfigEditor works on an in-memory ConfigTree (config.h); nothing here touches the disk.
// Not thread-safe; cheap to copy.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/state/config.h"

namespace coffer::state {

using TablePath = std::vector<std::string>;

// TOML text for values and keys. Strings are basic strings with escapes; a key is bare when
// it is [A-Za-z0-9_-]+, quoted otherwise.
std::string TomlString(std::string_view value);
std::string TomlStringArray(const std::vector<std::string>& values);
std::string TomlKey(std::string_view key);
// "[users.alice]" for {"users", "alice"}.
std::string TomlHeader(const TablePath& path);

class ConfigEditor {
 public:
  explicit ConfigEditor(ConfigTree tree) : tree_(std::move(tree)) {}

  const ConfigTree& tree() const { return tree_; }
  // Repo-relative paths of every file an edit created, changed or deleted, sorted.
  const std::set<std::string>& touched() const { return touched_; }

  // The file whose [header] defines `table`, or nullopt when no file has that header.
  std::optional<std::string> FileOf(const TablePath& table) const;
  // Names of the tables directly under `parent` that have their own header
  // (e.g. the user names for {"users"}), sorted.
  std::vector<std::string> ChildTables(const TablePath& parent) const;
  // The file new [parent.X] tables go to: the file holding most such tables already (the
  // first in path order on a tie), else `fallback`.
  std::string FileForKind(const TablePath& parent, const std::string& fallback) const;

  // The value of `key` in `table`, as its TOML source text, or nullopt when absent.
  std::optional<std::string> ValueText(const TablePath& table, std::string_view key) const;
  // The string under `key`, or nullopt when absent or not a string.
  std::optional<std::string> StringValue(const TablePath& table, std::string_view key) const;
  // The string list under `key`, empty when absent. kFailedPrecondition when it is not a list
  // of strings.
  base::Result<std::vector<std::string>> StringList(const TablePath& table,
                                                    std::string_view key) const;
  // The keys of `table` (direct key = value pairs only), in file order.
  std::vector<std::string> Keys(const TablePath& table) const;

  // Sets `key` to `value_toml` (already TOML text, e.g. TomlString(x)). An existing value is
  // replaced in place (its key, spacing and trailing comment kept); a new key goes on the line
  // after the table's last key. kNotFound when the table has no header in any file.
  base::Status SetKey(const TablePath& table, std::string_view key, std::string_view value_toml);
  // Removes the line(s) of `key`. Removing an absent key is not an error.
  base::Status RemoveKey(const TablePath& table, std::string_view key);
  // Appends "[table]" and its keys at the end of `file` (created when missing), after one
  // blank line. kAlreadyExists when a file already defines the table.
  base::Status AddTable(const std::string& file, const TablePath& table,
                        const std::vector<std::pair<std::string, std::string>>& keys);
  // Removes the table's header and keys, its sub-tables ([table.x]) that follow it, and the
  // comment lines directly above its header. Removing an absent table is not an error.
  base::Status RemoveTable(const TablePath& table);
  // Replaces a whole file (JSON policy documents); an empty optional deletes it.
  void PutFile(const std::string& file, std::optional<std::string> content);

 private:
  base::Status Replace(const std::string& file, std::string text);

  ConfigTree tree_;
  std::set<std::string> touched_;
};

}  // namespace coffer::state
