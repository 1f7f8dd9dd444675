#pragma once
// The IAM snapshot: an immutable, in-memory view of the store that the data plane reads on
// every request. Built from the store (secrets decrypted with the master key), shared as
// std::shared_ptr<const Snapshot>, and swapped atomically by SnapshotHolder; a request in
// flight keeps the snapshot it started with.
//
// Each snapshot carries a generation. SnapshotHolder hands out increasing generations; the
// builder asserts the snapshot has the generation it was asked for, and the holder asserts
// again at swap time that it is newer than the current one (pair assertions).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/policy/compile.h"
#include "coffer/state/config.h"
#include "coffer/state/crypto.h"
#include "coffer/state/revision.h"
#include "coffer/state/store.h"

namespace coffer::state {

enum class CredentialKind { kUser, kServiceAccount, kStsSession };

struct Credential {
  std::string access_key;
  base::Secret secret_key;
  CredentialKind kind = CredentialKind::kUser;
  std::string principal;       // The user it acts as (itself for users).
  std::string session_policy;  // Inline/session policy JSON narrowing the principal's rights.
  // session_policy compiled; null iff it is empty.
  std::shared_ptr<const policy::CompiledPolicy> compiled_session_policy;
  std::optional<base::WallTime> expires_at;
  std::string session_token_digest;  // STS only.
};

struct Principal {
  std::string name;
  bool enabled = true;
  std::vector<std::string> groups;    // Enabled groups only, sorted.
  std::vector<std::string> policies;  // Effective: direct plus groups', sorted, unique.
};

struct PolicyEntry {
  std::string name;
  std::string document;  // Canonical JSON.
  // The compiled form for evaluation. Never null in a built snapshot.
  std::shared_ptr<const policy::CompiledPolicy> compiled;
};

struct BucketEntry {
  std::string name;
  // True when the config repo declares the bucket; false for a runtime row
  // (settings an S3 client made on a bucket the repo does not own).
  bool repo_owned = true;
  bool versioning = false;
  Encryption encryption = Encryption::kNone;
  std::string kms_key;
  std::string policy;                                             // Bucket policy JSON, or empty.
  std::shared_ptr<const policy::CompiledPolicy> compiled_policy;  // Null iff policy is empty.
  AnonymousAccess anonymous = AnonymousAccess::kNone;
  // The anonymous-access shortcut as the bucket policy `mc anonymous set`
  // would write (AnonymousPolicyJson); null for kNone. Evaluated beside
  // compiled_policy.
  std::shared_ptr<const policy::CompiledPolicy> compiled_anonymous;
  std::optional<std::int64_t> quota_objects;
  std::optional<std::int64_t> quota_bytes;
};

// Appliance, key service, identity provider or audit target settings.
struct SettingsEntry {
  std::string kind;
  std::string name;
  std::map<std::string, std::string> fields;    // As in SettingsObject::fields.
  std::map<std::string, base::Secret> secrets;  // Decrypted (bind password, tokens, ...).
};

class Snapshot {
 public:
  std::uint64_t generation() const { return generation_; }
  const Revision& revision() const { return revision_; }
  base::WallTime built_at() const { return built_at_; }

  // Lookups return nullptr when absent. Thread-safe (the snapshot is immutable).
  const Credential* FindCredential(std::string_view access_key) const;
  const Principal* FindPrincipal(std::string_view name) const;
  const PolicyEntry* FindPolicy(std::string_view name) const;
  const BucketEntry* FindBucket(std::string_view name) const;
  const SettingsEntry* FindSettings(std::string_view kind, std::string_view name) const;
  // All settings of one kind ("oidc", "ldap", "audit_webhook", ...), sorted by name.
  std::vector<const SettingsEntry*> SettingsOfKind(std::string_view kind) const;

  // Every bucket row (repo-owned and runtime), sorted by name.
  std::vector<const BucketEntry*> Buckets() const;

  std::size_t credential_count() const { return credentials_.size(); }
  std::size_t policy_count() const { return policies_.size(); }
  std::size_t bucket_count() const { return buckets_.size(); }

 private:
  friend class SnapshotBuilder;
  std::uint64_t generation_ = 0;
  Revision revision_;
  base::WallTime built_at_{};
  std::map<std::string, Credential, std::less<>> credentials_;
  std::map<std::string, Principal, std::less<>> principals_;
  std::map<std::string, PolicyEntry, std::less<>> policies_;
  std::map<std::string, BucketEntry, std::less<>> buckets_;
  std::map<std::pair<std::string, std::string>, SettingsEntry, std::less<>> settings_;
};

// The bucket policy that grants `access` to everyone on `bucket`, as MinIO's
// canned policies: download = GetBucketLocation, ListBucket, GetObject;
// upload = GetBucketLocation, ListBucketMultipartUploads, PutObject,
// AbortMultipartUpload, DeleteObject, ListMultipartUploadParts; public = both.
// Empty for kNone.
std::string AnonymousPolicyJson(std::string_view bucket, AnonymousAccess access);

// Builds a snapshot of the store as it is now. Disabled users and their service accounts
// get no credential; expired STS sessions (expires_at <= now) are left out. Errors: the
// store's, and kDataLoss when a secret does not decrypt under `key`.
base::Result<std::shared_ptr<const Snapshot>> BuildSnapshot(Store& store, const MasterKey& key,
                                                            std::uint64_t generation,
                                                            base::WallTime now);

// Holds the current snapshot for the data plane. Thread-safe.
class SnapshotHolder {
 public:
  // The snapshot requests should use, or null before the first Swap.
  std::shared_ptr<const Snapshot> Current() const;
  // The generation to build the next snapshot with (current + 1). Thread-safe.
  std::uint64_t NextGeneration() const;
  // Installs `next`. Asserts it is non-null and newer than the current snapshot; a stale
  // snapshot (an older build finishing late) is a kAborted error, not a swap.
  base::Status Swap(std::shared_ptr<const Snapshot> next);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace coffer::state
