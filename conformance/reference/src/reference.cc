// The reference evaluator. Written for clarity, not speed: every step follows one sentence of
// the AWS documentation, and nothing is precomputed.

#include "coffer/reference/reference.h"

#include <arpa/inet.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <optional>

namespace coffer::reference {
namespace {

using nlohmann::json;

// Three outcomes for anything that may fail to evaluate.
enum class Truth { kNo, kYes, kUnknown };

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "A single string wherever AWS allows an array."
std::vector<std::string> AsList(const json& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const json& item : v) {
      out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
    }
  } else if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else {
    out.push_back(v.dump());
  }
  return out;
}

// One character of a pattern after variable substitution. Characters that came from a
// substituted value are never wildcards ("values are matched literally").
struct PatternChar {
  char c;
  bool wildcard;
};

// Textbook wildcard matching by dynamic programming: m[i][j] says whether the first i pattern
// characters match the first j subject characters.
bool Wildcard(const std::vector<PatternChar>& p, const std::string& s, bool fold) {
  std::vector<std::vector<bool>> m(p.size() + 1, std::vector<bool>(s.size() + 1, false));
  m[0][0] = true;
  for (size_t i = 1; i <= p.size(); ++i) {
    const PatternChar& pc = p[i - 1];
    for (size_t j = 0; j <= s.size(); ++j) {
      if (pc.wildcard && pc.c == '*') {
        m[i][j] = m[i - 1][j] || (j > 0 && m[i][j - 1]);
      } else if (j > 0) {
        const bool same = fold ? std::tolower(static_cast<unsigned char>(pc.c)) ==
                                     std::tolower(static_cast<unsigned char>(s[j - 1]))
                               : pc.c == s[j - 1];
        m[i][j] = m[i - 1][j - 1] && ((pc.wildcard && pc.c == '?') || same);
      }
    }
  }
  return m[p.size()][s.size()];
}

std::vector<PatternChar> Plain(const std::string& text, bool wildcards) {
  std::vector<PatternChar> out;
  for (const char c : text) out.push_back({c, wildcards && (c == '*' || c == '?')});
  return out;
}

// Substitutes ${...} in `text`. Returns nullopt when a variable has no value (the string then
// matches nothing) and sets `unknown` when a variable has several values.
std::optional<std::vector<PatternChar>> Substitute(const std::string& text, bool wildcards,
                                                   const Request& request, bool& unknown) {
  std::vector<PatternChar> out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") == 0) {
      const size_t close = text.find('}', i + 2);
      if (close != std::string::npos) {
        const std::string name = text.substr(i + 2, close - i - 2);
        i = close;
        if (name == "*" || name == "?" || name == "$") {
          out.push_back({name[0], false});
          continue;
        }
        const auto it = request.context.find(Lower(name));
        if (it == request.context.end() || it->second.empty()) return std::nullopt;
        if (it->second.size() > 1) unknown = true;
        for (const char c : it->second.front()) out.push_back({c, false});
        continue;
      }
    }
    out.push_back({text[i], wildcards && (text[i] == '*' || text[i] == '?')});
  }
  return out;
}

// The literal text before the first wildcard or variable (escapes count as text).
std::string LiteralPrefix(const std::string& text, bool wildcards, bool variables) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (wildcards && (text[i] == '*' || text[i] == '?')) break;
    if (variables && text.compare(i, 2, "${") == 0) {
      const size_t close = text.find('}', i + 2);
      if (close != std::string::npos) {
        const std::string name = text.substr(i + 2, close - i - 2);
        if (name != "*" && name != "?" && name != "$") break;
        out.push_back(name[0]);
        i = close;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Truth MatchText(const std::string& policy_value, const std::string& subject, bool wildcards,
                bool fold, bool variables, const Request& request) {
  // A subject that does not start with the pattern's literal text cannot match, whatever the
  // variables hold, so the answer is "no" even when a variable is undecidable.
  const std::string prefix = LiteralPrefix(policy_value, wildcards, variables);
  const std::string head = subject.substr(0, prefix.size());
  if (fold ? Lower(head) != Lower(prefix) : head != prefix) return Truth::kNo;
  if (!variables)
    return Wildcard(Plain(policy_value, wildcards), subject, fold) ? Truth::kYes : Truth::kNo;
  bool unknown = false;
  const auto pattern = Substitute(policy_value, wildcards, request, unknown);
  if (!pattern) return Truth::kNo;
  if (unknown) return Truth::kUnknown;
  return Wildcard(*pattern, subject, fold) ? Truth::kYes : Truth::kNo;
}

std::optional<double> Number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  for (const char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '+' && c != '.' &&
        c != 'e' && c != 'E') {
      return std::nullopt;
    }
  }
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> Date(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() <= 12) {
    return std::strtod(s.c_str(), nullptr);
  }
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<double>(timegm(&tm));
}

std::optional<bool> Boolean(const std::string& s) {
  const std::string l = Lower(s);
  if (l == "true") return true;
  if (l == "false") return false;
  return std::nullopt;
}

// CIDR containment with inet_pton, IPv4 and IPv6; a bare address is a /32 or
// /128. An address of the other family is outside the block (an IPv6 client
// does not match an IPv4 range, as AWS's S3 IPv6 guide implies).
std::optional<bool> InCidr(const std::string& cidr, const std::string& ip) {
  const size_t slash = cidr.find('/');
  const std::string net_text = cidr.substr(0, slash);
  unsigned char net[16] = {};
  unsigned char addr[16] = {};
  const bool net_v6 = net_text.find(':') != std::string::npos;
  const bool addr_v6 = ip.find(':') != std::string::npos;
  if (inet_pton(net_v6 ? AF_INET6 : AF_INET, net_text.c_str(), net) != 1) return std::nullopt;
  if (inet_pton(addr_v6 ? AF_INET6 : AF_INET, ip.c_str(), addr) != 1) return std::nullopt;
  if (net_v6 != addr_v6) return false;
  const int max_bits = net_v6 ? 128 : 32;
  const int bits = slash == std::string::npos ? max_bits : std::atoi(cidr.c_str() + slash + 1);
  if (bits < 0 || bits > max_bits) return std::nullopt;
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8;
    const int mask = 0x80 >> (i % 8);
    if ((net[byte] & mask) != (addr[byte] & mask)) return false;
  }
  return true;
}

struct Operator {
  std::string base;  // Without qualifier and IfExists, e.g. "StringNotLike".
  bool if_exists = false;
  std::string qualifier;  // "", "ForAnyValue", "ForAllValues".
};

Operator SplitOperator(std::string name) {
  Operator op;
  for (const char* q : {"ForAnyValue:", "ForAllValues:"}) {
    const std::string prefix = q;
    if (name.rfind(prefix, 0) == 0) {
      op.qualifier = prefix.substr(0, prefix.size() - 1);
      name = name.substr(prefix.size());
    }
  }
  const std::string suffix = "IfExists";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    op.if_exists = true;
    name = name.substr(0, name.size() - suffix.size());
  }
  op.base = name;
  return op;
}

bool IsNegated(const std::string& base) {
  return base == "StringNotEquals" || base == "StringNotEqualsIgnoreCase" ||
         base == "StringNotLike" || base == "NumericNotEquals" || base == "DateNotEquals" ||
         base == "NotIpAddress" || base == "ArnNotEquals" || base == "ArnNotLike";
}

// Splits an ARN into its six colon-separated parts; colons inside ${...} in policy values do
// not count. Returns false when there are fewer than six parts.
bool ArnParts(const std::string& arn, bool skip_variables, std::vector<std::string>& parts) {
  parts.assign(1, "");
  for (size_t i = 0; i < arn.size(); ++i) {
    if (parts.size() < 6 && skip_variables && arn.compare(i, 2, "${") == 0 &&
        arn.find('}', i) != std::string::npos) {
      const size_t close = arn.find('}', i);
      parts.back() += arn.substr(i, close - i + 1);
      i = close;
    } else if (arn[i] == ':' && parts.size() < 6) {
      parts.emplace_back();
    } else {
      parts.back() += arn[i];
    }
  }
  return parts.size() == 6;
}

// ArnEquals and ArnLike: "each of the six colon-delimited components of the ARN is checked
// separately and each can include multi-character match wildcards (*) or single-character
// match wildcards (?)".
Truth MatchArn(const std::string& p, const std::string& v, bool variables, const Request& request) {
  std::vector<std::string> want;
  std::vector<std::string> got;
  if (!ArnParts(p, variables, want) || !ArnParts(v, false, got)) return Truth::kNo;
  Truth all = Truth::kYes;
  for (size_t i = 0; i < 6; ++i) {
    const Truth t = MatchText(want[i], got[i], true, false, variables, request);
    if (t == Truth::kNo) return Truth::kNo;
    if (t == Truth::kUnknown) all = Truth::kUnknown;
  }
  return all;
}

// Does request value `v` match policy value `p` under the positive form of `base`?
Truth MatchPositive(const std::string& base, const std::string& p, const std::string& v,
                    bool variables, const Request& request, bool& unsupported) {
  if (base == "StringEquals" || base == "StringNotEquals") {
    return MatchText(p, v, false, false, variables, request);
  }
  if (base == "StringEqualsIgnoreCase" || base == "StringNotEqualsIgnoreCase") {
    return MatchText(p, v, false, true, variables, request);
  }
  if (base == "StringLike" || base == "StringNotLike") {
    return MatchText(p, v, true, false, variables, request);
  }
  if (base.rfind("Numeric", 0) == 0 || base.rfind("Date", 0) == 0) {
    const bool numeric = base.rfind("Numeric", 0) == 0;
    const auto a = numeric ? Number(v) : Date(v);
    const auto b = numeric ? Number(p) : Date(p);
    if (!a || !b) return Truth::kUnknown;
    const std::string cmp = base.substr(numeric ? 7 : 4);
    bool r = false;
    if (cmp == "Equals" || cmp == "NotEquals")
      r = *a == *b;
    else if (cmp == "LessThan")
      r = *a < *b;
    else if (cmp == "LessThanEquals")
      r = *a <= *b;
    else if (cmp == "GreaterThan")
      r = *a > *b;
    else if (cmp == "GreaterThanEquals")
      r = *a >= *b;
    else
      unsupported = true;
    return r ? Truth::kYes : Truth::kNo;
  }
  if (base == "ArnEquals" || base == "ArnNotEquals" || base == "ArnLike" || base == "ArnNotLike") {
    return MatchArn(p, v, variables, request);
  }
  if (base == "Bool") {
    const auto a = Boolean(v);
    const auto b = Boolean(p);
    if (!a || !b) return Truth::kUnknown;
    return *a == *b ? Truth::kYes : Truth::kNo;
  }
  if (base == "IpAddress" || base == "NotIpAddress") {
    const auto r = InCidr(p, v);
    if (!r) return Truth::kUnknown;
    return *r ? Truth::kYes : Truth::kNo;
  }
  unsupported = true;
  return Truth::kUnknown;
}

Truth Negate(Truth t) {
  if (t == Truth::kUnknown) return t;
  return t == Truth::kYes ? Truth::kNo : Truth::kYes;
}

// One operator/key pair, per the AWS Condition documentation.
Truth EvaluateKey(const std::string& op_name, const std::string& key, const json& values,
                  bool variables, const Request& request, bool& unsupported) {
  const Operator op = SplitOperator(op_name);
  const auto found = request.context.find(Lower(key));
  const bool present = found != request.context.end() && !found->second.empty();
  if (op.base == "Null") {
    // "true": the key must be absent; "false": it must be present.
    for (const std::string& p : AsList(values)) {
      if (Boolean(p) == std::optional<bool>(!present)) return Truth::kYes;
    }
    return Truth::kNo;
  }
  const bool negated = IsNegated(op.base);
  if (!present) {
    if (op.if_exists || op.qualifier == "ForAllValues") return Truth::kYes;
    if (op.qualifier == "ForAnyValue") return Truth::kNo;
    return negated ? Truth::kYes : Truth::kNo;
  }
  // For each request value: does it match any policy value (OR across values)?
  std::vector<Truth> per_value;
  for (const std::string& v : found->second) {
    Truth any = Truth::kNo;
    for (const std::string& p : AsList(values)) {
      const Truth t = MatchPositive(op.base, p, v, variables, request, unsupported);
      if (t == Truth::kYes) {
        any = Truth::kYes;
        break;
      }
      if (t == Truth::kUnknown) any = Truth::kUnknown;
    }
    per_value.push_back(op.qualifier.empty() || !negated ? any : Negate(any));
  }
  auto count = [&per_value](Truth t) {
    size_t n = 0;
    for (const Truth x : per_value) n += x == t ? 1 : 0;
    return n;
  };
  Truth result = Truth::kNo;
  if (op.qualifier == "ForAllValues") {
    result = count(Truth::kNo) > 0 ? Truth::kNo
                                   : (count(Truth::kUnknown) > 0 ? Truth::kUnknown : Truth::kYes);
  } else {
    result = count(Truth::kYes) > 0 ? Truth::kYes
                                    : (count(Truth::kUnknown) > 0 ? Truth::kUnknown : Truth::kNo);
  }
  return op.qualifier.empty() && negated ? Negate(result) : result;
}

// Logical AND with unknowns: any "no" makes it "no".
Truth And(Truth a, Truth b) {
  if (a == Truth::kNo || b == Truth::kNo) return Truth::kNo;
  if (a == Truth::kUnknown || b == Truth::kUnknown) return Truth::kUnknown;
  return Truth::kYes;
}

bool ActionMatches(const json& statement, const Request& request) {
  const bool negated = statement.contains("NotAction");
  bool any = false;
  for (const std::string& a : AsList(negated ? statement["NotAction"] : statement["Action"])) {
    any = any || Wildcard(Plain(a, true), request.action, /*fold=*/true);
  }
  return negated ? !any : any;
}

Truth ResourceMatches(const json& statement, const Request& request, bool variables) {
  const std::string action = Lower(request.action);
  if (action.rfind("s3:", 0) != 0 && action.rfind("s3express:", 0) != 0) return Truth::kYes;
  const bool negated = statement.contains("NotResource");
  if (!negated && !statement.contains("Resource")) return Truth::kYes;
  Truth any = Truth::kNo;
  for (const std::string& r : AsList(negated ? statement["NotResource"] : statement["Resource"])) {
    const Truth t = MatchText(r, request.resource, true, false, variables, request);
    if (t == Truth::kYes) {
      any = Truth::kYes;
      break;
    }
    if (t == Truth::kUnknown) any = Truth::kUnknown;
  }
  return negated ? Negate(any) : any;
}

// Principal rules for bucket policies, as policy-dsl/README.md states them.
bool PrincipalMatches(const json& statement, const Request& request) {
  const bool negated = statement.contains("NotPrincipal");
  const json& block = negated ? statement["NotPrincipal"] : statement["Principal"];
  bool everyone = false;
  bool named = false;
  if (block.is_string()) {
    everyone = block.get<std::string>() == "*";
  } else if (block.contains("AWS")) {
    for (const std::string& p : AsList(block["AWS"])) {
      everyone = everyone || p == "*";
      named = named || p == request.principal;
    }
  }
  const bool allow = statement["Effect"] == "Allow";
  if (request.anonymous) {
    if (allow) return !negated && everyone;
    return negated ? !everyone : everyone;
  }
  return negated ? !(everyone || named) : (everyone || named);
}

struct Verdict {
  bool deny = false;
  bool allow = false;
};

void Walk(const json& policy, bool bucket, const Request& request, Verdict& out,
          bool& unsupported) {
  const bool variables = policy.value("Version", "") == "2012-10-17";
  json statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  for (const json& st : statements) {
    if (!ActionMatches(st, request)) continue;
    Truth t = ResourceMatches(st, request, variables);
    if (bucket && !PrincipalMatches(st, request)) continue;
    if (st.contains("Condition")) {
      for (const auto& [op, keys] : st["Condition"].items()) {
        for (const auto& [key, values] : keys.items()) {
          t = And(t, EvaluateKey(op, key, values, variables, request, unsupported));
        }
      }
    }
    const bool deny = st["Effect"] == "Deny";
    // Fail closed: an unknown Deny applies, an unknown Allow does not.
    if (deny && t != Truth::kNo) out.deny = true;
    if (!deny && t == Truth::kYes) out.allow = true;
  }
}

}  // namespace

Outcome Decide(const Policies& policies, const Request& request) {
  bool unsupported = false;
  Verdict identity;
  Verdict bucket;
  Verdict session;
  if (!request.anonymous) {
    for (const json& p : policies.identity) Walk(p, false, request, identity, unsupported);
    if (policies.session != nullptr) Walk(*policies.session, false, request, session, unsupported);
  }
  if (policies.bucket != nullptr) Walk(*policies.bucket, true, request, bucket, unsupported);
  if (unsupported) return Outcome::kUnsupported;
  // "An explicit deny in any of these policies overrides the allow."
  if (identity.deny || bucket.deny || session.deny) return Outcome::kExplicitDeny;
  bool allowed = identity.allow || bucket.allow;
  if (policies.session != nullptr && !request.anonymous) allowed = allowed && session.allow;
  return allowed ? Outcome::kAllow : Outcome::kImplicitDeny;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllow:
      return "allow";
    case Outcome::kExplicitDeny:
      return "explicit-deny";
    case Outcome::kImplicitDeny:
      return "implicit-deny";
    case Outcome::kUnsupported:
      return "unsupported";
  }
  return "?";
}

}  // namespace coffer::reference
