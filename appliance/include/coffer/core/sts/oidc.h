#pragma once
// The OpenID Connect web-identity verifier: the WebIdentityVerifier behind
// AssumeRoleWithWebIdentity and AssumeRoleWithClientGrants. It finds the
// provider a token belongs to among the snapshot's [identity.oidc.NAME]
// settings, verifies the token's signature with the provider's keys (a
// jwks_file from the config repo, or the discovery document's jwks_uri fetched
// through env::DocumentFetcher), checks its claims, and maps it to policies:
//
// - the provider's role_policy when it has one (MinIO's RolePolicy: every
//   token of that provider gets it), otherwise
// - the names in the claim `claim_prefix + claim_name` (default "policy"): a
//   string of comma-separated names or an array of names; names the snapshot
//   does not know are dropped, and a token left with none is refused.
//
// RoleArn (optional) names the provider: arn:minio:iam:::role/NAME,
// arn:coffer:iam:::role/NAME or arn:aws:iam::ACCOUNT:role/NAME.
//
// Keys are cached per provider; an unknown kid triggers one refetch at most
// every `refetch_min_interval`; a failed refresh keeps serving the last good
// keys. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/core/sts/identity.h"
#include "coffer/core/sts/jwks.h"
#include "coffer/env/http_fetch.h"

struct ossl_lib_ctx_st;

namespace coffer::state {
struct SettingsEntry;
}

namespace coffer::core::sts {

// One [identity.oidc.NAME] table, decoded.
struct OidcProvider {
  std::string name;
  std::string issuer;
  std::string client_id;
  std::vector<std::string> audiences;  // client_id first, then `audiences`.
  std::string claim_name = "policy";
  std::string claim_prefix;
  std::string role_policy;
  std::vector<std::string> scopes;
  std::string jwks_file;
  std::string discovery_url;
};

// Decodes a settings entry of kind "oidc". Errors: kFailedPrecondition when a
// required field is missing or a list field is not a JSON array of strings.
base::Result<OidcProvider> ProviderFromSettings(const state::SettingsEntry& entry);

// The provider name in a role ARN, or nullopt when `arn` is not a role ARN.
std::optional<std::string> ProviderNameFromRoleArn(std::string_view arn);

// Maps verified, checked claims to an identity: policies (role policy or
// claim), parent "oidc:NAME:SUB", subject, ${jwt:*} variables (strings,
// numbers and booleans; arrays of strings joined by ","), and not_after = exp
// unless `may_outlive_token`. `policy_exists` says whether a policy name is
// known. Errors: kUnauthenticated without a subject; kPermissionDenied when no
// known policy remains.
base::Result<ExternalIdentity> MapClaims(const OidcProvider& provider, const nlohmann::json& claims,
                                         const std::function<bool(std::string_view)>& policy_exists,
                                         bool may_outlive_token);

struct OidcOptions {
  // Borrowed, never null: env.random().LibCtx().
  ossl_lib_ctx_st* libctx = nullptr;
  // For discovery_url providers; borrowed, may be null (then such providers
  // answer kUnavailable).
  env::DocumentFetcher* fetcher = nullptr;
  // Reads a jwks_file (a path as written in the config repo) from the applied
  // repo; supplied by serve (or a test). Empty: jwks_file providers answer
  // kUnavailable.
  std::function<base::Result<std::string>(std::string_view path)> read_config_file;
  env::FetchLimits fetch_limits;
  std::chrono::seconds skew{60};
  // Fetched keys are refreshed after this long (the file is re-read whenever
  // the snapshot generation changes).
  std::chrono::seconds keys_ttl{3600};
  // Unknown kids and failed fetches refetch at most this often per provider.
  std::chrono::seconds refetch_min_interval{30};
  // MinIO lets sessions outlive the token when configured; off by default.
  bool sessions_may_outlive_token = false;
};

class OidcVerifier final : public WebIdentityVerifier {
 public:
  explicit OidcVerifier(OidcOptions options);

  // See WebIdentityVerifier. Errors: kUnauthenticated for a token that is
  // malformed, badly signed, from an unconfigured issuer or for another
  // audience; kDeadlineExceeded when it has expired; kNotFound for a RoleArn
  // naming no provider; kInvalidArgument for a malformed RoleArn;
  // kPermissionDenied when no policy applies; kUnavailable when the provider's
  // keys cannot be had.
  base::Result<ExternalIdentity> Verify(std::string_view token, std::string_view role_arn,
                                        const state::Snapshot& snapshot,
                                        base::WallTime now) override;

  // How many times keys were loaded (fetched or read), for tests.
  std::uint64_t key_loads() const;

 private:
  struct CacheEntry {
    std::string source;  // The jwks_file path or discovery_url the keys came from.
    std::shared_ptr<const JwkSet> keys;
    std::uint64_t generation = 0;
    base::WallTime loaded_at{};
    base::WallTime last_attempt{};
    bool has_attempt = false;
  };

  base::Result<std::shared_ptr<const JwkSet>> Keys(const OidcProvider& provider,
                                                   std::uint64_t generation, base::WallTime now,
                                                   bool unknown_kid);
  base::Result<std::shared_ptr<const JwkSet>> Load(const OidcProvider& provider);
  base::Result<ExternalIdentity> VerifyFor(const OidcProvider& provider, std::string_view token,
                                           const state::Snapshot& snapshot, base::WallTime now);

  OidcOptions options_;
  mutable std::mutex cache_mu_;
  std::map<std::string, CacheEntry, std::less<>> cache_;
  std::mutex load_mu_;  // Serializes loads so a burst of unknown kids fetches once.
  std::uint64_t key_loads_ = 0;
};

}  // namespace coffer::core::sts
