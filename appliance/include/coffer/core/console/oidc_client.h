#pragma once
// The relying-party half of the console's OIDC login (issue #16): which
// [identity.oidc.NAME] providers a login may use, and the redemption of an
// authorization code (with its PKCE verifier) at the provider's token
// endpoint. The ID token that comes back is not checked here: it goes,
// unchanged, to AssumeRoleWithWebIdentity (the `assume` seam, the STS API in
// production), so the console session carries exactly the STS session, the
// policies and the expiry that call would grant the same token, recorded and
// revocable like any other. Only the nonce is compared here (STS has no
// notion of it), before anything is minted.
//
// A provider is offered when it has a redirect_uri and its discovery document
// (discovery_url, fetched through env::DocumentFetcher and cached) names an
// authorization_endpoint and a token_endpoint. Thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/console/console.h"
#include "coffer/env/http_fetch.h"

namespace coffer::state {
class Snapshot;
}

namespace coffer::core::console {

// Temporary credentials from AssumeRoleWithWebIdentity.
struct WebIdentityCredentials {
  std::string access_key;
  base::Secret secret_key;
  base::Secret session_token;
};

// Mints an STS web-identity session for `id_token`, bound to the provider
// `role_arn` names (arn:coffer:iam:::role/NAME). Errors as the STS API's.
using AssumeWebIdentity = std::function<base::Result<WebIdentityCredentials>(
    const base::Secret& id_token, std::string_view role_arn)>;

struct OidcClientOptions {
  env::FetchLimits fetch_limits;
  // A discovery document is re-fetched after this long; a failed fetch is
  // retried at most this often.
  std::chrono::seconds discovery_ttl{3600};
  std::chrono::seconds retry_interval{30};
};

class OidcClient {
 public:
  // `fetcher` and `backend` are borrowed and must outlive the client.
  // `snapshots` gives the current snapshot; `now` the wall clock.
  OidcClient(std::function<std::shared_ptr<const state::Snapshot>()> snapshots,
             std::function<base::WallTime()> now, env::DocumentFetcher& fetcher,
             AssumeWebIdentity assume, Backend& backend, OidcClientOptions options = {});

  // The providers a login may use now (ConsoleOptions::oidc_providers).
  std::vector<OidcProvider> Providers();

  // Redeems `code` (ConsoleOptions::oidc_exchange). Errors: kNotFound for an
  // unknown or unusable provider; kUnavailable when the token endpoint cannot
  // be reached or refuses the code; kUnauthenticated for an answer without an
  // id_token or with another nonce; then the STS call's and the login's.
  // Messages never contain the code, the verifier, the secret or the token.
  base::Result<std::shared_ptr<const Principal>> Exchange(const OidcCode& code);

 private:
  struct Discovery {
    std::string authorization_endpoint;
    std::string token_endpoint;
    bool basic_auth = true;  // client_secret_basic (the default) or client_secret_post.
  };
  struct CacheEntry {
    std::string url;
    std::shared_ptr<const Discovery> doc;
    base::WallTime fetched_at{};
    base::WallTime last_attempt{};
    bool attempted = false;
  };
  base::Result<std::shared_ptr<const Discovery>> Discover(const std::string& name,
                                                          const std::string& url);

  std::function<std::shared_ptr<const state::Snapshot>()> snapshots_;
  std::function<base::WallTime()> now_;
  env::DocumentFetcher& fetcher_;
  AssumeWebIdentity assume_;
  Backend& backend_;
  OidcClientOptions options_;
  std::mutex mu_;
  std::map<std::string, CacheEntry, std::less<>> cache_;
};

}  // namespace coffer::core::console
