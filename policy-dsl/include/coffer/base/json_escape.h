#pragma once
// JSON string escaping, shared by every writer of JSON text (the policy
// printer, log lines, health answers) so that all of them escape the same
// way: quote, backslash and every control character, nothing else. Bytes at
// or above 0x80 pass through unchanged (the input is expected to be UTF-8).

#include <string>
#include <string_view>

namespace coffer::base {

// Appends `s` to `out` as the body of a JSON string, without the quotes.
inline void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
}

}  // namespace coffer::base
