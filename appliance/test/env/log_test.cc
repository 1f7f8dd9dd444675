#include "coffer/env/log.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace coffer::env {
namespace {

class FixedClock final : public base::Clock {
 public:
  base::WallTime Now() const override {
    return base::WallTime(std::chrono::seconds(1795846375) + std::chrono::milliseconds(123));
  }
  base::MonoTime Monotonic() const override { return base::MonoTime(0); }
};

class VectorSink final : public LogSink {
 public:
  void Write(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

TEST(Logger, WritesOneJsonObjectPerLine) {
  FixedClock clock;
  VectorSink sink;
  Logger log(clock, sink);
  log.Log(LogLevel::kWarn, "server", "slow client", {{"peer", "127.0.0.1:5000"}}, "req-1");
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0],
            "{\"level\":\"warn\",\"time\":\"2026-11-28T06:12:55.123Z\",\"component\":\"server\","
            "\"msg\":\"slow client\",\"request_id\":\"req-1\",\"peer\":\"127.0.0.1:5000\"}");
}

TEST(Logger, DropsLinesBelowTheLevel) {
  FixedClock clock;
  VectorSink sink;
  Logger log(clock, sink, LogLevel::kInfo);
  log.Debug("x", "hidden");
  log.Info("x", "shown");
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_NE(sink.lines[0].find("shown"), std::string::npos);
}

TEST(Logger, EscapesControlCharactersAndQuotes) {
  FixedClock clock;
  VectorSink sink;
  Logger log(clock, sink);
  log.Info("x", "a\"b\\c\nd\x01");
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_NE(sink.lines[0].find(R"(a\"b\\c\nd\u0001)"), std::string::npos);
  EXPECT_EQ(sink.lines[0].find('\n'), std::string::npos);
}

TEST(LogLevel, ParsesNames) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", level));
  EXPECT_EQ(level, LogLevel::kDebug);
}

}  // namespace
}  // namespace coffer::env
