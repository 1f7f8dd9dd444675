#pragma once
// The store's schema migrations, embedded at build time from state/migrations/NNNN_name.sql
// (see embed_migrations.cmake). Applied in order; each runs once, in its own transaction.

#include <string_view>
#include <vector>

namespace coffer::state::internal {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration, sorted by version. Immutable; thread-safe.
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace coffer::state::internal
