#pragma once
// A thin RAII layer over the SQLite C API for coffer::state's own use: a prepared statement
// with typed binds and columns, and errors as base::Error. Not thread-safe; one per Store.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "coffer/base/result.h"

namespace coffer::state::internal {

// Maps a SQLite result code to the code callers act on: busy/locked is retryable, I/O and
// corruption are data loss, full is resource exhaustion.
base::Error SqlError(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // kInternal when the SQL did not compile (a bug).
  base::Status status() const { return status_; }

  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& Bind(int index, std::int64_t value);
  Statement& BindNull(int index);
  Statement& Bind(int index, std::optional<std::int64_t> value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Steps once: true when a row is available, false when done.
  base::Result<bool> Step();
  // Steps to completion (for writes) and resets for reuse.
  base::Status Run();
  void Reset();

  std::string Text(int column) const;
  std::int64_t Int(int column) const;
  std::optional<std::int64_t> OptionalInt(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  base::Status status_;
};

// Runs SQL with no parameters or results (may hold several statements).
base::Status Exec(sqlite3* db, std::string_view sql);

}  // namespace coffer::state::internal
