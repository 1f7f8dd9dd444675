#pragma once
// The desired state: what a GitOps config repository (a directory of TOML files, plus the
// policy JSON files they name) says the appliance should hold. LoadConfig() parses and
// validates every file at once and reports every error as FILE:LINE:COL: message; it never
// resolves secrets, so `coffer validate` works without the environment or keys that apply needs.
//
// The loader is pure: it reads a ConfigTree (file contents in memory). ReadConfigDir() in
// config_files.h builds one from a directory.
//
// Schema (every key; unknown keys are errors):
//   [appliance]   region, listen = [..], drives = [..],
//                 [appliance.erasure] set_drive_count, parity,
//                 [appliance.tls] cert_file, key_file, ca_file, client_auth, min_version,
//                 [appliance.root] access_key, secret_key (references, resolved by serve).
//   [users.NAME]  secret (env:/file:/sealed:), enabled, groups = [..], policies = [..].
//   [groups.NAME] members = [..], policies = [..], enabled.
//   [policies.NAME] exactly one of: json = '''{..}''', file = "x.json", document = {..}.
//   [buckets.NAME] versioning, encryption (none|sse-s3|sse-kms), kms_key, policy (JSON string),
//                 policy_file, anonymous (none|download|upload|public), quota_objects, quota_bytes.
//   [identity.oidc.NAME], [identity.ldap.NAME], [audit.webhook.NAME], [audit.file.NAME],
//   [key_service]: see SettingsSpecs() in settings_schema.h for their keys.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::state {

// A position in a config file. Lines and columns are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// One validation error. ToString() gives "FILE:LINE:COL: message". Never holds a secret.
struct ConfigError {
  SourceLocation where;
  std::string message;
  std::string ToString() const;
};

// The files of a config repository: repo-relative path ("users/ops.toml") to content.
// Only *.toml files are loaded; other files (policy JSON) are read when a policy names them.
struct ConfigTree {
  std::map<std::string, std::string> files;
};

// A secret in the repo is always a reference or sealed, never the value itself.
struct SecretRef {
  enum class Kind { kEnv, kFile, kSealed };
  Kind kind = Kind::kEnv;
  // kEnv: the variable name; kFile: the path (relative to the repo or absolute);
  // kSealed: the whole "sealed:..." text.
  std::string target;
  SourceLocation where;

  // The reference as written ("env:NAME", "file:PATH", "sealed:..."). Safe to print.
  std::string Text() const;
};

// Parses "env:NAME", "file:PATH" or "sealed:BASE64". Anything else (a plain secret) is
// kInvalidArgument; the message never repeats the input.
base::Result<SecretRef> ParseSecretRef(std::string_view text);

struct UserConfig {
  std::string name;  // Also the access key.
  SecretRef secret;
  bool enabled = true;
  std::vector<std::string> groups;    // Sorted, unique.
  std::vector<std::string> policies;  // Sorted, unique.
  SourceLocation where;
};

struct GroupConfig {
  std::string name;
  bool enabled = true;
  std::vector<std::string> members;   // Sorted, unique; includes users naming this group.
  std::vector<std::string> policies;  // Sorted, unique.
  SourceLocation where;
};

struct PolicyConfig {
  std::string name;
  std::string document;  // Canonical (minified, key-sorted) JSON.
  SourceLocation where;
};

enum class Encryption { kNone, kSseS3, kSseKms };
enum class AnonymousAccess { kNone, kDownload, kUpload, kPublic };

std::string_view EncryptionName(Encryption e);
std::string_view AnonymousAccessName(AnonymousAccess a);

struct BucketConfig {
  std::string name;
  bool versioning = false;
  Encryption encryption = Encryption::kNone;
  std::string kms_key;  // Set iff encryption == kSseKms.
  std::string policy;   // Canonical JSON bucket policy, or empty.
  AnonymousAccess anonymous = AnonymousAccess::kNone;
  std::optional<std::int64_t> quota_objects;
  std::optional<std::int64_t> quota_bytes;
  SourceLocation where;
};

// A settings object (appliance, key_service, oidc, ldap, audit_webhook, audit_file): a flat
// map of canonical field values, driven by the schema in settings_schema.h. Lists are JSON
// arrays, booleans "true"/"false", integers decimal; nested tables use dotted names
// ("tls.cert_file").
struct SettingsObject {
  std::string kind;
  std::string name;  // "appliance" and "key_service" use their kind as name.
  std::map<std::string, std::string> fields;
  // Secrets resolved and encrypted at apply (LDAP bind password, webhook token, ...).
  std::map<std::string, SecretRef> secrets;
  SourceLocation where;
};

struct DesiredState {
  std::map<std::string, UserConfig> users;
  std::map<std::string, GroupConfig> groups;
  std::map<std::string, PolicyConfig> policies;  // Repo policies only, not built-ins.
  std::map<std::string, BucketConfig> buckets;
  // Keyed by (kind, name).
  std::map<std::pair<std::string, std::string>, SettingsObject> settings;
};

// The outcome of LoadConfig: the state (meaningful only when errors is empty) and every
// error found, sorted by file, line and column.
struct ConfigLoad {
  DesiredState state;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

// Parses, merges and validates every *.toml in `tree`. Pure and thread-compatible; never
// reads the environment or the file system and never resolves secrets.
ConfigLoad LoadConfig(const ConfigTree& tree);

// LoadConfig() as a Result: kInvalidArgument whose message lists every error, one a line.
base::Result<DesiredState> LoadValidConfig(const ConfigTree& tree);

// Joins errors as "FILE:LINE:COL: message" lines.
std::string FormatErrors(const std::vector<ConfigError>& errors);

// True when the state leaves at least one enabled principal with admin rights: an enabled
// user (directly or through an enabled group) with an admin policy, an LDAP mapping or an OIDC
// role policy that grants one, or root credentials in [appliance.root]. Admin policies are
// the built-ins "admin" and "consoleAdmin" and any policy allowing "*" or "admin:*".
bool HasAdminPrincipal(const DesiredState& state);

}  // namespace coffer::state
