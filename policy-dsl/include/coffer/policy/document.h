#pragma once
// The policy document tree: what a policy JSON text says, with the line:col of every value, so
// that validation and explanation can point back at the source. The tree is produced by Parse()
// (parse.h) and checked by Validate() (validate.h); it holds no evaluation logic. It is a plain
// value type: copyable, comparable by content through Print(), and safe to share read-only
// between threads.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coffer::policy {

// A 1-based position in the source text. Columns count bytes. {0, 0} marks a value that was
// not read from text (for example a built-in policy assembled in code).
struct SourcePos {
  uint32_t line = 0;
  uint32_t col = 0;
  friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

// One problem found in a document: where it is, its JSON path (Statement[2].Condition.StringLike)
// and a sentence saying what is wrong.
struct Diagnostic {
  SourcePos pos;
  std::string path;
  std::string message;
};

// Returns "LINE:COL: PATH: message", or "FILE:LINE:COL: PATH: message" when file is not empty.
std::string FormatDiagnostic(const Diagnostic& diagnostic, const std::string& file);

// A scalar from the document (a string, or a number or boolean kept as its source text).
struct Text {
  std::string value;
  SourcePos pos;
};

// A value that AWS lets be one string or an array of strings; a single string becomes a
// one-element list.
struct TextList {
  SourcePos pos;
  std::vector<Text> items;
};

// Principal or NotPrincipal: either "*" or {"AWS": ...}. Other principal types (Service,
// Federated, CanonicalUser) are kept by name so that validation can reject them.
struct PrincipalBlock {
  SourcePos pos;
  bool wildcard = false;  // The bare string "*".
  std::vector<Text> aws;
  std::vector<Text> other_types;
};

// One operator/key pair of a Condition block, e.g. StringLike / s3:prefix / ["home/*"].
struct ConditionEntry {
  Text op;
  Text key;
  TextList values;
};

struct Statement {
  SourcePos pos;
  std::string path;  // "Statement[2]" (or "Statement" when the policy had a single object).
  bool empty_object = false;
  std::optional<Text> sid;
  std::optional<Text> effect;
  std::optional<PrincipalBlock> principal;
  std::optional<PrincipalBlock> not_principal;
  std::optional<TextList> action;
  std::optional<TextList> not_action;
  std::optional<TextList> resource;
  std::optional<TextList> not_resource;
  std::optional<SourcePos> condition_pos;
  std::vector<ConditionEntry> conditions;
};

struct Document {
  std::optional<Text> version;
  std::optional<Text> id;
  bool has_statement = false;
  SourcePos statement_pos;
  std::vector<Statement> statements;
  // Structural problems met while building the tree (unknown keys, wrong JSON types). They do
  // not stop the parse; Validate() reports them together with the semantic errors.
  std::vector<Diagnostic> shape_errors;
};

// What a document is used as. It decides the Principal rules: a bucket policy must name a
// Principal; identity and session policies must not.
enum class PolicyKind : uint8_t { kIdentity, kBucket, kSession };

}  // namespace coffer::policy
