#pragma once
// The console's OIDC login: the authorization-code flow with PKCE (S256),
// state and nonce (RFC 6749, RFC 7636, OpenID Connect Core). The console
// keeps each pending login (state -> verifier, nonce, provider) in memory for
// ten minutes; the callback must present a state it issued, once. Redeeming
// the code and verifying the ID token (and its nonce) is the exchange
// callback's job, which reuses the STS web-identity verifier. Thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json_fwd.hpp>

#include "coffer/core/console/console.h"

namespace coffer::core::console {

class OidcLogin {
 public:
  OidcLogin(env::Env& env, OidcProviders providers, OidcExchange exchange);
  ~OidcLogin();

  // {"providers":[{"name":...}]}: what the login page offers.
  nlohmann::json ProvidersJson() const;

  // GET /console/oidc/start?provider=NAME: answers a 302 to the provider's
  // authorization endpoint.
  void Start(const HttpRequest& request, ResponseWriter& response);

  // GET /console/oidc/callback?code=...&state=...: returns the principal the
  // exchange made, or answers an error itself and returns null.
  std::shared_ptr<const Principal> Callback(const HttpRequest& request, ResponseWriter& response);

 private:
  struct Pending {
    std::string provider;
    std::string code_verifier;
    std::string nonce;
    std::string redirect_uri;
    base::MonoTime created{};
  };
  std::string RandomToken();

  env::Env& env_;
  OidcProviders providers_;
  OidcExchange exchange_;
  std::mutex mu_;
  std::unordered_map<std::string, Pending> pending_;  // By state.
};

}  // namespace coffer::core::console
