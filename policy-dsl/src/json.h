#pragma once
// A small strict JSON reader that records the line:col of every value and object key. It
// exists because nlohmann-json cannot report positions. Private to coffer::policy.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/policy/document.h"

namespace coffer::policy::internal {

struct JsonMember;

struct JsonValue {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  SourcePos pos;
  bool boolean = false;
  std::string text;  // Decoded string contents, or the number's source text.
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // In source order.
};

struct JsonMember {
  std::string key;
  SourcePos key_pos;
  JsonValue value;
};

// Returns the value tree, or kInvalidArgument "LINE:COL: message" for malformed JSON, invalid
// UTF-8, a duplicate key, nesting deeper than max_depth or a text longer than max_bytes.
base::Result<JsonValue> ParseJson(std::string_view text, size_t max_bytes, int max_depth);

// Returns the kind's name for messages: "string", "array"...
std::string_view JsonKindName(JsonValue::Kind kind);

// Appends `value` as a JSON string literal (quotes included) to `out`.
void AppendJsonString(std::string_view value, std::string& out);

}  // namespace coffer::policy::internal
