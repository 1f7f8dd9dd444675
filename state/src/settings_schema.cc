#include "coffer/state/settings_schema.h"

namespace coffer::state {
namespace {

std::vector<SettingsSpec> BuildSpecs() {
  using T = FieldType;
  std::vector<SettingsSpec> specs;
  specs.push_back({"appliance",
                   "appliance",
                   false,
                   {{"region", T::kString},
                    {"domains", T::kStringList},
                    {"trusted_proxies", T::kStringList},
                    {"allow_sigv2", T::kBool},
                    {"listen", T::kStringList},
                    {"drives", T::kStringList},
                    {"erasure.set_drive_count", T::kInt},
                    {"erasure.parity", T::kInt},
                    {"tls.cert_file", T::kString},
                    {"tls.key_file", T::kString},
                    {"tls.ca_file", T::kString},
                    {"tls.client_auth", T::kString, false, {"none", "request", "require"}},
                    {"tls.min_version", T::kString, false, {"1.2", "1.3"}},
                    {"root.access_key", T::kSecretRef},
                    {"root.secret_key", T::kSecretRef},
                    {"metrics.bearer_token", T::kSecret},
                    {"metrics.public", T::kBool}}});
  specs.push_back({"key_service",
                   "key_service",
                   false,
                   {{"address", T::kString, true},
                    {"client_cert_file", T::kString},
                    {"client_key_file", T::kString},
                    {"ca_file", T::kString},
                    {"default_key", T::kString},
                    {"create_keys", T::kStringList}}});
  specs.push_back({"oidc",
                   "identity.oidc",
                   true,
                   {{"issuer", T::kString, true},
                    {"client_id", T::kString, true},
                    {"client_secret", T::kSecret},
                    {"audiences", T::kStringList},
                    {"claim_name", T::kString},
                    {"claim_prefix", T::kString},
                    {"role_policy", T::kPolicyName},
                    {"scopes", T::kStringList},
                    {"jwks_file", T::kString},
                    {"discovery_url", T::kString},
                    {"redirect_uri", T::kString}}});
  specs.push_back({"ldap",
                   "identity.ldap",
                   true,
                   {{"server", T::kString, true},
                    {"tls", T::kString, false, {"tls", "starttls", "none"}},
                    {"tls_skip_verify", T::kBool},
                    {"ca_file", T::kString},
                    {"lookup_bind_dn", T::kString},
                    {"lookup_bind_password", T::kSecret},
                    {"user_dn_search_base", T::kString},
                    {"user_dn_search_filter", T::kString},
                    {"group_search_base", T::kString},
                    {"group_search_filter", T::kString},
                    {"group_policies", T::kPolicyListMap},
                    {"user_policies", T::kPolicyListMap},
                    {"timeout_ms", T::kInt}}});
  specs.push_back({"audit_webhook",
                   "audit.webhook",
                   true,
                   {{"endpoint", T::kString, true},
                    {"auth_token", T::kSecret},
                    {"client_cert_file", T::kString},
                    {"client_key_file", T::kString},
                    {"ca_file", T::kString},
                    {"timeout_ms", T::kInt},
                    {"batch_size", T::kInt},
                    {"queue_dir", T::kString},
                    {"queue_size", T::kInt},
                    {"mode", T::kString, false, {"strict", "best-effort"}},
                    {"enabled", T::kBool}}});
  specs.push_back({"audit_file",
                   "audit.file",
                   true,
                   {{"path", T::kString, true},
                    {"rotate_size_bytes", T::kInt},
                    {"max_files", T::kInt},
                    {"queue_dir", T::kString},
                    {"queue_size", T::kInt},
                    {"mode", T::kString, false, {"strict", "best-effort"}},
                    {"enabled", T::kBool}}});
  return specs;
}

}  // namespace

const std::vector<SettingsSpec>& SettingsSpecs() {
  // INVARIANT: immutable after first use; function-local statics initialise thread-safely.
  static const std::vector<SettingsSpec> kSpecs = BuildSpecs();
  return kSpecs;
}

const SettingsSpec* FindSettingsSpec(std::string_view kind) {
  for (const SettingsSpec& spec : SettingsSpecs()) {
    if (spec.kind == kind) return &spec;
  }
  return nullptr;
}

}  // namespace coffer::state
