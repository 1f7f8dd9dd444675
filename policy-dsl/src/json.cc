#include "json.h"

#include <algorithm>
#include <utility>

#include "coffer/base/json_escape.h"

namespace coffer::policy::internal {
namespace {

using base::Result;

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Returns the length of the valid UTF-8 sequence at s[i], or 0 when it is invalid (overlong
// forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1Fu;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0Fu;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if (!IsContinuation(cc)) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Reader {
 public:
  Reader(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  Result<JsonValue> ParseDocument() {
    SkipSpace();
    JsonValue root;
    if (!ParseValue(root, 0)) return std::move(error_);
    SkipSpace();
    if (at_ < text_.size()) return Fail("unexpected text after the JSON value");
    return root;
  }

 private:
  SourcePos Pos() const { return {line_, static_cast<uint32_t>(at_ - line_start_ + 1)}; }

  base::Error Fail(std::string_view message) {
    const SourcePos pos = Pos();
    error_ = base::InvalidArgument(std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": " +
                                   std::string(message));
    return error_;
  }

  void SkipSpace() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\n') {
        ++line_;
        line_start_ = at_ + 1;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++at_;
    }
  }

  bool Literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) {
      Fail("invalid literal");
      return false;
    }
    at_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue& out, int depth) {
    if (at_ >= text_.size()) {
      Fail("unexpected end of input");
      return false;
    }
    out.pos = Pos();
    switch (text_[at_]) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"':
        out.kind = JsonValue::Kind::kString;
        return ParseString(out.text);
      case 't':
        out.kind = JsonValue::Kind::kBool;
        out.boolean = true;
        return Literal("true");
      case 'f':
        out.kind = JsonValue::Kind::kBool;
        return Literal("false");
      case 'n':
        out.kind = JsonValue::Kind::kNull;
        return Literal("null");
      default:
        return ParseNumber(out);
    }
  }

  bool Digits() {
    const size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }

  bool ParseNumber(JsonValue& out) {
    const size_t start = at_;
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    if (at_ < text_.size() && text_[at_] == '0') {
      ++at_;
    } else if (!Digits()) {
      Fail("invalid value");
      return false;
    }
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      if (!Digits()) {
        Fail("invalid number");
        return false;
      }
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (!Digits()) {
        Fail("invalid number");
        return false;
      }
    }
    out.kind = JsonValue::Kind::kNumber;
    out.text = std::string(text_.substr(start, at_ - start));
    return true;
  }

  bool Hex4(uint32_t& cp) {
    if (at_ + 4 > text_.size()) {
      Fail("truncated \\u escape");
      return false;
    }
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[at_++];
      uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        Fail("invalid \\u escape");
        return false;
      }
      cp = cp * 16 + digit;
    }
    return true;
  }

  bool UnicodeEscape(std::string& out) {
    uint32_t cp = 0;
    if (!Hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      Fail("lone low surrogate in \\u escape");
      return false;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (text_.substr(at_, 2) != "\\u") {
        Fail("lone high surrogate in \\u escape");
        return false;
      }
      at_ += 2;
      if (!Hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) {
        Fail("invalid surrogate pair");
        return false;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return true;
  }

  bool Escape(std::string& out) {
    if (at_ >= text_.size()) {
      Fail("unterminated string");
      return false;
    }
    const char c = text_[at_++];
    switch (c) {
      case '"':
        out.push_back('"');
        return true;
      case '\\':
        out.push_back('\\');
        return true;
      case '/':
        out.push_back('/');
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        return UnicodeEscape(out);
      default:
        --at_;
        Fail("invalid escape");
        return false;
    }
  }

  bool ParseString(std::string& out) {
    ++at_;  // The opening quote.
    while (true) {
      if (at_ >= text_.size()) {
        Fail("unterminated string");
        return false;
      }
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return true;
      }
      if (c < 0x20) {
        Fail("control character in string");
        return false;
      }
      if (c == '\\') {
        ++at_;
        if (!Escape(out)) return false;
        continue;
      }
      const size_t len = Utf8SequenceLength(text_, at_);
      if (len == 0) {
        Fail("invalid UTF-8 in string");
        return false;
      }
      out.append(text_.substr(at_, len));
      at_ += len;
    }
  }

  bool Expect(char c, std::string_view message) {
    SkipSpace();
    if (at_ >= text_.size() || text_[at_] != c) {
      Fail(message);
      return false;
    }
    ++at_;
    return true;
  }

  bool ParseArray(JsonValue& out, int depth) {
    if (depth > max_depth_) {
      Fail("nesting is too deep");
      return false;
    }
    out.kind = JsonValue::Kind::kArray;
    ++at_;
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == ']') {
      ++at_;
      return true;
    }
    while (true) {
      SkipSpace();
      out.items.emplace_back();
      if (!ParseValue(out.items.back(), depth)) return false;
      SkipSpace();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      return Expect(']', "expected ',' or ']' in array");
    }
  }

  bool ParseObject(JsonValue& out, int depth) {
    if (depth > max_depth_) {
      Fail("nesting is too deep");
      return false;
    }
    out.kind = JsonValue::Kind::kObject;
    ++at_;
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == '}') {
      ++at_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != '"') {
        Fail("expected a string key in object");
        return false;
      }
      JsonMember member;
      member.key_pos = Pos();
      if (!ParseString(member.key)) return false;
      if (!Expect(':', "expected ':' after object key")) return false;
      SkipSpace();
      if (!ParseValue(member.value, depth)) return false;
      out.members.push_back(std::move(member));
      SkipSpace();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (!Expect('}', "expected ',' or '}' in object")) return false;
      return CheckDuplicateKeys(out);
    }
  }

  bool CheckDuplicateKeys(const JsonValue& object) {
    // Sorting (key, index) pairs finds every repeat in O(n log n); the later index of a pair is
    // the duplicate, which is the one to report.
    std::vector<std::pair<std::string_view, size_t>> keys;
    keys.reserve(object.members.size());
    for (size_t i = 0; i < object.members.size(); ++i) keys.emplace_back(object.members[i].key, i);
    std::sort(keys.begin(), keys.end());
    size_t worst = object.members.size();
    for (size_t i = 1; i < keys.size(); ++i) {
      if (keys[i].first == keys[i - 1].first) worst = std::min(worst, keys[i].second);
    }
    if (worst == object.members.size()) return true;
    const SourcePos pos = object.members[worst].key_pos;
    error_ = base::InvalidArgument(std::to_string(pos.line) + ":" + std::to_string(pos.col) +
                                   ": duplicate key \"" + object.members[worst].key + "\"");
    return false;
  }

  std::string_view text_;
  int max_depth_;
  size_t at_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  base::Error error_{base::ErrorCode::kInvalidArgument, ""};
};

}  // namespace

Result<JsonValue> ParseJson(std::string_view text, size_t max_bytes, int max_depth) {
  if (text.size() > max_bytes) {
    return base::InvalidArgument("1:1: document is " + std::to_string(text.size()) +
                                 " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  Reader reader(text, max_depth);
  return reader.ParseDocument();
}

std::string_view JsonKindName(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull:
      return "null";
    case JsonValue::Kind::kBool:
      return "boolean";
    case JsonValue::Kind::kNumber:
      return "number";
    case JsonValue::Kind::kString:
      return "string";
    case JsonValue::Kind::kArray:
      return "array";
    case JsonValue::Kind::kObject:
      return "object";
  }
  return "value";
}

void AppendJsonString(std::string_view value, std::string& out) {
  out.push_back('"');
  base::AppendJsonEscaped(out, value);
  out.push_back('"');
}

}  // namespace coffer::policy::internal
