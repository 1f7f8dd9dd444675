// The recent audit entries behind GET /coffer/admin/v1/audit/log: bounded by
// count and bytes (oldest out first), newest first, searchable, and a live
// tail that sees each entry once.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/audit/recent.h"

namespace coffer::core::audit {
namespace {

std::string Entry(const std::string& user, const std::string& api, unsigned status,
                  const std::string& time = "2026-11-27T18:00:00.000Z") {
  return nlohmann::json{{"accessKey", user},
                        {"api", {{"name", api}, {"bucket", "bkt1"}, {"statusCode", status}}},
                        {"time", time}}
      .dump();
}

TEST(RecentAuditLog, KeepsTheNewestWithinTheCountBound) {
  RecentAuditLog log({3, 1 << 20});
  for (int i = 0; i < 5; ++i) log.Add(Entry("u" + std::to_string(i), "PutObject", 200));
  EXPECT_EQ(log.size(), 3u);
  RecentAuditPage page = log.Find({});
  ASSERT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.entries[0].seq, 5u);
  EXPECT_EQ(page.entries[2].seq, 3u);
  EXPECT_EQ(page.latest_seq, 5u);
  EXPECT_EQ(page.oldest_seq, 3u);
}

TEST(RecentAuditLog, KeepsWithinTheByteBound) {
  const std::size_t one = Entry("alice", "GetObject", 200).size();
  RecentAuditLog log({1000, one * 2 + 1});
  for (int i = 0; i < 4; ++i) log.Add(Entry("alice", "GetObject", 200));
  EXPECT_EQ(log.size(), 2u);
  EXPECT_LE(log.bytes(), one * 2 + 1);
  // An entry larger than the whole budget is not kept (and evicts nothing).
  log.Add(std::string(one * 3, 'x'));
  EXPECT_EQ(log.size(), 2u);
}

TEST(RecentAuditLog, SearchesByUserApiStatusAndTime) {
  RecentAuditLog log;
  log.Add(Entry("alice", "PutObject", 200, "2026-11-27T18:00:00.000Z"));
  log.Add(Entry("bob", "GetObject", 403, "2026-11-27T18:00:10.000Z"));
  log.Add(Entry("alice", "GetObject", 500, "2026-11-27T18:00:20.000Z"));
  log.Add("not json at all");
  RecentAuditQuery q;
  q.user = "alice";
  EXPECT_EQ(log.Find(q).entries.size(), 2u);
  q = {};
  q.api = "GetObject";
  EXPECT_EQ(log.Find(q).entries.size(), 2u);
  q.status = "5xx";
  ASSERT_EQ(log.Find(q).entries.size(), 1u);
  EXPECT_EQ(log.Find(q).entries[0].seq, 3u);
  q = {};
  q.status = "error";
  EXPECT_EQ(log.Find(q).entries.size(), 2u);
  q = {};
  q.since = ParseRfc3339("2026-11-27T18:00:10Z");
  q.until = ParseRfc3339("2026-11-27T18:00:20Z");
  ASSERT_EQ(log.Find(q).entries.size(), 1u);
  EXPECT_EQ(log.Find(q).entries[0].seq, 2u);
  // The unparsable entry shows in an unfiltered tail only.
  EXPECT_EQ(log.Find({}).entries.size(), 4u);
  EXPECT_EQ(log.Find({}).entries[0].json, "not json at all");
}

TEST(RecentAuditLog, IndexesOnlyTheEntrysOwnFields) {
  // Look-alike keys in nested objects (tags, headers) are not the entry's.
  RecentAuditLog log;
  log.Add(R"({"accessKey":"alice","tags":{"accessKey":"mallory","api":{"name":"Fake"}},)"
          R"("api":{"bucket":"bkt1","name":"GetObject","statusCode":404,)"
          R"("nested":{"name":"Inner","statusCode":200}},"requestHeader":{"name":"x"},)"
          R"("time":"2026-11-27T18:00:00.000Z"})");
  RecentAuditQuery q;
  q.user = "alice";
  q.api = "GetObject";
  q.status = "404";
  q.bucket = "bkt1";
  EXPECT_EQ(log.Find(q).entries.size(), 1u);
  q = {};
  q.user = "mallory";
  EXPECT_EQ(log.Find(q).entries.size(), 0u);
  q = {};
  q.api = "Fake";
  EXPECT_EQ(log.Find(q).entries.size(), 0u);
  q = {};
  q.api = "Inner";
  EXPECT_EQ(log.Find(q).entries.size(), 0u);
}

TEST(RecentAuditLog, TailAfterACursorAndPageBack) {
  RecentAuditLog log;
  for (int i = 0; i < 10; ++i) log.Add(Entry("alice", "PutObject", 200));
  RecentAuditQuery q;
  q.after = 7;
  RecentAuditPage page = log.Find(q);
  ASSERT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.entries[0].seq, 10u);
  q = {};
  q.before = 4;
  q.limit = 2;
  page = log.Find(q);
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].seq, 3u);
  EXPECT_EQ(page.entries[1].seq, 2u);
}

TEST(RecentAuditLog, ParsesRfc3339) {
  EXPECT_TRUE(ParseRfc3339("2026-11-27T18:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2026-11-27T18:00:00.123+02:00").has_value());
  EXPECT_EQ(*ParseRfc3339("2026-11-27T20:00:00+02:00"), *ParseRfc3339("2026-11-27T18:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-27").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-13-27T18:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-11-27T18:00:00").has_value());
  EXPECT_FALSE(ParseRfc3339("").has_value());
}

}  // namespace
}  // namespace coffer::core::audit
