#include "oidc_login.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/core/auth/crypto.h"

#include "console_http.h"

namespace coffer::core::console {

namespace {

constexpr std::chrono::minutes kPendingLifetime{10};
constexpr std::size_t kPendingMax = 1000;

// RFC 4648 §5 without padding, as PKCE and JWTs use.
std::string Base64Url(std::string_view bytes) {
  std::string text = auth::Base64Encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

}  // namespace

OidcLogin::OidcLogin(env::Env& env, OidcProviders providers, OidcExchange exchange)
    : env_(env), providers_(std::move(providers)), exchange_(std::move(exchange)) {}

OidcLogin::~OidcLogin() = default;

nlohmann::json OidcLogin::ProvidersJson() const {
  nlohmann::json list = nlohmann::json::array();
  if (providers_ && exchange_) {
    for (const OidcProvider& p : providers_()) list.push_back({{"name", p.name}});
  }
  return {{"providers", std::move(list)}};
}

// SECURITY: 32 bytes of the Env's random, base64url: state, nonce and the
// PKCE verifier (43 characters, within RFC 7636's 43..128).
std::string OidcLogin::RandomToken() {
  std::array<std::byte, 32> bytes{};
  env_.random().Fill(bytes);
  return Base64Url(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void OidcLogin::Start(const HttpRequest& request, ResponseWriter& response) {
  const auto name = QueryValue(request.target, "provider");
  if (!providers_ || !exchange_ || !name) {
    SendError(response, 404, "NotConfigured", "No OIDC provider is configured for the console.");
    return;
  }
  std::optional<OidcProvider> provider;
  for (OidcProvider& p : providers_()) {
    if (p.name == *name) provider = std::move(p);
  }
  if (!provider || provider->authorization_endpoint.empty()) {
    SendError(response, 404, "NotConfigured", "No such OIDC provider.");
    return;
  }
  auto crypto = auth::Crypto::Create(env_.random().LibCtx());
  if (!crypto) {
    SendError(response, 500, "InternalError", "SHA-256 is not available.");
    return;
  }
  Pending pending{provider->name, "", "", provider->redirect_uri, env_.clock().Monotonic()};
  std::string state;
  {
    std::lock_guard lock(mu_);
    pending.code_verifier = RandomToken();
    pending.nonce = RandomToken();
    state = RandomToken();
    for (auto it = pending_.begin(); it != pending_.end();) {
      it = pending.created - it->second.created > kPendingLifetime ? pending_.erase(it)
                                                                   : std::next(it);
    }
    if (pending_.size() >= kPendingMax) pending_.erase(pending_.begin());
  }
  const auto digest = (*crypto)->Sha256(pending.code_verifier);
  const std::string challenge =
      Base64Url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  const std::string& endpoint = provider->authorization_endpoint;
  const std::string location = endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") +
                               "response_type=code&client_id=" + UrlEncode(provider->client_id) +
                               "&redirect_uri=" + UrlEncode(provider->redirect_uri) +
                               "&scope=" + UrlEncode(provider->scopes) + "&state=" + state +
                               "&nonce=" + pending.nonce + "&code_challenge=" + challenge +
                               "&code_challenge_method=S256";
  {
    std::lock_guard lock(mu_);
    pending_.emplace(state, std::move(pending));
  }
  SendRedirect(response, location);
}

std::shared_ptr<const Principal> OidcLogin::Callback(const HttpRequest& request,
                                                     ResponseWriter& response) {
  const auto state = QueryValue(request.target, "state");
  const auto code = QueryValue(request.target, "code");
  std::optional<Pending> pending;
  if (state) {
    std::lock_guard lock(mu_);
    // SECURITY: a state is good once, for ten minutes: a replayed or forged
    // callback finds nothing.
    if (auto it = pending_.find(*state); it != pending_.end()) {
      if (env_.clock().Monotonic() - it->second.created <= kPendingLifetime) {
        pending = std::move(it->second);
      }
      pending_.erase(it);
    }
  }
  if (!pending) {
    SendError(response, 400, "InvalidState", "The login's state is unknown or expired.");
    return nullptr;
  }
  if (!code || code->empty()) {
    SendError(response, 400, "AccessDenied", "The identity provider did not grant a code.");
    return nullptr;
  }
  auto principal = exchange_(OidcCode{pending->provider, *code, pending->code_verifier,
                                      pending->redirect_uri, pending->nonce});
  if (!principal) {
    SendError(response, 401, "InvalidIdentityToken",
              "The identity provider's token was refused: " + principal.error().message());
    return nullptr;
  }
  return std::move(principal).value();
}

}  // namespace coffer::core::console
