#pragma once
// Condition operators. Each operator family (string, numeric, date, boolean and binary, IP
// address, ARN, Null) lives in its own file and answers one question: does this one request
// value match any of the policy's values? condition.cc adds what AWS layers on top: IfExists,
// ForAnyValue: / ForAllValues:, negated operators and missing keys.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/policy/document.h"

#include "../pattern.h"

namespace coffer::policy::internal {

enum class OpFamily : uint8_t {
  kStringEquals,
  kStringEqualsIgnoreCase,
  kStringLike,
  kNumeric,
  kDate,
  kBool,
  kBinaryEquals,
  kIpAddress,
  kArnEquals,
  kArnLike,
  kNull,
};
enum class Compare : uint8_t { kEq, kLt, kLe, kGt, kGe };
enum class SetQualifier : uint8_t { kNone, kForAnyValue, kForAllValues };

struct OperatorSpec {
  OpFamily family = OpFamily::kStringEquals;
  Compare compare = Compare::kEq;
  bool negated = false;
  bool if_exists = false;
  SetQualifier qualifier = SetQualifier::kNone;
};

// Parses "ForAnyValue:StringNotLikeIfExists" and friends; nullopt for an unknown operator.
std::optional<OperatorSpec> ParseOperator(std::string_view name);

struct Cidr {
  std::array<uint8_t, 16> addr{};
  uint32_t prefix_bits = 0;
  bool v6 = false;
};

// Value parsers shared by the validator, the compiler and evaluation. None allocates.
std::optional<double> ParseNumber(std::string_view text);
// Milliseconds since the Unix epoch, from ISO 8601 ("2026-01-02T03:04:05Z", with optional
// fraction and +hh:mm offset, or a bare date) or from integer epoch seconds.
std::optional<int64_t> ParseDateMillis(std::string_view text);
std::optional<bool> ParseBool(std::string_view text);
// An IPv4 or IPv6 address with an optional /prefix (a bare address is a /32 or /128).
std::optional<Cidr> ParseCidr(std::string_view text);
bool IsBase64(std::string_view text);

struct CompiledCondition {
  OperatorSpec op;
  std::string op_name;            // As written, for explanations.
  std::string key_name;           // As written.
  std::string key;                // Lower-case, for context lookups.
  std::vector<Pattern> patterns;  // String families; six per value for the ARN families.
  std::vector<double> numbers;
  std::vector<int64_t> dates_ms;
  std::vector<bool> bools;  // Bool, and Null's expected "absent".
  std::vector<Cidr> cidrs;
};

// Builds a compiled condition from validated entry values. Returns nullopt only for values the
// validator should have rejected.
std::optional<CompiledCondition> CompileCondition(const ConditionEntry& entry,
                                                  bool substitute_variables);

// Whether one request value matches any policy value, per family (positive sense).
Tri MatchStringValue(const CompiledCondition& c, std::string_view value, const Context* ctx);
Tri MatchNumericValue(const CompiledCondition& c, std::string_view value);
Tri MatchDateValue(const CompiledCondition& c, std::string_view value);
Tri MatchBoolValue(const CompiledCondition& c, std::string_view value);
Tri MatchBinaryValue(const CompiledCondition& c, std::string_view value, const Context* ctx);
Tri MatchIpValue(const CompiledCondition& c, std::string_view value);
Tri MatchArnValue(const CompiledCondition& c, std::string_view value, const Context* ctx);

// Splits an ARN at its first five colons (colons inside ${...} are skipped when
// skip_variables). Returns false when there are fewer than six parts.
bool SplitArn(std::string_view text, bool skip_variables, std::array<std::string_view, 6>& parts);
// Null: kTrue when the policy expects what the request shows (absent or present).
Tri MatchNull(const CompiledCondition& c, bool key_absent);

// Evaluates the whole condition against the request context (null: no keys).
Tri EvaluateCondition(const CompiledCondition& c, const Context* ctx);

}  // namespace coffer::policy::internal
