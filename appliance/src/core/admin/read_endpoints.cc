// The admin API's appliance reads (server info, buckets, identity providers,
// audit targets and log, key-service status) and the policy simulator.
//
// SECURITY: no answer carries a secret. Settings secrets (client secrets,
// bind passwords, webhook tokens) live in SettingsEntry::secrets, which is
// never read here except to scrub a token out of a delivery error; endpoint
// URLs lose any user:password@ and query.

#include <algorithm>
#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "coffer/core/admin/policy_simulation.h"
#include "coffer/env/log.h"
#include "coffer/state/config.h"
#include "coffer/state/snapshot.h"

#include "admin_impl.h"

namespace coffer::core::admin {

using nlohmann::json;

namespace {

std::string Field(const state::SettingsEntry& s, const char* name) {
  auto it = s.fields.find(name);
  return it == s.fields.end() ? std::string() : it->second;
}

// A settings value as JSON: lists and maps parsed, "true"/"false" as bools,
// everything else a string.
json FieldValue(const std::string& value) {
  if (!value.empty() && (value.front() == '[' || value.front() == '{')) {
    json parsed = json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  }
  if (value == "true") return true;
  if (value == "false") return false;
  return value;
}

// SECURITY: a name that smells of a secret is never answered, even if the
// schema one day files such a value among the plain fields.
bool SecretLookingField(std::string_view name) {
  for (std::string_view word : {"secret", "password", "token", "private", "key_file"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

// scheme://host/path of a URL: without user:password@ and without the query
// (either may carry a credential).
std::string SafeEndpoint(std::string_view url) {
  std::string_view rest = url;
  std::string scheme;
  if (const std::size_t sep = rest.find("://"); sep != std::string_view::npos) {
    scheme = std::string(rest.substr(0, sep + 3));
    rest.remove_prefix(sep + 3);
  }
  const std::size_t path = rest.find('/');
  std::string_view authority = rest.substr(0, path);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view tail = path == std::string_view::npos ? "" : rest.substr(path);
  tail = tail.substr(0, tail.find_first_of("?#"));
  return scheme + std::string(authority) + std::string(tail);
}

// Removes every occurrence of `secret` from `text`.
std::string Scrub(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;  // Too short to scrub without mangling words.
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "(sensitive)");
  }
  return text;
}

std::optional<std::uint64_t> Number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Reply AdminApi::Impl::Info(const Call& call) {
  if (!Allowed(call, "admin:ServerInfo")) return Denied();
  if (!options.sources.server_info) return NotImplemented("server info");
  const ServerInfo info = options.sources.server_info();
  json drives = json::array();
  int online = 0;
  for (const ServerInfo::Drive& d : info.drives) {
    drives.push_back({{"path", d.path}, {"state", d.online ? "online" : "offline"}});
    online += d.online ? 1 : 0;
  }
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(call.now - info.started_at).count();
  return Ok({{"version", info.version},
             {"region", options.region},
             {"startedAt", env::FormatRfc3339(info.started_at)},
             {"uptimeSeconds", std::max<std::int64_t>(0, uptime)},
             {"tls", info.tls},
             {"drives", std::move(drives)},
             {"drivesOnline", online},
             {"erasure",
              {{"dataShards", info.data_shards},
               {"parityShards", info.parity_shards},
               {"sets", info.sets},
               {"layout", "EC:" + std::to_string(info.data_shards) + "+" +
                              std::to_string(info.parity_shards)}}},
             {"keyService", info.key_service.empty() ? json(nullptr) : json(info.key_service)}});
}

Reply AdminApi::Impl::Buckets(const Call& call) {
  // Root and holders of admin:ServerInfo see every bucket; anyone else the
  // buckets whose policy they may read (s3:GetBucketPolicy), as on S3.
  const bool all = Allowed(call, "admin:ServerInfo");
  std::set<std::string> names;
  if (call.snapshot != nullptr) {
    for (const state::BucketEntry* b : call.snapshot->Buckets()) names.insert(b->name);
  }
  if (options.sources.bucket_names) {
    for (std::string& n : options.sources.bucket_names()) names.insert(std::move(n));
  }
  json buckets = json::array();
  for (const std::string& name : names) {
    if (!all && !Allowed(call, "s3:GetBucketPolicy", name)) continue;
    const state::BucketEntry* b =
        call.snapshot != nullptr ? call.snapshot->FindBucket(name) : nullptr;
    // What an anonymous client may do, as the S3 authorizer decides it (the
    // bucket policy and the anonymous-access setting together).
    auto anonymous_may = [&](const char* action, const std::string& resource) {
      if (b == nullptr) return false;
      SimulationInput input;
      input.bucket = b->compiled_policy.get();
      input.bucket_anonymous = b->compiled_anonymous.get();
      input.action = action;
      input.resource = resource;
      input.anonymous = true;
      input.all_statements = false;
      return admin::Simulate(input).decision.effect == policy::Effect::kAllow;
    };
    const bool download = anonymous_may("s3:GetObject", "arn:aws:s3:::" + name + "/*");
    const bool upload = anonymous_may("s3:PutObject", "arn:aws:s3:::" + name + "/*");
    const bool list = anonymous_may("s3:ListBucket", "arn:aws:s3:::" + name);
    json policy_doc = nullptr;
    if (b != nullptr && !b->policy.empty()) {
      policy_doc = json::parse(b->policy, nullptr, /*allow_exceptions=*/false);
      if (policy_doc.is_discarded()) policy_doc = b->policy;
    }
    json entry = {
        {"name", name},
        {"repoOwned", b != nullptr && b->repo_owned},
        {"versioning", b != nullptr && b->versioning},
        {"encryption",
         {{"mode", b != nullptr ? std::string(state::EncryptionName(b->encryption)) : "none"},
          {"kmsKey", b != nullptr && !b->kms_key.empty() ? json(b->kms_key) : json(nullptr)}}},
        {"policy", std::move(policy_doc)},
        {"anonymous",
         b != nullptr ? std::string(state::AnonymousAccessName(b->anonymous)) : "none"},
        {"anonymousAccess", download && upload ? "public"
                            : download         ? "download"
                            : upload           ? "upload"
                                               : "none"},
        {"anonymousList", list},
        {"quotaObjects",
         b != nullptr && b->quota_objects ? json(*b->quota_objects) : json(nullptr)},
        {"quotaBytes", b != nullptr && b->quota_bytes ? json(*b->quota_bytes) : json(nullptr)}};
    buckets.push_back(std::move(entry));
  }
  if (!all && buckets.empty() && call.authorizer.type() != s3::PrincipalType::kRoot) {
    return Denied();
  }
  return Ok({{"buckets", std::move(buckets)}});
}

Reply AdminApi::Impl::IdentityProviders(const Call& call) {
  // MinIO reads identity-provider configuration with admin:ConfigUpdate.
  if (!Allowed(call, "admin:ConfigUpdate")) return Denied();
  json out = {{"openid", json::array()}, {"ldap", json::array()}};
  if (call.snapshot == nullptr) return Ok(std::move(out));
  for (const auto& [kind, key] : {std::pair{"oidc", "openid"}, std::pair{"ldap", "ldap"}}) {
    for (const state::SettingsEntry* s : call.snapshot->SettingsOfKind(kind)) {
      json entry = {{"name", s->name}};
      for (const auto& [field, value] : s->fields) {
        if (SecretLookingField(field) && field != "lookup_bind_dn") continue;
        entry[field] = FieldValue(value);
      }
      // Which secrets are set, never their values.
      json secrets = json::array();
      for (const auto& [field, secret] : s->secrets) secrets.push_back(field);
      entry["secretsSet"] = std::move(secrets);
      out[key].push_back(std::move(entry));
    }
  }
  return Ok(std::move(out));
}

Reply AdminApi::Impl::AuditTargets(const Call& call) {
  if (!Allowed(call, "admin:ServerInfo")) return Denied();
  if (!options.sources.audit_stats) return NotImplemented("audit target status");
  std::map<std::string, audit::TargetStats> stats;
  for (audit::TargetStats& s : options.sources.audit_stats()) stats[s.id] = std::move(s);
  json targets = json::array();
  if (call.snapshot == nullptr) return Ok({{"targets", std::move(targets)}});
  for (const auto& [kind, label] :
       {std::pair{"audit_webhook", "webhook"}, std::pair{"audit_file", "file"}}) {
    for (const state::SettingsEntry* s : call.snapshot->SettingsOfKind(kind)) {
      const bool enabled = Field(*s, "enabled") != "false";
      const std::string id = std::string(label) + ":" + s->name;
      auto it = stats.find(id);
      const audit::TargetStats* st = it != stats.end() ? &it->second : nullptr;
      std::string last_error = st != nullptr ? st->last_error : "";
      for (const auto& [field, secret] : s->secrets)
        last_error = Scrub(last_error, secret.Reveal());
      const bool healthy =
          enabled && st != nullptr && (last_error.empty() || st->queued == 0) && st->refused == 0;
      targets.push_back(
          {{"name", s->name},
           {"kind", label},
           {"endpoint", std::string(label) == "webhook" ? SafeEndpoint(Field(*s, "endpoint"))
                                                        : Field(*s, "path")},
           {"enabled", enabled},
           {"mode", Field(*s, "mode").empty() ? "strict" : Field(*s, "mode")},
           {"running", st != nullptr},
           {"queueDepth", st != nullptr ? st->queued : 0},
           {"delivered", st != nullptr ? st->delivered : 0},
           {"failed", st != nullptr ? st->failed : 0},
           {"dropped", st != nullptr ? st->dropped : 0},
           {"refused", st != nullptr ? st->refused : 0},
           {"lastError", last_error.empty() ? json(nullptr) : json(last_error)},
           {"healthy", healthy}});
    }
  }
  return Ok({{"targets", std::move(targets)}});
}

Reply AdminApi::Impl::AuditLog(const Call& call) {
  if (!Allowed(call, "admin:ServerTrace")) return Denied();
  if (options.recent_audit == nullptr) return NotImplemented("the audit log");
  audit::RecentAuditQuery query;
  query.user = call.parsed.Query("user").value_or("");
  query.bucket = call.parsed.Query("bucket").value_or("");
  query.api = call.parsed.Query("api").value_or("");
  query.status = call.parsed.Query("status").value_or("");
  for (const auto& [name, out] :
       {std::pair{"since", &query.since}, std::pair{"until", &query.until}}) {
    const std::string text(call.parsed.Query(name).value_or(""));
    if (text.empty()) continue;
    *out = audit::ParseRfc3339(text);
    if (!out->has_value()) return BadRequest(std::string(name) + " must be an RFC 3339 time.");
  }
  if (auto text = call.parsed.Query("limit"); text.has_value() && !text->empty()) {
    auto n = Number(*text);
    if (!n || *n == 0 || *n > 1000) return BadRequest("limit must be 1 to 1000.");
    query.limit = *n;
  }
  if (auto text = call.parsed.Query("after"); text.has_value() && !text->empty()) {
    auto n = Number(*text);
    if (!n) return BadRequest("after must be a sequence number.");
    query.after = *n;
  }
  if (auto text = call.parsed.Query("before"); text.has_value() && !text->empty()) {
    auto n = Number(*text);
    if (!n) return BadRequest("before must be a sequence number.");
    query.before = *n;
  }
  const audit::RecentAuditPage page = options.recent_audit->Find(query);
  json entries = json::array();
  for (const audit::RecentAuditEntry& e : page.entries) {
    json doc = json::parse(e.json, nullptr, /*allow_exceptions=*/false);
    entries.push_back({{"seq", e.seq}, {"entry", doc.is_discarded() ? json(e.json) : doc}});
  }
  return Ok({{"entries", std::move(entries)},
             {"latestSeq", page.latest_seq},
             {"oldestSeq", page.oldest_seq}});
}

Reply AdminApi::Impl::KmsStatus(const Call& call) {
  if (!Allowed(call, "admin:KMSKeyStatus")) return Denied();
  env::KeyService* service = options.sources.key_service;
  if (service == nullptr) return Ok({{"configured", false}});
  const auto start = env.clock().Monotonic();
  base::Result<env::KeyServiceStatus> status = service->Status();
  const auto latency = env.clock().Monotonic() - start;
  json out = {{"configured", true},
              {"defaultKey", options.sources.default_key},
              {"latencyMs", std::chrono::duration<double, std::milli>(latency).count()}};
  if (!status.has_value()) {
    out["reachable"] = false;
    out["error"] = status.error().message();
    return Ok(std::move(out));
  }
  out["kind"] = status->endpoint == "in-process" ? "in-process" : "kes";
  out["endpoint"] = SafeEndpoint(status->endpoint);
  out["version"] = status->version;
  out["reachable"] = status->ready;
  if (!status->ready) out["error"] = "the key service is not ready";
  base::Result<std::vector<env::KeyInfo>> keys = service->ListKeys(options.sources.default_key);
  out["defaultKeyExists"] =
      keys.has_value() && std::any_of(keys->begin(), keys->end(), [&](const env::KeyInfo& k) {
        return k.name == options.sources.default_key;
      });
  return Ok(std::move(out));
}

}  // namespace coffer::core::admin
