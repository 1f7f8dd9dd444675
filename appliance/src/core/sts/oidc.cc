#include "coffer/core/sts/oidc.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "coffer/core/sts/jwt.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::sts {
namespace {

using nlohmann::json;

std::string Field(const state::SettingsEntry& e, const char* name) {
  auto it = e.fields.find(name);
  return it == e.fields.end() ? std::string() : it->second;
}

base::Result<std::vector<std::string>> ListField(const state::SettingsEntry& e, const char* name) {
  std::vector<std::string> out;
  auto it = e.fields.find(name);
  if (it == e.fields.end() || it->second.empty()) return out;
  json doc = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) {
    return base::FailedPrecondition("identity.oidc." + e.name + "." + name + " is not a list");
  }
  for (const json& v : doc) {
    if (!v.is_string()) {
      return base::FailedPrecondition("identity.oidc." + e.name + "." + name +
                                      " holds a non-string");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// The names a policy claim carries: "a,b" or ["a", "b"].
std::vector<std::string> PolicyNames(const json& claim) {
  std::vector<std::string> names;
  auto add_csv = [&](std::string_view csv) {
    while (true) {
      const auto comma = csv.find(',');
      std::string name = Trim(csv.substr(0, comma));
      if (!name.empty()) names.push_back(std::move(name));
      if (comma == std::string_view::npos) break;
      csv.remove_prefix(comma + 1);
    }
  };
  if (claim.is_string()) add_csv(claim.get_ref<const std::string&>());
  if (claim.is_array()) {
    for (const json& v : claim) {
      if (v.is_string()) add_csv(v.get_ref<const std::string&>());
    }
  }
  return names;
}

// A claim as a policy-variable value, or nullopt for objects and nulls.
std::optional<std::string> VariableValue(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<std::int64_t>(d));
    }
    return v.dump();
  }
  if (v.is_array()) {
    std::string joined;
    for (const json& item : v) {
      if (!item.is_string()) return std::nullopt;
      if (!joined.empty()) joined += ",";
      joined += item.get<std::string>();
    }
    return joined;
  }
  return std::nullopt;
}

std::string ClaimString(const json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

base::Result<OidcProvider> ProviderFromSettings(const state::SettingsEntry& entry) {
  OidcProvider p;
  p.name = entry.name;
  p.issuer = Field(entry, "issuer");
  p.client_id = Field(entry, "client_id");
  if (p.issuer.empty() || p.client_id.empty()) {
    return base::FailedPrecondition("identity.oidc." + entry.name + " needs issuer and client_id");
  }
  p.audiences.push_back(p.client_id);
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> extra, ListField(entry, "audiences"));
  for (std::string& a : extra) {
    if (std::find(p.audiences.begin(), p.audiences.end(), a) == p.audiences.end()) {
      p.audiences.push_back(std::move(a));
    }
  }
  COFFER_ASSIGN_OR_RETURN(p.scopes, ListField(entry, "scopes"));
  if (std::string c = Field(entry, "claim_name"); !c.empty()) p.claim_name = std::move(c);
  p.claim_prefix = Field(entry, "claim_prefix");
  p.role_policy = Field(entry, "role_policy");
  p.jwks_file = Field(entry, "jwks_file");
  p.discovery_url = Field(entry, "discovery_url");
  if (p.jwks_file.empty() && p.discovery_url.empty()) {
    return base::FailedPrecondition("identity.oidc." + entry.name +
                                    " needs jwks_file or discovery_url");
  }
  return p;
}

std::optional<std::string> ProviderNameFromRoleArn(std::string_view arn) {
  constexpr std::string_view kRole = ":role/";
  for (std::string_view prefix : {"arn:minio:iam:::role/", "arn:coffer:iam:::role/"}) {
    if (arn.starts_with(prefix) && arn.size() > prefix.size()) {
      return std::string(arn.substr(prefix.size()));
    }
  }
  constexpr std::string_view kAws = "arn:aws:iam::";
  if (arn.starts_with(kAws)) {
    const auto role = arn.find(kRole, kAws.size());
    const std::string_view account = arn.substr(kAws.size(), role - kAws.size());
    const bool digits =
        std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (role != std::string_view::npos && digits && arn.size() > role + kRole.size()) {
      return std::string(arn.substr(role + kRole.size()));
    }
  }
  return std::nullopt;
}

base::Result<ExternalIdentity> MapClaims(const OidcProvider& provider, const json& claims,
                                         const std::function<bool(std::string_view)>& policy_exists,
                                         bool may_outlive_token) {
  ExternalIdentity id;
  id.subject = ClaimString(claims, "sub");
  if (id.subject.empty()) id.subject = ClaimString(claims, "client_id");
  if (id.subject.empty()) return base::Unauthenticated("JWT refused: no \"sub\" claim");
  id.parent = "oidc:" + provider.name + ":" + id.subject;
  std::vector<std::string> wanted;
  if (!provider.role_policy.empty()) {
    wanted.push_back(provider.role_policy);
  } else if (auto c = claims.find(provider.claim_prefix + provider.claim_name); c != claims.end()) {
    wanted = PolicyNames(*c);
  }
  for (std::string& name : wanted) {
    if (policy_exists(name) &&
        std::find(id.policies.begin(), id.policies.end(), name) == id.policies.end()) {
      id.policies.push_back(std::move(name));
    }
  }
  if (id.policies.empty()) {
    return base::PermissionDenied("the token maps to no known policy (claim \"" +
                                  provider.claim_prefix + provider.claim_name + "\")");
  }
  std::sort(id.policies.begin(), id.policies.end());
  for (const auto& [key, value] : claims.items()) {
    if (auto v = VariableValue(value)) id.variables["jwt:" + key] = *std::move(v);
  }
  if (!may_outlive_token) {
    // CheckClaims has made sure exp is a finite number.
    const double exp = claims.at("exp").get<double>();
    id.not_after = base::WallTime(std::chrono::seconds(static_cast<std::int64_t>(exp)));
  }
  return id;
}

OidcVerifier::OidcVerifier(OidcOptions options) : options_(std::move(options)) {
  COFFER_ASSERT(options_.libctx != nullptr);
}

std::uint64_t OidcVerifier::key_loads() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return key_loads_;
}

base::Result<ExternalIdentity> OidcVerifier::Verify(std::string_view token,
                                                    std::string_view role_arn,
                                                    const state::Snapshot& snapshot,
                                                    base::WallTime now) {
  // SECURITY: the unverified issuer only picks which provider's keys to try.
  COFFER_ASSIGN_OR_RETURN(VerifiedJwt unverified, DecodeUnverified(token));
  const std::string iss = ClaimString(unverified.claims, "iss");
  std::optional<std::string> wanted_name;
  if (!role_arn.empty()) {
    wanted_name = ProviderNameFromRoleArn(role_arn);
    if (!wanted_name) return base::InvalidArgument("RoleArn is not a role ARN");
  }
  bool named_found = false;
  std::optional<base::Error> last_error;
  for (const state::SettingsEntry* entry : snapshot.SettingsOfKind("oidc")) {
    if (wanted_name && entry->name != *wanted_name) continue;
    named_found = true;
    COFFER_ASSIGN_OR_RETURN(OidcProvider provider, ProviderFromSettings(*entry));
    if (provider.issuer != iss) continue;
    auto id = VerifyFor(provider, token, snapshot, now);
    if (id || wanted_name) return id;
    last_error = id.error();
  }
  if (wanted_name && !named_found) {
    return base::NotFound("RoleArn names no configured OpenID provider");
  }
  if (last_error) return *last_error;
  return base::Unauthenticated("JWT refused: no OpenID provider is configured for its issuer");
}

base::Result<ExternalIdentity> OidcVerifier::VerifyFor(const OidcProvider& provider,
                                                       std::string_view token,
                                                       const state::Snapshot& snapshot,
                                                       base::WallTime now) {
  COFFER_ASSIGN_OR_RETURN(auto keys, Keys(provider, snapshot.generation(), now, false));
  auto jwt = VerifyJws(token, *keys, options_.libctx);
  if (!jwt && jwt.error().code() == base::ErrorCode::kNotFound) {
    COFFER_ASSIGN_OR_RETURN(keys, Keys(provider, snapshot.generation(), now, true));
    jwt = VerifyJws(token, *keys, options_.libctx);
  }
  if (!jwt) {
    if (jwt.error().code() == base::ErrorCode::kNotFound) {
      return base::Unauthenticated(jwt.error().message());
    }
    return jwt.error();
  }
  COFFER_RETURN_IF_ERROR(CheckClaims(
      jwt->claims, ClaimRequirements{provider.issuer, provider.audiences, options_.skew}, now));
  auto exists = [&](std::string_view name) { return snapshot.FindPolicy(name) != nullptr; };
  return MapClaims(provider, jwt->claims, exists, options_.sessions_may_outlive_token);
}

base::Result<std::shared_ptr<const JwkSet>> OidcVerifier::Keys(const OidcProvider& provider,
                                                               std::uint64_t generation,
                                                               base::WallTime now,
                                                               bool unknown_kid) {
  const bool from_file = !provider.jwks_file.empty();
  const std::string source = from_file ? "file:" + provider.jwks_file : provider.discovery_url;
  auto fresh = [&](const CacheEntry& e) {
    if (e.source != source || !e.keys) return false;
    return from_file ? e.generation == generation : now - e.loaded_at < options_.keys_ttl;
  };
  auto recently_tried = [&](const CacheEntry& e) {
    return e.source == source && e.has_attempt &&
           now - e.last_attempt < options_.refetch_min_interval;
  };
  std::shared_ptr<const JwkSet> stale;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(provider.name);
    if (it != cache_.end()) {
      const CacheEntry& e = it->second;
      if (e.source == source) stale = e.keys;
      if (!unknown_kid && fresh(e)) return e.keys;
      // Rate limit: an attacker sending random kids must not make us hammer the provider.
      if (recently_tried(e)) {
        if (e.keys) return e.keys;
        return base::Unavailable("the OpenID provider's keys could not be loaded recently");
      }
    }
  }
  std::lock_guard<std::mutex> load_lock(load_mu_);
  {
    // Another request may have loaded them while this one waited.
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(provider.name);
    if (it != cache_.end() && recently_tried(it->second) && it->second.keys &&
        (unknown_kid || fresh(it->second))) {
      return it->second.keys;
    }
  }
  auto loaded = Load(provider);
  std::lock_guard<std::mutex> lock(cache_mu_);
  ++key_loads_;
  CacheEntry& e = cache_[provider.name];
  if (e.source != source) e = CacheEntry{source, nullptr, 0, {}, {}, false};
  e.last_attempt = now;
  e.has_attempt = true;
  if (!loaded) {
    // A failed refresh keeps the last good keys: an IdP outage must not lock everyone out.
    if (stale) return stale;
    return loaded.error();
  }
  e.keys = *loaded;
  e.generation = generation;
  e.loaded_at = now;
  return e.keys;
}

base::Result<std::shared_ptr<const JwkSet>> OidcVerifier::Load(const OidcProvider& provider) {
  const std::string where = "identity.oidc." + provider.name;
  if (!provider.jwks_file.empty()) {
    if (!options_.read_config_file) return base::Unavailable(where + ": jwks_file not readable");
    auto bytes = options_.read_config_file(provider.jwks_file);
    if (!bytes) return base::Unavailable(bytes.error().WithContext(where).message());
    auto keys = JwkSet::Parse(*bytes, options_.libctx);
    if (!keys) return base::Unavailable(keys.error().WithContext(where + " jwks_file").message());
    return keys;
  }
  if (options_.fetcher == nullptr) return base::Unavailable(where + ": no fetcher for discovery");
  auto doc_bytes = options_.fetcher->Get(provider.discovery_url, options_.fetch_limits);
  if (!doc_bytes) return base::Unavailable(doc_bytes.error().WithContext(where).message());
  json doc = json::parse(*doc_bytes, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("jwks_uri") || !doc["jwks_uri"].is_string()) {
    return base::Unavailable(where + ": discovery document without jwks_uri");
  }
  // SECURITY: OpenID Connect Discovery 1.0 section 4.3: the document must name
  // the issuer we trust, or a compromised document could redirect to any keys.
  if (!doc.contains("issuer") || doc["issuer"] != provider.issuer) {
    return base::Unavailable(where + ": discovery document names another issuer");
  }
  auto jwks_bytes =
      options_.fetcher->Get(doc["jwks_uri"].get<std::string>(), options_.fetch_limits);
  if (!jwks_bytes) return base::Unavailable(jwks_bytes.error().WithContext(where).message());
  auto keys = JwkSet::Parse(*jwks_bytes, options_.libctx);
  if (!keys) return base::Unavailable(keys.error().WithContext(where + " jwks_uri").message());
  return keys;
}

}  // namespace coffer::core::sts
