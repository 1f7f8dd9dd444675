#include "coffer/env/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "coffer/base/json_escape.h"

namespace coffer::env {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool ParseLogLevel(std::string_view name, LogLevel& level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LogLevelName(l)) {
      level = l;
      return true;
    }
  }
  return false;
}

std::string FormatRfc3339(base::WallTime t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto ms = duration_cast<milliseconds>(t - secs).count();
  const std::time_t tt = secs.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];  // Room for any int in every field (-Wformat-truncation).
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message,
                 std::initializer_list<LogField> fields, std::string_view request_id) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128 + message.size());
  line += "{\"level\":\"";
  line += LogLevelName(level);
  line += "\",\"time\":\"";
  line += FormatRfc3339(clock_.Now());
  line += "\",\"component\":\"";
  base::AppendJsonEscaped(line, component);
  line += "\",\"msg\":\"";
  base::AppendJsonEscaped(line, message);
  line += '"';
  if (!request_id.empty()) {
    line += ",\"request_id\":\"";
    base::AppendJsonEscaped(line, request_id);
    line += '"';
  }
  for (const LogField& f : fields) {
    line += ",\"";
    base::AppendJsonEscaped(line, f.key);
    line += "\":\"";
    base::AppendJsonEscaped(line, f.value);
    line += '"';
  }
  line += '}';
  sink_.Write(line);
}

}  // namespace coffer::env
