#pragma once
// Structured logging: one JSON object per line with level, time, component,
// message, the request ID when there is one, and extra string fields. Time
// comes from the Clock seam, output goes to a LogSink, so simulated runs log
// deterministically. SECURITY: never pass a secret as a field; base::Secret
// has no conversion to string for this reason.

#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>

#include "coffer/base/clock.h"

namespace coffer::env {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

std::string_view LogLevelName(LogLevel level);
// Parses "debug", "info", "warn" or "error"; returns false on anything else.
bool ParseLogLevel(std::string_view name, LogLevel& level);

// Receives finished lines (without the trailing newline). Thread-safe.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(std::string_view line) = 0;
};

struct LogField {
  std::string_view key;
  std::string_view value;
};

class Logger {
 public:
  Logger(const base::Clock& clock, LogSink& sink, LogLevel min_level = LogLevel::kInfo)
      : clock_(clock), sink_(sink), min_level_(min_level) {}

  bool Enabled(LogLevel level) const { return level >= min_level_; }

  // Formats and writes one line. Thread-safe.
  void Log(LogLevel level, std::string_view component, std::string_view message,
           std::initializer_list<LogField> fields = {}, std::string_view request_id = {});

  void Debug(std::string_view component, std::string_view message,
             std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, component, message, fields);
  }
  void Info(std::string_view component, std::string_view message,
            std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, component, message, fields);
  }
  void Warn(std::string_view component, std::string_view message,
            std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, component, message, fields);
  }
  void Error(std::string_view component, std::string_view message,
             std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, component, message, fields);
  }

 private:
  const base::Clock& clock_;
  LogSink& sink_;
  LogLevel min_level_;
};

// Formats a wall time as RFC 3339 UTC with milliseconds: 2026-11-27T06:12:55.123Z.
std::string FormatRfc3339(base::WallTime t);

}  // namespace coffer::env
