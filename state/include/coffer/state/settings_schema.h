#pragma once
// The schema of the settings objects in a config repo: the appliance itself, the key service,
// identity providers and audit targets. One table drives parsing, validation, storage and the
// README, so a new key is added in exactly one place (settings_schema.cc).

#include <string_view>
#include <vector>

namespace coffer::state {

enum class FieldType {
  kString,
  kStringList,
  kInt,  // A non-negative integer.
  kBool,
  kSecret,         // A secret reference, resolved at apply and stored encrypted.
  kSecretRef,      // A secret reference kept as text; the daemon resolves it (root credentials).
  kPolicyName,     // A string naming a policy (checked for dangling references).
  kPolicyList,     // A list of policy names.
  kPolicyListMap,  // A table of "DN" = [policy names] (LDAP mappings).
};

struct FieldSpec {
  std::string_view name;  // Dotted for nested tables: "tls.cert_file".
  FieldType type;
  bool required = false;
  std::vector<std::string_view> allowed = {};  // For kString: the allowed values, if any.
};

struct SettingsSpec {
  std::string_view kind;       // "oidc", "ldap", "audit_webhook", ...
  std::string_view toml_path;  // "identity.oidc", "key_service", ...
  bool named = false;          // True: [path.NAME] tables; false: one [path] table.
  std::vector<FieldSpec> fields;
};

// Every settings kind, in apply order. The returned reference is to immutable data; safe to
// call from any thread.
const std::vector<SettingsSpec>& SettingsSpecs();

// The spec of `kind`, or nullptr.
const SettingsSpec* FindSettingsSpec(std::string_view kind);

}  // namespace coffer::state
