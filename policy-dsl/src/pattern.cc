#include "pattern.h"

#include <array>

#include "coffer/base/assert.h"
#include "coffer/policy/evaluate.h"

#include "catalog.h"

namespace coffer::policy::internal {
namespace {

bool SameBytes(std::string_view a, std::string_view b, bool ignore_case) {
  if (a.size() != b.size()) return false;
  if (!ignore_case) return a == b;
  return EqualsIgnoreCase(a, b);
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view subject, bool ignore_case) {
  // The classic single-backtrack-point glob: the leftmost match of every segment between two
  // stars is the best one, so only the last star ever needs to move.
  size_t p = 0;
  size_t s = 0;
  size_t star_p = std::string_view::npos;
  size_t star_s = 0;
  while (s < subject.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_s = s;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' ||
                (ignore_case ? ToLowerAscii(pattern[p]) == ToLowerAscii(subject[s])
                             : pattern[p] == subject[s]))) {
      ++p;
      ++s;
    } else if (star_p != std::string_view::npos) {
      p = star_p;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<VariableRef> FindVariables(std::string_view text) {
  std::vector<VariableRef> out;
  size_t at = 0;
  while ((at = text.find("${", at)) != std::string_view::npos) {
    const size_t close = text.find('}', at + 2);
    if (close == std::string_view::npos) break;
    const std::string_view name = text.substr(at + 2, close - at - 2);
    if (name != "*" && name != "?" && name != "$") out.push_back({name, at});
    at = close + 1;
  }
  return out;
}

Pattern Pattern::Make(std::string_view text, bool wildcards, bool variables) {
  Pattern out;
  out.source_ = std::string(text);
  auto literal = [&out](char c) {
    if (out.pieces_.empty() || out.pieces_.back().kind != Piece::Kind::kLiteral) {
      out.pieces_.push_back({Piece::Kind::kLiteral, {}});
    }
    out.pieces_.back().text.push_back(c);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (variables && c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close != std::string_view::npos) {
        const std::string_view name = text.substr(i + 2, close - i - 2);
        i = close;
        if (name == "*" || name == "?" || name == "$") {
          literal(name[0]);
          continue;
        }
        std::string key;
        for (const char k : name) key.push_back(ToLowerAscii(k));
        out.pieces_.push_back({Piece::Kind::kVariable, std::move(key)});
        ++out.variable_count_;
        continue;
      }
    }
    if (wildcards && c == '*') {
      out.pieces_.push_back({Piece::Kind::kStar, {}});
    } else if (wildcards && c == '?') {
      out.pieces_.push_back({Piece::Kind::kOne, {}});
    } else {
      literal(c);
    }
  }
  COFFER_ASSERT(out.variable_count_ <= kMaxVariables);
  return out;
}

std::string_view Pattern::LiteralPrefix() const {
  if (pieces_.empty() || pieces_.front().kind != Piece::Kind::kLiteral) return {};
  return pieces_.front().text;
}

Tri Pattern::Match(std::string_view subject, const Context* context, bool ignore_case) const {
  // SECURITY: this shortcut only ever answers kFalse when no substitution at all could match,
  // so it never turns an undecidable Deny into "does not apply" wrongly.
  const std::string_view prefix = LiteralPrefix();
  if (!SameBytes(subject.substr(0, prefix.size()), prefix, ignore_case)) return Tri::kFalse;
  std::array<std::string_view, kMaxVariables> values{};
  if (variable_count_ > 0) {
    bool several = false;
    size_t v = 0;
    for (const Piece& piece : pieces_) {
      if (piece.kind != Piece::Kind::kVariable) continue;
      const auto found =
          context != nullptr ? context->Find(piece.text) : std::span<const std::string>{};
      if (found.empty()) return Tri::kFalse;
      several = several || found.size() > 1;
      values[v++] = found[0];
    }
    if (several) return Tri::kError;
  }
  // The same single-backtrack glob as GlobMatch, over pieces: literals and substituted values
  // are fixed-length runs compared byte for byte.
  const size_t n = pieces_.size();
  size_t p = 0;
  size_t s = 0;
  size_t star_p = std::string_view::npos;
  size_t star_s = 0;
  size_t v = 0;
  size_t star_v = 0;
  while (true) {
    if (p < n && pieces_[p].kind == Piece::Kind::kStar) {
      star_p = ++p;
      star_s = s;
      star_v = v;
      continue;
    }
    if (p == n) {
      if (s == subject.size()) return Tri::kTrue;
    } else {
      const Piece& piece = pieces_[p];
      std::string_view want;
      if (piece.kind == Piece::Kind::kOne) {
        if (s < subject.size()) {
          ++s;
          ++p;
          continue;
        }
      } else {
        want = piece.kind == Piece::Kind::kVariable ? values[v] : std::string_view(piece.text);
        if (SameBytes(subject.substr(s, want.size()), want, ignore_case)) {
          s += want.size();
          if (piece.kind == Piece::Kind::kVariable) ++v;
          ++p;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos || star_s >= subject.size()) return Tri::kFalse;
    s = ++star_s;
    p = star_p;
    v = star_v;
  }
}

}  // namespace coffer::policy::internal
