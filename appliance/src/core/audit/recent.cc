#include "coffer/core/audit/recent.h"

#include <chrono>

#include <nlohmann/json.hpp>

namespace coffer::core::audit {
namespace {

using nlohmann::json;

// Reads the fields a search filters on from an entry's JSON: accessKey,
// parentUser and time at the top level, api.bucket, api.name and
// api.statusCode one level down. Everything else is skipped.
class IndexReader final : public nlohmann::json_sax<json> {
 public:
  explicit IndexReader(RecentAuditLog::Item& item) : item_(item) {}
  std::string time;

  bool key(string_t& k) override {
    key_ = depth_ == 1 || (depth_ == 2 && in_api_) ? k : std::string();
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth_;
    in_api_ = depth_ == 2 && key_ == "api";
    return true;
  }
  bool end_object() override {
    if (depth_ == 2) in_api_ = false;
    --depth_;
    key_.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool string(string_t& v) override {
    if (depth_ == 1) {
      if (key_ == "accessKey") item_.access_key = v;
      if (key_ == "parentUser") item_.parent_user = v;
      if (key_ == "time") time = v;
    } else if (depth_ == 2 && in_api_) {
      if (key_ == "bucket") item_.bucket = v;
      if (key_ == "name") item_.api = v;
    }
    return true;
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ == 2 && in_api_ && key_ == "statusCode" && v < 1000) {
      item_.status = static_cast<unsigned>(v);
    }
    return true;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;  // Not JSON: kept with what was read so far.
  }

 private:
  RecentAuditLog::Item& item_;
  int depth_ = 0;
  bool in_api_ = false;
  std::string key_;
};

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
  // The index fields are read once here, so a search never re-parses. A SAX
  // pass (no document built) keeps this cheap on the request path.
  IndexReader reader(item);
  (void)json::sax_parse(entry_json, &reader, json::input_format_t::json, /*strict=*/true,
                        /*ignore_comments=*/false);
  if (!reader.time.empty()) item.time = ParseRfc3339(reader.time);
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
