// libFuzzer target for the config repo editor behind `coffer admin`
// (state/config_edit.h): any TOML text, then a script of edits drawn from the
// rest of the input. Properties: no crash, no sanitizer report, no hang; an
// edit that succeeds does what it says, read back through a FRESH editor (so
// the edited file must still parse): a key set to TomlString(v) reads back as
// exactly v whatever bytes v holds (quotes, backslashes, newlines, control
// characters, invalid UTF-8 are escaped or refused, never written raw), a
// removed key or table is gone, an added table is found in its file.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "coffer/state/config_edit.h"

namespace {

using coffer::state::ConfigEditor;
using coffer::state::TablePath;

// The edited files, printed when a property fails (to read a reproduction).
const ConfigEditor* g_editor = nullptr;

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "config_edit_fuzz: property failed: %s\n", what);
    if (g_editor != nullptr) {
      for (const auto& [name, text] : g_editor->tree().files) {
        std::fprintf(stderr, "--- %s (%zu bytes)\n%s\n", name.c_str(), text.size(), text.c_str());
      }
    }
    std::abort();
  }
}

constexpr const char* kKinds[] = {"users", "groups", "policies", "buckets", "audit"};

TablePath PickTable(FuzzedDataProvider& in, const ConfigEditor& editor) {
  TablePath parent = {kKinds[in.ConsumeIntegralInRange<std::size_t>(0, 4)]};
  std::vector<std::string> existing = editor.ChildTables(parent);
  std::string name;
  if (!existing.empty() && in.ConsumeBool()) {
    name = existing[in.ConsumeIntegralInRange<std::size_t>(0, existing.size() - 1)];
  } else {
    name = in.ConsumeRandomLengthString(16);
  }
  parent.push_back(std::move(name));
  return parent;
}

std::optional<std::string> ReadBack(const ConfigEditor& editor, const TablePath& table,
                                    const std::string& key) {
  const ConfigEditor fresh(editor.tree());
  return fresh.StringValue(table, key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  coffer::state::ConfigTree tree;
  tree.files["a.toml"] = in.ConsumeRandomLengthString(4096);
  ConfigEditor editor(std::move(tree));
  g_editor = &editor;
  for (int step = 0; step < 8 && in.remaining_bytes() > 0; ++step) {
    const TablePath table = PickTable(in, editor);
    const std::string key = in.ConsumeRandomLengthString(12);
    const std::string value = in.ConsumeRandomLengthString(32);
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 0:
        if (editor.SetKey(table, key, coffer::state::TomlString(value)).has_value()) {
          Require(ReadBack(editor, table, key) == value, "SetKey reads back");
        }
        break;
      case 1:
        if (editor.RemoveKey(table, key).has_value()) {
          Require(!ConfigEditor(editor.tree()).ValueText(table, key).has_value(),
                  "RemoveKey removes");
        }
        break;
      case 2: {
        const std::string file = in.ConsumeBool() ? "a.toml" : "b.toml";
        if (editor.AddTable(file, table, {{key, coffer::state::TomlString(value)}}).has_value()) {
          if (!ConfigEditor(editor.tree()).FileOf(table).has_value()) {
            std::fprintf(stderr, "table [%s] %s\n", coffer::state::TomlHeader(table).c_str(),
                         file.c_str());
          }
          Require(ConfigEditor(editor.tree()).FileOf(table) == file, "AddTable adds to the file");
          Require(ReadBack(editor, table, key) == value, "AddTable key reads back");
        }
        break;
      }
      default:
        if (editor.RemoveTable(table).has_value()) {
          Require(!ConfigEditor(editor.tree()).FileOf(table).has_value(), "RemoveTable removes");
        }
        break;
    }
  }
  return 0;
}
