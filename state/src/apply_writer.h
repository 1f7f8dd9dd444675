#pragma once
// Row writers for apply: one prepared statement per operation, reused across changes.
// Private to coffer::state; used inside apply's transaction only.

#include <map>
#include <memory>
#include <string>

#include "coffer/state/apply.h"

#include "sql.h"

namespace coffer::state::internal {

class ApplyWriter {
 public:
  ApplyWriter(sqlite3* db, const DesiredRecords& desired, const MasterKey& key,
              base::Random& random, base::WallTime now);

  base::Status SyncBuiltins();
  base::Status Delete(const Change& change);
  base::Status Upsert(const Change& change, const Record& want);
  base::Status Outbox(const Change& change, const std::string& revision);

 private:
  base::Status UpsertPolicy(const Record& want);
  base::Status UpsertUser(const Change& change, const Record& want);
  base::Status UpsertGroup(const Record& want);
  base::Status UpsertBucket(const Record& want);
  base::Status UpsertSettings(const Change& change, const Record& want);
  base::Status ReplaceLinks(std::string_view table, std::string_view owner_column,
                            std::string_view item_column, const std::string& owner,
                            const std::string& json_list);
  base::Status ExpectOneRow(const Record& want);
  const std::map<std::string, base::Secret>* SecretsOf(const Record& want) const;
  // A prepared statement for `sql`, compiled once per apply.
  Statement& Prepare(std::string_view sql);

  sqlite3* db_;
  const DesiredRecords& desired_;
  const MasterKey& key_;
  base::Random& random_;
  std::int64_t now_ns_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
};

}  // namespace coffer::state::internal
