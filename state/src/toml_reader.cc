// TableReader: typed access to a TOML table that reports, with positions, every wrong type
// and every key nobody asked for (typos are errors, not silently ignored settings).

#include <algorithm>

#include "loader_internal.h"

namespace coffer::state::internal {

SourceLocation Where(const toml::source_region& region) {
  SourceLocation loc;
  if (region.path) loc.file = *region.path;
  loc.line = static_cast<int>(region.begin.line);
  loc.column = static_cast<int>(region.begin.column);
  return loc;
}

std::string_view TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      return "nothing";
  }
  return "unknown";
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ToJsonArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonQuote(values[i]);
  }
  return out + "]";
}

std::vector<std::string> SortedUnique(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

const toml::node* TableReader::Node(std::string_view key) {
  used_.insert(std::string(key));
  return table_.get(key);
}

void TableReader::TypeError(const toml::node& node, std::string_view key,
                            std::string_view expected) {
  ctx_.Error(node.source(), context_ + "." + std::string(key) + ": expected " +
                                std::string(expected) + ", found " +
                                std::string(TypeName(node.type())));
}

std::optional<std::string> TableReader::String(std::string_view key, bool required) {
  const toml::node* node = Node(key);
  if (node == nullptr) {
    if (required) {
      ctx_.Error(table_.source(), context_ + ": missing required key \"" + std::string(key) + "\"");
    }
    return std::nullopt;
  }
  if (const auto* s = node->as_string()) return s->get();
  TypeError(*node, key, "a string");
  return std::nullopt;
}

std::optional<bool> TableReader::Bool(std::string_view key) {
  const toml::node* node = Node(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  TypeError(*node, key, "a boolean");
  return std::nullopt;
}

std::optional<std::int64_t> TableReader::Int(std::string_view key) {
  const toml::node* node = Node(key);
  if (node == nullptr) return std::nullopt;
  const auto* i = node->as_integer();
  if (i == nullptr) {
    TypeError(*node, key, "an integer");
    return std::nullopt;
  }
  if (i->get() < 0) {
    ctx_.Error(node->source(), context_ + "." + std::string(key) + ": must not be negative");
    return std::nullopt;
  }
  return i->get();
}

std::optional<std::vector<std::string>> TableReader::StringList(std::string_view key) {
  const toml::node* node = Node(key);
  if (node == nullptr) return std::nullopt;
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    TypeError(*node, key, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const toml::node& item : *arr) {
    if (const auto* s = item.as_string()) {
      out.push_back(s->get());
    } else {
      TypeError(item, key, "a string");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<SecretRef> TableReader::Secret(std::string_view key, bool required) {
  std::optional<std::string> text = String(key, required);
  if (!text) return std::nullopt;
  base::Result<SecretRef> ref = ParseSecretRef(*text);
  const toml::node* node = table_.get(key);
  if (!ref.has_value()) {
    // SECURITY: the message names the key, never the value, which may be a live secret.
    ctx_.Error(node->source(), context_ + "." + std::string(key) + ": " + ref.error().message());
    return std::nullopt;
  }
  ref->where = Where(node->source());
  return *std::move(ref);
}

void TableReader::Finish() {
  for (auto&& [k, v] : table_) {
    if (used_.find(k.str()) == used_.end()) {
      ctx_.Error(k.source(), context_ + ": unknown key \"" + std::string(k.str()) + "\"");
    }
  }
}

}  // namespace coffer::state::internal
