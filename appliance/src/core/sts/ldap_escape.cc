#include "coffer/core/sts/ldap_escape.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace coffer::core::sts {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void AppendHexEscape(std::string& out, unsigned char c) {
  out += '\\';
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// A recursive-descent checker of RFC 4515 filters. Depth is bounded so that a
// hostile template cannot exhaust the stack.
class FilterChecker {
 public:
  explicit FilterChecker(std::string_view s) : s_(s) {}

  std::optional<std::size_t> Run() {
    if (!Filter(0) || pos_ != s_.size()) return std::nullopt;
    return items_;
  }

 private:
  static constexpr int kMaxDepth = 32;

  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool Take(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }

  bool Filter(int depth) {
    if (depth > kMaxDepth || !Take('(')) return false;
    bool ok = false;
    if (Take('&') || Take('|')) {
      ok = FilterList(depth);
    } else if (Take('!')) {
      ok = Filter(depth + 1);
    } else {
      ok = Item();
    }
    return ok && Take(')');
  }

  bool FilterList(int depth) {
    int count = 0;
    while (Peek('(')) {
      if (!Filter(depth + 1)) return false;
      ++count;
    }
    return count > 0;
  }

  static bool AttrChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == ';';
  }

  std::size_t Attr() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && AttrChar(s_[pos_])) ++pos_;
    return pos_ - start;
  }

  // An assertion value up to the closing ')'; '*' only where `stars` allows.
  bool Value(bool stars) {
    while (pos_ < s_.size() && s_[pos_] != ')') {
      char c = s_[pos_];
      if (c == '\\') {
        if (pos_ + 2 >= s_.size()) return false;
        if (HexValue(s_[pos_ + 1]) < 0 || HexValue(s_[pos_ + 2]) < 0) return false;
        pos_ += 3;
        continue;
      }
      if (c == '\0' || c == '(' || (c == '*' && !stars)) return false;
      ++pos_;
    }
    return true;
  }

  bool Extensible(bool has_attr) {
    // ":dn"? (":" rule)? ":=" value, with an attribute or a rule required.
    bool has_rule = false;
    if (s_.substr(pos_, 3) == ":dn" || s_.substr(pos_, 3) == ":DN") pos_ += 3;
    if (Peek(':') && !(pos_ + 1 < s_.size() && s_[pos_ + 1] == '=')) {
      ++pos_;
      has_rule = Attr() > 0;
      if (!has_rule) return false;
    }
    if (!has_attr && !has_rule) return false;
    if (!Take(':') || !Take('=')) return false;
    ++items_;
    return Value(false);
  }

  bool Item() {
    bool has_attr = Attr() > 0;
    if (Peek(':')) return Extensible(has_attr);
    if (!has_attr) return false;
    bool stars = false;
    if (Take('~') || Take('>') || Take('<')) {
      if (!Take('=')) return false;
    } else if (Take('=')) {
      stars = true;
    } else {
      return false;
    }
    ++items_;
    return Value(stars);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

struct Ava {
  std::string type;
  std::string value;  // Decoded and lower-cased, or "#hex" kept as written.
  bool hex = false;
};

// Parses RFC 4514 DNs (with the LDAPv2 leniencies: spaces around separators,
// ';' between RDNs, quoted values).
class DnParser {
 public:
  explicit DnParser(std::string_view s) : s_(s) {}

  std::optional<std::vector<std::vector<Ava>>> Run() {
    std::vector<std::vector<Ava>> rdns;
    SkipSpaces();
    if (pos_ == s_.size()) return rdns;
    while (true) {
      std::vector<Ava> rdn;
      while (true) {
        std::optional<Ava> ava = ParseAva();
        if (!ava) return std::nullopt;
        rdn.push_back(std::move(*ava));
        if (pos_ < s_.size() && s_[pos_] == '+') {
          ++pos_;
          continue;
        }
        break;
      }
      rdns.push_back(std::move(rdn));
      if (pos_ == s_.size()) return rdns;
      if (s_[pos_] != ',' && s_[pos_] != ';') return std::nullopt;
      ++pos_;
    }
  }

 private:
  void SkipSpaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }

  std::optional<Ava> ParseAva() {
    Ava ava;
    SkipSpaces();
    while (pos_ < s_.size() && s_[pos_] != '=' && s_[pos_] != ' ') {
      char c = s_[pos_++];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.';
      if (!ok) return std::nullopt;
      ava.type += LowerAscii(c);
    }
    SkipSpaces();
    if (ava.type.empty() || pos_ == s_.size() || s_[pos_] != '=') return std::nullopt;
    ++pos_;
    SkipSpaces();
    if (pos_ < s_.size() && s_[pos_] == '#') return ParseHex(std::move(ava));
    if (pos_ < s_.size() && s_[pos_] == '"') return ParseQuoted(std::move(ava));
    return ParseString(std::move(ava));
  }

  std::optional<Ava> ParseHex(Ava ava) {
    ava.hex = true;
    ava.value = "#";
    ++pos_;
    while (pos_ < s_.size() && HexValue(s_[pos_]) >= 0) ava.value += LowerAscii(s_[pos_++]);
    if (ava.value.size() < 3 || ava.value.size() % 2 == 0) return std::nullopt;
    SkipSpaces();
    if (pos_ < s_.size() && !IsSeparator(s_[pos_])) return std::nullopt;
    return ava;
  }

  std::optional<Ava> ParseQuoted(Ava ava) {
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') {
        std::optional<char> c = Escaped();
        if (!c) return std::nullopt;
        ava.value += LowerAscii(*c);
        continue;
      }
      ava.value += LowerAscii(s_[pos_++]);
    }
    if (pos_ == s_.size()) return std::nullopt;
    ++pos_;
    SkipSpaces();
    if (pos_ < s_.size() && !IsSeparator(s_[pos_])) return std::nullopt;
    return ava;
  }

  std::optional<Ava> ParseString(Ava ava) {
    // Unescaped trailing spaces are not part of the value; escaped ones are.
    std::size_t significant = 0;
    while (pos_ < s_.size() && !IsSeparator(s_[pos_])) {
      char c = s_[pos_];
      if (c == '\\') {
        std::optional<char> e = Escaped();
        if (!e) return std::nullopt;
        ava.value += LowerAscii(*e);
        significant = ava.value.size();
        continue;
      }
      if (c == '"' || c == '<' || c == '>' || c == '\0') return std::nullopt;
      ava.value += LowerAscii(c);
      ++pos_;
      if (c != ' ') significant = ava.value.size();
    }
    ava.value.resize(significant);
    return ava;
  }

  // At a '\': "\XX" or "\c"; advances past it.
  std::optional<char> Escaped() {
    if (pos_ + 1 >= s_.size()) return std::nullopt;
    int hi = HexValue(s_[pos_ + 1]);
    if (hi >= 0) {
      if (pos_ + 2 >= s_.size()) return std::nullopt;
      int lo = HexValue(s_[pos_ + 2]);
      if (lo < 0) return std::nullopt;
      pos_ += 3;
      return static_cast<char>(hi * 16 + lo);
    }
    char c = s_[pos_ + 1];
    static constexpr std::string_view kSpecial = " \"#+,;<=>\\";
    if (kSpecial.find(c) == std::string_view::npos) return std::nullopt;
    pos_ += 2;
    return c;
  }

  static bool IsSeparator(char c) { return c == ',' || c == ';' || c == '+'; }

  std::string_view s_;
  std::size_t pos_ = 0;
};

std::string CanonicalValue(const Ava& ava) {
  if (ava.hex) return ava.value;
  std::string out;
  for (std::size_t i = 0; i < ava.value.size(); ++i) {
    auto c = static_cast<unsigned char>(ava.value[i]);
    bool edge_space = c == ' ' && (i == 0 || i + 1 == ava.value.size());
    if (c < 0x20 || c == 0x7f) {
      AppendHexEscape(out, c);
    } else if (std::string_view("\"+,;<>\\=").find(static_cast<char>(c)) !=
                   std::string_view::npos ||
               edge_space || (i == 0 && c == '#')) {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string EscapeFilterValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c == 0x7f) {
      AppendHexEscape(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> UnescapeFilterValue(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '\\') {
      out += escaped[i];
      continue;
    }
    if (i + 2 >= escaped.size()) return std::nullopt;
    int hi = HexValue(escaped[i + 1]);
    int lo = HexValue(escaped[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string ExpandFilterTemplate(std::string_view filter_template, std::string_view username,
                                 std::string_view user_dn) {
  std::string out;
  out.reserve(filter_template.size() + username.size() * 3);
  for (std::size_t i = 0; i < filter_template.size(); ++i) {
    char c = filter_template[i];
    if (c == '%' && i + 1 < filter_template.size()) {
      char next = filter_template[i + 1];
      if (next == 's' || next == 'd' || next == '%') {
        if (next == 's') out += EscapeFilterValue(username);
        if (next == 'd') out += EscapeFilterValue(user_dn);
        if (next == '%') out += '%';
        ++i;
        continue;
      }
    }
    out += c;
  }
  return out;
}

std::optional<std::size_t> FilterItemCount(std::string_view filter) {
  return FilterChecker(filter).Run();
}

std::optional<std::string> NormalizeDn(std::string_view dn) {
  std::optional<std::vector<std::vector<Ava>>> rdns = DnParser(dn).Run();
  if (!rdns) return std::nullopt;
  std::string out;
  for (std::size_t r = 0; r < rdns->size(); ++r) {
    std::vector<std::string> avas;
    for (const Ava& ava : (*rdns)[r]) avas.push_back(ava.type + "=" + CanonicalValue(ava));
    // A multi-valued RDN is a set: its order carries no meaning.
    std::sort(avas.begin(), avas.end());
    if (r > 0) out += ',';
    for (std::size_t a = 0; a < avas.size(); ++a) {
      if (a > 0) out += '+';
      out += avas[a];
    }
  }
  return out;
}

bool SameDn(std::string_view a, std::string_view b) {
  std::optional<std::string> na = NormalizeDn(a);
  std::optional<std::string> nb = NormalizeDn(b);
  return na.has_value() && nb.has_value() && *na == *nb;
}

}  // namespace coffer::core::sts
