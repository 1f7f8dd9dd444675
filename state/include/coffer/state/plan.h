#pragma once
// Plan: the difference between the desired state (from the repo) and the repo-owned rows in
// the store, as a value. The differ (ComputePlan) is separate from its renderers: a human
// form with + ~ - and "(sensitive)" in place of secrets, and a JSON form for machines.
//
// Both sides are first flattened into Records: (kind, name, fields). Secret fields hold a
// keyed digest (MasterKey::Digest), never the secret, so plans compare secrets safely.
// Output order is stable: by kind (in apply order), then name, then field.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::state {

class Store;

struct FieldValue {
  std::string value;
  bool sensitive = false;  // Rendered as "(sensitive)".
  friend bool operator==(const FieldValue&, const FieldValue&) = default;
};

// One object of the IAM state, flattened. Kinds: policy, user, group, bucket, appliance,
// key_service, oidc, ldap, audit_webhook, audit_file.
struct Record {
  std::string kind;
  std::string name;
  std::map<std::string, FieldValue> fields;
  // Stored records only: the row no longer matches what apply last wrote (out-of-band edit).
  bool drifted = false;
};

// The rank of a kind in apply order (policies first, so attachments can reference them).
int KindRank(std::string_view kind);

enum class ChangeAction { kCreate, kUpdate, kDelete };
std::string_view ChangeActionName(ChangeAction a);

struct FieldChange {
  std::string field;
  std::optional<std::string> before;  // Absent on create.
  std::optional<std::string> after;   // Absent on delete.
  bool sensitive = false;
};

struct Change {
  ChangeAction action = ChangeAction::kCreate;
  std::string kind;
  std::string name;
  std::vector<FieldChange> fields;  // Sorted by field name; on update only the changed ones.
  bool drift = false;               // The stored row was changed outside the repo.
};

struct Plan {
  std::vector<Change> changes;  // Sorted by (KindRank, name).
  bool empty() const { return changes.empty(); }
  std::size_t Count(ChangeAction action) const;
  // How many stored repo-owned records of `kind` the plan deletes.
  std::size_t Deletes(std::string_view kind) const;
};

// The differ. `desired` and `stored` hold one record per (kind, name). Pure; thread-safe.
Plan ComputePlan(const std::vector<Record>& desired, const std::vector<Record>& stored);

// Human form, e.g.
//   + user alice
//       enabled: true
//       secret: (sensitive)
//   ~ bucket photos
//       versioning: false -> true
//   - policy old
//   Plan: 1 to create, 1 to update, 1 to delete.
std::string RenderPlanText(const Plan& plan);

// JSON form: {"format_version":"1","changes":[{"action","kind","name","drift","fields":
// {"f":{"before":..,"after":..,"sensitive":bool}}}],"summary":{"create","update","delete"}}.
// Sensitive values are omitted.
std::string RenderPlanJson(const Plan& plan);

// Reads every repo-owned record from the store (built-ins and runtime rows excluded), each
// with its drift flag. Errors: the store's (kUnavailable, kDataLoss).
base::Result<std::vector<Record>> ReadStoredRecords(Store& store);

// A canonical digest of a record's kind, name and fields (the applied_digest column).
std::string RecordDigest(const Record& record);

}  // namespace coffer::state
