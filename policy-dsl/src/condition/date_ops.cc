// DateEquals, DateNotEquals, DateLessThan(Equals), DateGreaterThan(Equals). Times are values:
// the request supplies aws:CurrentTime or aws:EpochTime; nothing here reads a clock.

#include "condition.h"

namespace coffer::policy::internal {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Reads exactly `n` digits at text[at].
std::optional<int64_t> Digits(std::string_view text, size_t at, size_t n) {
  if (at + n > text.size()) return std::nullopt;
  int64_t out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    out = out * 10 + (text[i] - '0');
  }
  return out;
}

int64_t DaysInMonth(int64_t y, int64_t m) {
  constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool Compares(Compare compare, int64_t request, int64_t policy) {
  switch (compare) {
    case Compare::kEq:
      return request == policy;
    case Compare::kLt:
      return request < policy;
    case Compare::kLe:
      return request <= policy;
    case Compare::kGt:
      return request > policy;
    case Compare::kGe:
      return request >= policy;
  }
  return false;
}

std::optional<int64_t> EpochSeconds(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t out = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    out = out * 10 + (c - '0');
  }
  return out * 1000;
}

// Parses the part after "HH:MM:SS": optional fraction, then Z or +hh:mm / -hh:mm.
std::optional<int64_t> FractionAndZone(std::string_view text, size_t at, int64_t& millis) {
  if (at < text.size() && text[at] == '.') {
    ++at;
    int64_t scale = 100;
    const size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      millis += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  if (at + 1 == text.size() && text[at] == 'Z') return 0;
  if (at + 6 != text.size() || (text[at] != '+' && text[at] != '-') || text[at + 3] != ':') {
    return std::nullopt;
  }
  const auto hh = Digits(text, at + 1, 2);
  const auto mm = Digits(text, at + 4, 2);
  if (!hh || !mm || *hh > 23 || *mm > 59) return std::nullopt;
  const int64_t offset = (*hh * 60 + *mm) * 60 * 1000;
  return text[at] == '+' ? offset : -offset;
}

}  // namespace

std::optional<int64_t> ParseDateMillis(std::string_view text) {
  if (text.size() < 10 || text[4] != '-') return EpochSeconds(text);
  const auto y = Digits(text, 0, 4);
  const auto mo = Digits(text, 5, 2);
  const auto d = Digits(text, 8, 2);
  if (!y || !mo || !d || text[7] != '-' || *mo < 1 || *mo > 12 || *d < 1 ||
      *d > DaysInMonth(*y, *mo)) {
    return std::nullopt;
  }
  int64_t millis = DaysFromCivil(*y, *mo, *d) * 86400 * 1000;
  if (text.size() == 10) return millis;
  if (text[10] != 'T' || text.size() < 19 || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto h = Digits(text, 11, 2);
  const auto mi = Digits(text, 14, 2);
  const auto s = Digits(text, 17, 2);
  if (!h || !mi || !s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  millis += ((*h * 60 + *mi) * 60 + *s) * 1000;
  const std::optional<int64_t> offset = FractionAndZone(text, 19, millis);
  if (!offset) return std::nullopt;
  return millis - *offset;
}

Tri MatchDateValue(const CompiledCondition& c, std::string_view value) {
  const std::optional<int64_t> request = ParseDateMillis(value);
  if (!request) return Tri::kError;
  for (const int64_t policy : c.dates_ms) {
    if (Compares(c.op.compare, *request, policy)) return Tri::kTrue;
  }
  return Tri::kFalse;
}

}  // namespace coffer::policy::internal
