// Operator names, value compilation, and the rules AWS layers over every family: IfExists,
// set qualifiers, negation and missing keys.

#include "condition.h"

#include "coffer/policy/evaluate.h"

#include "../catalog.h"

namespace coffer::policy::internal {

namespace {

struct FamilyName {
  std::string_view name;
  OpFamily family;
  Compare compare;
  bool negated;
};

constexpr FamilyName kFamilies[] = {
    {"StringEquals", OpFamily::kStringEquals, Compare::kEq, false},
    {"StringNotEquals", OpFamily::kStringEquals, Compare::kEq, true},
    {"StringEqualsIgnoreCase", OpFamily::kStringEqualsIgnoreCase, Compare::kEq, false},
    {"StringNotEqualsIgnoreCase", OpFamily::kStringEqualsIgnoreCase, Compare::kEq, true},
    {"StringLike", OpFamily::kStringLike, Compare::kEq, false},
    {"StringNotLike", OpFamily::kStringLike, Compare::kEq, true},
    {"NumericEquals", OpFamily::kNumeric, Compare::kEq, false},
    {"NumericNotEquals", OpFamily::kNumeric, Compare::kEq, true},
    {"NumericLessThan", OpFamily::kNumeric, Compare::kLt, false},
    {"NumericLessThanEquals", OpFamily::kNumeric, Compare::kLe, false},
    {"NumericGreaterThan", OpFamily::kNumeric, Compare::kGt, false},
    {"NumericGreaterThanEquals", OpFamily::kNumeric, Compare::kGe, false},
    {"DateEquals", OpFamily::kDate, Compare::kEq, false},
    {"DateNotEquals", OpFamily::kDate, Compare::kEq, true},
    {"DateLessThan", OpFamily::kDate, Compare::kLt, false},
    {"DateLessThanEquals", OpFamily::kDate, Compare::kLe, false},
    {"DateGreaterThan", OpFamily::kDate, Compare::kGt, false},
    {"DateGreaterThanEquals", OpFamily::kDate, Compare::kGe, false},
    {"Bool", OpFamily::kBool, Compare::kEq, false},
    {"BinaryEquals", OpFamily::kBinaryEquals, Compare::kEq, false},
    {"IpAddress", OpFamily::kIpAddress, Compare::kEq, false},
    {"NotIpAddress", OpFamily::kIpAddress, Compare::kEq, true},
    {"ArnEquals", OpFamily::kArnEquals, Compare::kEq, false},
    {"ArnNotEquals", OpFamily::kArnEquals, Compare::kEq, true},
    {"ArnLike", OpFamily::kArnLike, Compare::kEq, false},
    {"ArnNotLike", OpFamily::kArnLike, Compare::kEq, true},
    {"Null", OpFamily::kNull, Compare::kEq, false},
};

bool CompileValue(const Text& value, bool vars, CompiledCondition& out) {
  const std::string& v = value.value;
  switch (out.op.family) {
    case OpFamily::kStringEquals:
    case OpFamily::kStringEqualsIgnoreCase:
    case OpFamily::kBinaryEquals:
      out.patterns.push_back(Pattern::Make(v, /*wildcards=*/false, vars));
      return true;
    case OpFamily::kStringLike:
      out.patterns.push_back(Pattern::Make(v, /*wildcards=*/true, vars));
      return true;
    case OpFamily::kArnEquals:
    case OpFamily::kArnLike: {
      std::array<std::string_view, 6> parts;
      if (!SplitArn(v, vars, parts)) return false;
      for (const std::string_view part : parts)
        out.patterns.push_back(Pattern::Make(part, true, vars));
      return true;
    }
    case OpFamily::kNumeric: {
      const auto n = ParseNumber(v);
      if (n) out.numbers.push_back(*n);
      return n.has_value();
    }
    case OpFamily::kDate: {
      const auto d = ParseDateMillis(v);
      if (d) out.dates_ms.push_back(*d);
      return d.has_value();
    }
    case OpFamily::kBool:
    case OpFamily::kNull: {
      const auto b = ParseBool(v);
      if (b) out.bools.push_back(*b);
      return b.has_value();
    }
    case OpFamily::kIpAddress: {
      const auto cidr = ParseCidr(v);
      if (cidr) out.cidrs.push_back(*cidr);
      return cidr.has_value();
    }
  }
  return false;
}

Tri MatchOne(const CompiledCondition& c, std::string_view value, const Context* ctx) {
  switch (c.op.family) {
    case OpFamily::kStringEquals:
    case OpFamily::kStringEqualsIgnoreCase:
    case OpFamily::kStringLike:
      return MatchStringValue(c, value, ctx);
    case OpFamily::kNumeric:
      return MatchNumericValue(c, value);
    case OpFamily::kDate:
      return MatchDateValue(c, value);
    case OpFamily::kBool:
      return MatchBoolValue(c, value);
    case OpFamily::kBinaryEquals:
      return MatchBinaryValue(c, value, ctx);
    case OpFamily::kIpAddress:
      return MatchIpValue(c, value);
    case OpFamily::kArnEquals:
    case OpFamily::kArnLike:
      return MatchArnValue(c, value, ctx);
    case OpFamily::kNull:
      return Tri::kError;  // Handled before per-value matching.
  }
  return Tri::kError;
}

Tri Not(Tri t) {
  if (t == Tri::kError) return t;
  return t == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
}

}  // namespace

std::optional<OperatorSpec> ParseOperator(std::string_view name) {
  OperatorSpec spec;
  if (name.starts_with("ForAnyValue:")) {
    spec.qualifier = SetQualifier::kForAnyValue;
    name.remove_prefix(12);
  } else if (name.starts_with("ForAllValues:")) {
    spec.qualifier = SetQualifier::kForAllValues;
    name.remove_prefix(13);
  }
  if (name.ends_with("IfExists")) {
    spec.if_exists = true;
    name.remove_suffix(8);
  }
  for (const FamilyName& f : kFamilies) {
    if (f.name != name) continue;
    if (f.family == OpFamily::kNull && (spec.if_exists || spec.qualifier != SetQualifier::kNone)) {
      return std::nullopt;
    }
    spec.family = f.family;
    spec.compare = f.compare;
    spec.negated = f.negated;
    return spec;
  }
  return std::nullopt;
}

std::optional<CompiledCondition> CompileCondition(const ConditionEntry& entry, bool vars) {
  const auto op = ParseOperator(entry.op.value);
  if (!op) return std::nullopt;
  CompiledCondition out;
  out.op = *op;
  out.op_name = entry.op.value;
  out.key_name = entry.key.value;
  for (const char c : entry.key.value) out.key.push_back(ToLowerAscii(c));
  for (const Text& value : entry.values.items) {
    if (!CompileValue(value, vars, out)) return std::nullopt;
  }
  return out;
}

Tri EvaluateCondition(const CompiledCondition& c, const Context* ctx) {
  const std::span<const std::string> values =
      ctx != nullptr ? ctx->Find(c.key) : std::span<const std::string>{};
  if (c.op.family == OpFamily::kNull) return MatchNull(c, values.empty());
  if (values.empty()) {
    // AWS: IfExists and ForAllValues hold on a missing key; negated operators hold too
    // (nothing equals the policy values); ForAnyValue and plain operators do not.
    if (c.op.if_exists || c.op.qualifier == SetQualifier::kForAllValues) return Tri::kTrue;
    if (c.op.qualifier == SetQualifier::kForAnyValue) return Tri::kFalse;
    return c.op.negated ? Tri::kTrue : Tri::kFalse;
  }
  // Per request value v, q(v) is "v matches some policy value", negated when the operator is.
  // ForAllValues needs q(v) for every v; the other forms need it for some v, except that a
  // plain negated operator is the negation of the plain positive one.
  const bool plain_negated = c.op.negated && c.op.qualifier == SetQualifier::kNone;
  const bool per_value_negated = c.op.negated && !plain_negated;
  bool any_true = false;
  bool any_false = false;
  bool any_error = false;
  for (const std::string& v : values) {
    Tri t = MatchOne(c, v, ctx);
    if (per_value_negated) t = Not(t);
    any_true = any_true || t == Tri::kTrue;
    any_false = any_false || t == Tri::kFalse;
    any_error = any_error || t == Tri::kError;
  }
  Tri result = Tri::kFalse;
  if (c.op.qualifier == SetQualifier::kForAllValues) {
    result = any_false ? Tri::kFalse : (any_error ? Tri::kError : Tri::kTrue);
  } else {
    result = any_true ? Tri::kTrue : (any_error ? Tri::kError : Tri::kFalse);
  }
  return plain_negated ? Not(result) : result;
}

}  // namespace coffer::policy::internal
