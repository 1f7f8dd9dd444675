#include "coffer/core/audit/recent.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "coffer/env/log.h"

namespace coffer::core::audit {
namespace {

using nlohmann::json;

std::string StringAt(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "200" matches 200; "2xx" its class; "error" >= 400; "success" < 400.
bool StatusMatches(unsigned status, std::string_view want) {
  if (want.empty()) return true;
  if (want == "error") return status >= 400;
  if (want == "success") return status != 0 && status < 400;
  if (want.size() == 3 && want[1] == 'x' && want[2] == 'x' && want[0] >= '1' && want[0] <= '5') {
    return status / 100 == static_cast<unsigned>(want[0] - '0');
  }
  return std::to_string(status) == want;
}

std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
}  // namespace

std::optional<base::WallTime> ParseRfc3339(std::string_view text) {
  auto year = Digits(text, 0, 4);
  auto month = Digits(text, 5, 2);
  auto day = Digits(text, 8, 2);
  auto hour = Digits(text, 11, 2);
  auto minute = Digits(text, 14, 2);
  auto second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = Digits(text, pos + 1, 2);
    auto om = Digits(text, pos + 4, 2);
    if (!oh || !om || pos + 3 >= text.size() || text[pos + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(*hour) +
                     std::chrono::minutes(*minute) + std::chrono::seconds(*second);
  return base::WallTime(local - offset) + fraction;
}

RecentAuditLog::RecentAuditLog(RecentAuditOptions options) : options_(options) {}

void RecentAuditLog::Add(std::string_view entry_json) {
  if (entry_json.size() > options_.max_bytes || options_.max_entries == 0) return;
  Item item;
  item.json = std::string(entry_json);
  // The index fields are read once here, so a search never re-parses.
  const json doc = json::parse(entry_json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    item.access_key = StringAt(doc, "accessKey");
    item.parent_user = StringAt(doc, "parentUser");
    if (auto api = doc.find("api"); api != doc.end() && api->is_object()) {
      item.bucket = StringAt(*api, "bucket");
      item.api = StringAt(*api, "name");
      if (auto code = api->find("statusCode"); code != api->end() && code->is_number_unsigned()) {
        item.status = code->get<unsigned>();
      }
    }
    if (auto t = ParseRfc3339(StringAt(doc, "time"))) item.time = *t;
  }
  std::lock_guard lock(mu_);
  item.seq = next_seq_++;
  bytes_ += item.json.size();
  items_.push_back(std::move(item));
  // INVARIANT: both bounds hold after every Add.
  while (items_.size() > options_.max_entries || bytes_ > options_.max_bytes) {
    bytes_ -= items_.front().json.size();
    items_.pop_front();
  }
}

bool RecentAuditLog::Matches(const Item& item, const RecentAuditQuery& query) {
  if (item.seq <= query.after) return false;
  if (query.before.has_value() && item.seq >= *query.before) return false;
  if (!query.user.empty() && item.access_key != query.user && item.parent_user != query.user) {
    return false;
  }
  if (!query.bucket.empty() && item.bucket != query.bucket) return false;
  if (!query.api.empty() && item.api != query.api) return false;
  if (!StatusMatches(item.status, query.status)) return false;
  if (query.since.has_value() && (!item.time.has_value() || *item.time < *query.since)) {
    return false;
  }
  if (query.until.has_value() && (!item.time.has_value() || *item.time >= *query.until)) {
    return false;
  }
  return true;
}

RecentAuditPage RecentAuditLog::Find(const RecentAuditQuery& query) const {
  RecentAuditPage page;
  std::lock_guard lock(mu_);
  if (!items_.empty()) {
    page.latest_seq = items_.back().seq;
    page.oldest_seq = items_.front().seq;
  }
  for (auto it = items_.rbegin(); it != items_.rend() && page.entries.size() < query.limit; ++it) {
    // Sequence numbers only grow: nothing older can match a live-tail cursor.
    if (it->seq <= query.after) break;
    if (Matches(*it, query)) page.entries.push_back({it->seq, it->json});
  }
  return page;
}

std::size_t RecentAuditLog::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

std::size_t RecentAuditLog::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace coffer::core::audit
