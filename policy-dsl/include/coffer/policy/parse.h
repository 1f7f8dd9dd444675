#pragma once
// Parsing turns policy JSON text into a Document with positions, and printing turns a Document
// back into canonical JSON text. The JSON reader is Coffer's own (nlohmann-json cannot report
// positions): it is strict RFC 8259 JSON, rejects duplicate object keys, invalid UTF-8, nesting
// deeper than ParseOptions::max_depth and texts longer than ParseOptions::max_bytes, and never
// throws. Both functions are pure and thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/policy/document.h"

namespace coffer::policy {

struct ParseOptions {
  size_t max_bytes = 1 << 20;
  int max_depth = 64;
};

// Returns the Document, or kInvalidArgument whose message is "LINE:COL: message" when the text
// is not well-formed JSON, is too large or too deep, repeats an object key, or is not a JSON
// object. Problems with the policy's shape (unknown keys, wrong types) do not fail the parse;
// they are recorded in Document::shape_errors for Validate().
base::Result<Document> Parse(std::string_view json, const ParseOptions& options = {});

// Returns the canonical JSON form of a document: fixed key order (Version, Id, Statement; Sid,
// Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition), every
// list as an array, Statement always an array, no insignificant whitespace. For any document d
// that parsed without shape errors, Print(Parse(Print(d))) == Print(d).
std::string Print(const Document& document);

}  // namespace coffer::policy
