// Targeted TOML edits. The file is parsed with toml++ only to learn where things are (the
// header line of a table, the start and end of a value); the edit itself splices text, so
// everything the parser would normalise away (comments, spacing, quoting) survives.

#include "coffer/state/config_edit.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "loader_internal.h"
#include "toml_wrapper.h"

namespace coffer::state {
namespace {

bool IsBareKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A file split into lines; line numbers are 1-based as in toml++.
class Lines {
 public:
  explicit Lines(const std::string& text) : text_(text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  int count() const { return static_cast<int>(starts_.size()); }
  std::size_t Start(int line) const {
    if (line < 1) return 0;
    if (line > count()) return text_.size();
    return starts_[static_cast<std::size_t>(line - 1)];
  }
  // Offset just past the line's '\n' (or the end of the text).
  std::size_t End(int line) const { return Start(line + 1); }
  std::string_view Text(int line) const {
    std::size_t b = Start(line);
    std::size_t e = End(line);
    std::string_view s(text_.data() + b, e - b);
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    return s;
  }
  // Byte offset of a toml++ (line, column); columns count code points.
  std::size_t Offset(const toml::source_position& pos) const {
    std::size_t off = Start(static_cast<int>(pos.line));
    for (std::uint32_t col = 1; col < pos.column && off < text_.size(); ++col) {
      ++off;
      while (off < text_.size() && (static_cast<unsigned char>(text_[off]) & 0xC0) == 0x80) ++off;
    }
    return off;
  }

 private:
  const std::string& text_;
  std::vector<std::size_t> starts_;
};

// Appends the code point `cp` to `out` as UTF-8.
void AppendUtf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// One escape of a TOML basic string at line[i] == '\\' (TOML 1.0 §String):
// appends what it means to `out` and moves `i` past it. False when malformed.
bool Unescape(std::string_view line, std::size_t& i, std::string& out) {
  if (i + 1 >= line.size()) return false;
  const char e = line[i + 1];
  i += 2;
  switch (e) {
    case 'b':
      out += '\b';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'r':
      out += '\r';
      return true;
    case '"':
      out += '"';
      return true;
    case '\\':
      out += '\\';
      return true;
    case 'u':
    case 'U': {
      const std::size_t digits = e == 'u' ? 4 : 8;
      if (i + digits > line.size()) return false;
      std::uint32_t cp = 0;
      for (std::size_t k = 0; k < digits; ++k) {
        const char c = line[i + k];
        const int v = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (v < 0) return false;
        cp = cp * 16 + static_cast<std::uint32_t>(v);
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      i += digits;
      AppendUtf8(cp, out);
      return true;
    }
    default:
      return false;
  }
}

// Parses "[a.\"b c\".d]" into its key path; nullopt for anything else ("[[x]]", a key line).
std::optional<TablePath> ParseHeader(std::string_view line) {
  line = Trim(line);
  if (line.size() < 3 || line[0] != '[' || line[1] == '[') return std::nullopt;
  TablePath path;
  std::size_t i = 1;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) return std::nullopt;
    std::string key;
    if (line[i] == '"' || line[i] == '\'') {
      const char quote = line[i++];
      while (i < line.size() && line[i] != quote) {
        if (quote == '"' && line[i] == '\\') {
          if (!Unescape(line, i, key)) return std::nullopt;
          continue;
        }
        key += line[i++];
      }
      if (i >= line.size()) return std::nullopt;
      ++i;
    } else {
      while (i < line.size() && IsBareKeyChar(line[i])) key += line[i++];
      if (key.empty()) return std::nullopt;
    }
    path.push_back(std::move(key));
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) return std::nullopt;
    if (line[i] == ']') return path;
    if (line[i] != '.') return std::nullopt;
    ++i;
  }
}

bool IsPrefix(const TablePath& prefix, const TablePath& path) {
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// One parsed file: its text, lines, the toml++ tree and every [header] line with its path.
struct Parsed {
  std::string file;
  const std::string* text = nullptr;
  std::optional<Lines> lines;
  toml::table root;
  std::map<int, TablePath> headers;  // Line -> path.
};

base::Result<Parsed> Parse(const std::string& file, const std::string& text) {
  Parsed p;
  p.file = file;
  p.text = &text;
  p.lines.emplace(text);
  if (std::optional<internal::TomlHazard> hazard = internal::FindTomlHazard(text)) {
    // Found by config_edit_fuzz: the editor parsed text the loader refuses to hand toml++.
    const std::string_view before = std::string_view(text).substr(0, hazard->offset);
    const std::size_t newline = before.rfind('\n');
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const std::size_t column =
        hazard->offset - (newline == std::string_view::npos ? 0 : newline + 1) + 1;
    return base::InvalidArgument(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                 ": " + std::string(hazard->message));
  }
  toml::parse_result result = toml::parse(std::string_view(text), std::string_view(file));
  if (!result) {
    const auto& e = result.error();
    return base::InvalidArgument(file + ":" + std::to_string(e.source().begin.line) + ":" +
                                 std::to_string(e.source().begin.column) + ": " +
                                 std::string(e.description()));
  }
  p.root = std::move(result).table();
  for (int line = 1; line <= p.lines->count(); ++line) {
    if (std::optional<TablePath> path = ParseHeader(p.lines->Text(line))) {
      p.headers.emplace(line, *std::move(path));
    }
  }
  return p;
}

const toml::table* FindTable(const toml::table& root, const TablePath& path) {
  const toml::table* t = &root;
  for (const std::string& seg : path) {
    const toml::node* n = t->get(seg);
    if (n == nullptr || !n->is_table()) return nullptr;
    t = n->as_table();
  }
  return t;
}

// The header line of `path` in `p`, or 0.
int HeaderLine(const Parsed& p, const TablePath& path) {
  for (const auto& [line, header] : p.headers) {
    if (header == path) return line;
  }
  return 0;
}

// The last line any value of `t` (and of tables nested by dotted keys or inline) ends on,
// skipping sub-tables that have their own header. 0 when there is none.
int LastValueLine(const Parsed& p, const toml::table& t) {
  int last = 0;
  for (auto&& [key, node] : t) {
    if (node.is_table()) {
      const toml::table& sub = *node.as_table();
      int begin = static_cast<int>(sub.source().begin.line);
      if (!sub.is_inline() && p.headers.count(begin) != 0) continue;
      if (sub.is_inline()) {
        last = std::max(last, static_cast<int>(sub.source().end.line));
      } else {
        last = std::max(last, LastValueLine(p, sub));
      }
      continue;
    }
    last = std::max(last, static_cast<int>(node.source().end.line));
  }
  return last;
}

}  // namespace

std::string TomlString(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789ABCDEF";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string TomlStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += TomlString(values[i]);
  }
  return out + "]";
}

std::string TomlKey(std::string_view key) {
  bool bare = !key.empty() && std::all_of(key.begin(), key.end(), IsBareKeyChar);
  return bare ? std::string(key) : TomlString(key);
}

std::string TomlHeader(const TablePath& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ".";
    out += TomlKey(path[i]);
  }
  return out + "]";
}

std::optional<std::string> ConfigEditor::FileOf(const TablePath& table) const {
  for (const auto& [file, text] : tree_.files) {
    if (!file.ends_with(".toml")) continue;
    // A file that does not parse cannot be edited; the loader reports it.
    base::Result<Parsed> p = Parse(file, text);
    if (p.has_value() && HeaderLine(*p, table) != 0) return file;
  }
  return std::nullopt;
}

std::vector<std::string> ConfigEditor::ChildTables(const TablePath& parent) const {
  std::set<std::string> names;
  for (const auto& [file, text] : tree_.files) {
    if (!file.ends_with(".toml")) continue;
    base::Result<Parsed> p = Parse(file, text);
    if (!p.has_value()) continue;
    for (const auto& [line, path] : p->headers) {
      if (path.size() == parent.size() + 1 && IsPrefix(parent, path)) names.insert(path.back());
    }
  }
  return {names.begin(), names.end()};
}

std::string ConfigEditor::FileForKind(const TablePath& parent, const std::string& fallback) const {
  std::string best;
  std::size_t best_count = 0;
  for (const auto& [file, text] : tree_.files) {
    if (!file.ends_with(".toml")) continue;
    base::Result<Parsed> p = Parse(file, text);
    if (!p.has_value()) continue;
    std::size_t n = 0;
    for (const auto& [line, path] : p->headers) {
      if (path.size() > parent.size() && IsPrefix(parent, path)) ++n;
    }
    if (n > best_count) {
      best = file;
      best_count = n;
    }
  }
  return best_count > 0 ? best : fallback;
}

std::optional<std::string> ConfigEditor::ValueText(const TablePath& table,
                                                   std::string_view key) const {
  std::optional<std::string> file = FileOf(table);
  if (!file) return std::nullopt;
  const std::string& text = tree_.files.at(*file);
  base::Result<Parsed> p = Parse(*file, text);
  if (!p.has_value()) return std::nullopt;
  const toml::table* t = FindTable(p->root, table);
  const toml::node* n = t == nullptr ? nullptr : t->get(key);
  if (n == nullptr) return std::nullopt;
  std::size_t b = p->lines->Offset(n->source().begin);
  std::size_t e = p->lines->Offset(n->source().end);
  return text.substr(b, e - b);
}

std::optional<std::string> ConfigEditor::StringValue(const TablePath& table,
                                                     std::string_view key) const {
  std::optional<std::string> file = FileOf(table);
  if (!file) return std::nullopt;
  base::Result<Parsed> p = Parse(*file, tree_.files.at(*file));
  if (!p.has_value()) return std::nullopt;
  const toml::table* t = FindTable(p->root, table);
  const toml::node* n = t == nullptr ? nullptr : t->get(key);
  if (n == nullptr || !n->is_string()) return std::nullopt;
  return n->as_string()->get();
}

base::Result<std::vector<std::string>> ConfigEditor::StringList(const TablePath& table,
                                                                std::string_view key) const {
  std::vector<std::string> out;
  std::optional<std::string> file = FileOf(table);
  if (!file) return out;
  COFFER_ASSIGN_OR_RETURN(Parsed p, Parse(*file, tree_.files.at(*file)));
  const toml::table* t = FindTable(p.root, table);
  const toml::node* n = t == nullptr ? nullptr : t->get(key);
  if (n == nullptr) return out;
  const toml::array* a = n->as_array();
  std::string where =
      *file + ":" + std::to_string(n->source().begin.line) + ": " + TomlHeader(table).substr(1);
  where.pop_back();
  if (a == nullptr)
    return base::FailedPrecondition(where + "." + std::string(key) + " is not a list");
  for (const toml::node& item : *a) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      return base::FailedPrecondition(where + "." + std::string(key) + " holds a non-string");
    }
    out.push_back(s->get());
  }
  return out;
}

std::vector<std::string> ConfigEditor::Keys(const TablePath& table) const {
  std::vector<std::pair<int, std::string>> keys;
  std::optional<std::string> file = FileOf(table);
  if (!file) return {};
  base::Result<Parsed> p = Parse(*file, tree_.files.at(*file));
  if (!p.has_value()) return {};
  const toml::table* t = FindTable(p->root, table);
  if (t == nullptr) return {};
  for (auto&& [key, node] : *t) {
    if (node.is_table() && !node.as_table()->is_inline()) continue;
    keys.emplace_back(static_cast<int>(key.source().begin.line), std::string(key.str()));
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> out;
  for (auto& [line, key] : keys) out.push_back(std::move(key));
  return out;
}

base::Status ConfigEditor::Replace(const std::string& file, std::string text) {
  // Every edit must leave a file that parses: a name or value that TOML cannot
  // hold (invalid UTF-8), or a file that did not parse before, is refused here
  // rather than written for validate to find later.
  if (auto parsed = Parse(file, text); !parsed.has_value()) {
    return base::InvalidArgument("the edit would leave " + file +
                                 " unparseable: " + parsed.error().message());
  }
  tree_.files[file] = std::move(text);
  touched_.insert(file);
  return base::Ok();
}

base::Status ConfigEditor::SetKey(const TablePath& table, std::string_view key,
                                  std::string_view value_toml) {
  std::optional<std::string> file = FileOf(table);
  if (!file) return base::NotFound("no " + TomlHeader(table) + " table in the repo");
  std::string text = tree_.files.at(*file);
  COFFER_ASSIGN_OR_RETURN(Parsed p, Parse(*file, text));
  const toml::table* t = FindTable(p.root, table);
  if (t == nullptr) return base::NotFound("no " + TomlHeader(table) + " table in " + *file);
  if (const toml::node* n = t->get(key)) {
    if (n->is_table() && !n->as_table()->is_inline()) {
      return base::FailedPrecondition(*file + ":" + std::to_string(n->source().begin.line) + ": " +
                                      std::string(key) + " is a table; edit it by hand");
    }
    std::size_t b = p.lines->Offset(n->source().begin);
    std::size_t e = p.lines->Offset(n->source().end);
    text.replace(b, e - b, value_toml);
    return Replace(*file, std::move(text));
  }
  int header = HeaderLine(p, table);
  int after = std::max(header, LastValueLine(p, *t));
  // Match the indentation of the line we insert after when it is a key line.
  std::string indent;
  if (after != header) {
    std::string_view last = p.lines->Text(after);
    std::size_t i = 0;
    while (i < last.size() && (last[i] == ' ' || last[i] == '\t')) ++i;
    if (i < last.size() && last[i] != ']' && last[i] != '\'' && last[i] != '"') {
      indent = std::string(last.substr(0, i));
    }
  }
  std::size_t at = p.lines->End(after);
  std::string line = indent + TomlKey(key) + " = " + std::string(value_toml) + "\n";
  if (at > 0 && text[at - 1] != '\n') line = "\n" + line;
  text.insert(at, line);
  return Replace(*file, std::move(text));
}

base::Status ConfigEditor::RemoveKey(const TablePath& table, std::string_view key) {
  std::optional<std::string> file = FileOf(table);
  if (!file) return base::Ok();
  std::string text = tree_.files.at(*file);
  COFFER_ASSIGN_OR_RETURN(Parsed p, Parse(*file, text));
  const toml::table* t = FindTable(p.root, table);
  const toml::node* n = t == nullptr ? nullptr : t->get(key);
  if (n == nullptr) return base::Ok();
  int first = 0;
  for (auto&& [k, v] : *t) {
    if (k.str() == key) first = static_cast<int>(k.source().begin.line);
  }
  int last = static_cast<int>(n->source().end.line);
  if (n->is_table() && !n->as_table()->is_inline()) {
    return base::FailedPrecondition(*file + ":" + std::to_string(first) + ": " + std::string(key) +
                                    " is a table; edit it by hand");
  }
  if (first == 0 || first == HeaderLine(p, table)) {
    return base::FailedPrecondition(*file + ":" + std::to_string(first) + ": cannot remove " +
                                    std::string(key) + "; edit it by hand");
  }
  text.erase(p.lines->Start(first), p.lines->End(last) - p.lines->Start(first));
  return Replace(*file, std::move(text));
}

base::Status ConfigEditor::AddTable(const std::string& file, const TablePath& table,
                                    const std::vector<std::pair<std::string, std::string>>& keys) {
  if (std::optional<std::string> existing = FileOf(table)) {
    return base::AlreadyExists(TomlHeader(table) + " already exists in " + *existing);
  }
  std::string text;
  if (auto it = tree_.files.find(file); it != tree_.files.end()) text = it->second;
  if (!text.empty() && text.back() != '\n') text += '\n';
  if (!text.empty() && !text.ends_with("\n\n")) text += '\n';
  text += TomlHeader(table) + "\n";
  for (const auto& [key, value] : keys) text += TomlKey(key) + " = " + value + "\n";
  return Replace(file, std::move(text));
}

base::Status ConfigEditor::RemoveTable(const TablePath& table) {
  std::optional<std::string> file = FileOf(table);
  if (!file) return base::Ok();
  std::string text = tree_.files.at(*file);
  COFFER_ASSIGN_OR_RETURN(Parsed p, Parse(*file, text));
  const int header = HeaderLine(p, table);
  // The table runs to the next header that is not one of its sub-tables.
  int last = header;
  for (auto it = p.headers.upper_bound(header); it != p.headers.end(); ++it) {
    if (!IsPrefix(table, it->second)) break;
    last = it->first;
  }
  if (const toml::table* t = FindTable(p.root, table)) {
    last = std::max(last, LastValueLine(p, *t));
    for (const auto& [line, path] : p.headers) {
      if (line > header && line <= last && IsPrefix(table, path) && path != table) {
        if (const toml::table* sub = FindTable(p.root, path)) {
          last = std::max(last, LastValueLine(p, *sub));
        }
      }
    }
  }
  // Comment lines directly above the header describe the table; they go with it.
  int first = header;
  while (first > 1) {
    std::string_view above = Trim(p.lines->Text(first - 1));
    if (above.empty() || above[0] != '#') break;
    --first;
  }
  // Keep one blank line between what was before and after, not two.
  bool blank_before = first == 1 || Trim(p.lines->Text(first - 1)).empty();
  if (blank_before && last < p.lines->count() && Trim(p.lines->Text(last + 1)).empty() &&
      p.lines->End(last + 1) > p.lines->End(last)) {
    ++last;
  }
  // At the end of the file, the blank lines that separated it from the table before go too.
  if (p.lines->End(last) >= text.size()) {
    while (first > 1 && Trim(p.lines->Text(first - 1)).empty()) --first;
  }
  text.erase(p.lines->Start(first), p.lines->End(last) - p.lines->Start(first));
  return Replace(*file, std::move(text));
}

void ConfigEditor::PutFile(const std::string& file, std::optional<std::string> content) {
  if (content) {
    tree_.files[file] = *std::move(content);
  } else {
    tree_.files.erase(file);
  }
  touched_.insert(file);
}

}  // namespace coffer::state
