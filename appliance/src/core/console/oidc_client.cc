// The console's OIDC relying party: provider discovery and the code
// redemption (see oidc_client.h). The ID token's signature, issuer, audience,
// expiry and policy mapping are the STS verifier's business; this file only
// reads the nonce out of it, and never trusts anything else it says.

#include "coffer/core/console/oidc_client.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/core/sts/jwt.h"
#include "coffer/core/sts/oidc.h"
#include "coffer/state/snapshot.h"

#include "console_http.h"

namespace coffer::core::console {
namespace {

using nlohmann::json;

std::string Field(const state::SettingsEntry& e, const char* name) {
  auto it = e.fields.find(name);
  return it == e.fields.end() ? std::string() : it->second;
}

// Standard base64 with padding (HTTP Basic).
std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The "nonce" claim of a compact JWS, read without verifying it: the caller
// hands the very same bytes to the verifier before trusting anything.
std::optional<std::string> UnverifiedNonce(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = sts::DecodeBase64Url(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  json claims = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object() || !claims.contains("nonce") || !claims["nonce"].is_string()) {
    return std::nullopt;
  }
  return claims["nonce"].get<std::string>();
}

}  // namespace

OidcClient::OidcClient(std::function<std::shared_ptr<const state::Snapshot>()> snapshots,
                       std::function<base::WallTime()> now, env::DocumentFetcher& fetcher,
                       AssumeWebIdentity assume, Backend& backend, OidcClientOptions options)
    : snapshots_(std::move(snapshots)),
      now_(std::move(now)),
      fetcher_(fetcher),
      assume_(std::move(assume)),
      backend_(backend),
      options_(std::move(options)) {}

base::Result<std::shared_ptr<const OidcClient::Discovery>> OidcClient::Discover(
    const std::string& name, const std::string& url) {
  const base::WallTime now = now_();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(name);
    if (it != cache_.end() && it->second.url == url) {
      const CacheEntry& e = it->second;
      if (e.doc && now - e.fetched_at < options_.discovery_ttl) return e.doc;
      if (e.attempted && now - e.last_attempt < options_.retry_interval) {
        if (e.doc) return e.doc;  // A failed refresh keeps the last good document.
        return base::Unavailable("identity.oidc." + name + ": discovery failed recently");
      }
    }
    CacheEntry& e = cache_[name];
    if (e.url != url) e = CacheEntry{};
    e.url = url;
    e.attempted = true;
    e.last_attempt = now;
  }
  auto fetched = [&]() -> base::Result<std::shared_ptr<const Discovery>> {
    COFFER_ASSIGN_OR_RETURN(std::string bytes, fetcher_.Get(url, options_.fetch_limits));
    json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return base::Unavailable("discovery document is not a JSON object");
    auto text = [&](const char* key) {
      return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>()
                                                       : std::string();
    };
    auto d = std::make_shared<Discovery>();
    d->authorization_endpoint = text("authorization_endpoint");
    d->token_endpoint = text("token_endpoint");
    if (d->authorization_endpoint.empty() || d->token_endpoint.empty()) {
      return base::Unavailable("discovery document lacks authorization_endpoint/token_endpoint");
    }
    // RFC 8414: client_secret_basic when the list is absent.
    if (doc.contains("token_endpoint_auth_methods_supported") &&
        doc["token_endpoint_auth_methods_supported"].is_array()) {
      const auto& methods = doc["token_endpoint_auth_methods_supported"];
      const bool basic =
          std::find(methods.begin(), methods.end(), "client_secret_basic") != methods.end();
      const bool post =
          std::find(methods.begin(), methods.end(), "client_secret_post") != methods.end();
      d->basic_auth = basic || !post;
    }
    return std::shared_ptr<const Discovery>(std::move(d));
  }();
  std::lock_guard lock(mu_);
  CacheEntry& e = cache_[name];
  if (!fetched) {
    if (e.doc) return e.doc;
    return fetched.error().WithContext("identity.oidc." + name);
  }
  e.doc = *fetched;
  e.fetched_at = now;
  return e.doc;
}

std::vector<OidcProvider> OidcClient::Providers() {
  std::vector<OidcProvider> out;
  auto snapshot = snapshots_();
  if (!snapshot) return out;
  for (const state::SettingsEntry* entry : snapshot->SettingsOfKind("oidc")) {
    auto provider = sts::ProviderFromSettings(*entry);
    const std::string redirect_uri = Field(*entry, "redirect_uri");
    if (!provider || redirect_uri.empty() || provider->discovery_url.empty()) continue;
    auto doc = Discover(entry->name, provider->discovery_url);
    if (!doc) continue;
    OidcProvider p;
    p.name = entry->name;
    p.authorization_endpoint = (*doc)->authorization_endpoint;
    p.client_id = provider->client_id;
    std::vector<std::string> scopes = provider->scopes;
    if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) {
      scopes.insert(scopes.begin(), "openid");
    }
    p.scopes.clear();
    for (const std::string& s : scopes) p.scopes += (p.scopes.empty() ? "" : " ") + s;
    p.redirect_uri = redirect_uri;
    out.push_back(std::move(p));
  }
  return out;
}

base::Result<std::shared_ptr<const Principal>> OidcClient::Exchange(const OidcCode& code) {
  auto snapshot = snapshots_();
  if (!snapshot) return base::Unavailable("no applied configuration");
  const state::SettingsEntry* entry = snapshot->FindSettings("oidc", code.provider);
  if (entry == nullptr) return base::NotFound("no such OpenID provider");
  COFFER_ASSIGN_OR_RETURN(sts::OidcProvider provider, sts::ProviderFromSettings(*entry));
  const std::string redirect_uri = Field(*entry, "redirect_uri");
  if (redirect_uri.empty() || provider.discovery_url.empty()) {
    return base::NotFound("identity.oidc." + code.provider + " is not usable for console login");
  }
  COFFER_ASSIGN_OR_RETURN(auto doc, Discover(entry->name, provider.discovery_url));

  const base::Secret* client_secret = nullptr;
  if (auto it = entry->secrets.find("client_secret");
      it != entry->secrets.end() && !it->second.empty()) {
    client_secret = &it->second;
  }
  // RFC 6749 4.1.3: the redirect_uri of the authorization request, verbatim
  // (the console kept it with the state).
  const std::string& sent_redirect = code.redirect_uri.empty() ? redirect_uri : code.redirect_uri;
  std::string form = "grant_type=authorization_code&code=" + UrlEncode(code.code) +
                     "&redirect_uri=" + UrlEncode(sent_redirect) +
                     "&code_verifier=" + UrlEncode(code.code_verifier);
  base::Secret authorization;
  if (client_secret != nullptr && doc->basic_auth) {
    // RFC 6749 2.3.1: both parts form-encoded before base64.
    authorization = base::Secret("Basic " + Base64(UrlEncode(provider.client_id) + ":" +
                                                   UrlEncode(client_secret->Reveal())));
  } else {
    form += "&client_id=" + UrlEncode(provider.client_id);
    if (client_secret != nullptr) form += "&client_secret=" + UrlEncode(client_secret->Reveal());
  }
  auto answer = fetcher_.PostForm(doc->token_endpoint, base::Secret(std::move(form)), authorization,
                                  options_.fetch_limits);
  if (!answer) {
    return answer.error().WithContext("identity.oidc." + code.provider + " token endpoint");
  }
  base::Secret body(std::move(answer).value());
  json tokens = json::parse(body.Reveal(), nullptr, /*allow_exceptions=*/false);
  if (!tokens.is_object() || !tokens.contains("id_token") || !tokens["id_token"].is_string()) {
    return base::Unauthenticated("the token endpoint answered without an id_token");
  }
  base::Secret id_token(tokens["id_token"].get<std::string>());
  tokens = json();  // Drop the access/refresh tokens: the console has no use for them.
  // SECURITY: the nonce binds the token to this browser's login; a token
  // without it, or with another, is replayed or injected.
  auto nonce = UnverifiedNonce(id_token.Reveal());
  if (!nonce || code.nonce.empty() || !TokensEqual(*nonce, code.nonce)) {
    return base::Unauthenticated("the ID token's nonce does not match the login's");
  }
  COFFER_ASSIGN_OR_RETURN(WebIdentityCredentials credentials,
                          assume_(id_token, "arn:coffer:iam:::role/" + code.provider));
  return backend_.Login(credentials.access_key, credentials.secret_key,
                        credentials.session_token.Reveal());
}

}  // namespace coffer::core::console
