#pragma once
// The web console (issue #16): a small single-page application served by the
// appliance under /console on the S3 listener, with every asset compiled into
// the binary (no network at run time). The console shows and explains; it
// changes only runtime-owned objects (STS sessions, service accounts), and
// everything it shows comes from the admin API served as the logged-in
// principal (ConsoleBackend::ServeAs), so a user sees exactly what the admin
// API would answer their own signed requests.
//
//   GET  /console, /console/              the application (index.html)
//   GET  /console/<asset>                 embedded assets (app.js, app.css, ...)
//   POST /console/api/login               {"accessKey","secretKey"[,"sessionToken"]}
//   GET  /console/api/session             who is logged in, and the CSRF token
//   POST /console/api/logout              deletes the session server-side
//   ANY  /console/api/admin/<rest>        the admin API's /coffer/admin/v1/<rest>
//   GET  /console/api/oidc/providers      the OIDC providers a login may use
//   GET  /console/oidc/start?provider=P   starts an authorization-code + PKCE login
//   GET  /console/oidc/callback           the provider's redirect back
//
// SECURITY: sessions are 256-bit random ids (from Env's random) in a cookie
// that is HttpOnly, SameSite=Strict, Path=/console and Secure on TLS; they
// live in memory only (bounded), expire after an idle and an absolute time,
// and hold no secret (the backend's principal). Every state-changing call
// (POST, PUT, PATCH, DELETE) carries the session's CSRF token in the
// X-Coffer-Csrf header and, when the browser says so, comes from the same
// origin (Origin, Sec-Fetch-Site); otherwise it is refused with 403. Every
// answer carries a strict Content-Security-Policy (no inline script, no
// framing), nosniff and no-referrer.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/http.h"
#include "coffer/env/env.h"

namespace coffer::core::console {

inline constexpr std::string_view kConsolePathPrefix = "/console";
inline constexpr std::string_view kSessionCookie = "coffer_console";
inline constexpr std::string_view kCsrfHeader = "x-coffer-csrf";
// The Content-Security-Policy of every console answer.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// One embedded file of the front-end.
struct Asset {
  std::string_view path;  // Relative to /console/: "index.html", "app.js".
  std::string_view content_type;
  std::string_view body;
};

// The assets compiled into the binary from appliance/console/ (generated at
// build time by appliance/console/embed_console.cmake).
const std::vector<Asset>& EmbeddedAssets();

// A principal the backend has authenticated. The console keeps it for the
// session's lifetime and hands it back to ServeAs; it holds no secret that the
// console could leak (an implementation may keep what it needs privately).
class Principal {
 public:
  virtual ~Principal() = default;
  // The name shown in the console ("alice", "root", "alice (session)").
  virtual std::string DisplayName() const = 0;
  // The access key the principal authenticated with (never a secret).
  virtual std::string AccessKey() const = 0;
};

// What the console needs from the admin API. Implementations are thread-safe.
class Backend {
 public:
  virtual ~Backend() = default;
  // Verifies a credential as SigV4 would (same keys, same snapshot). Returns
  // kUnauthenticated for a wrong key/secret/token, kUnavailable when the
  // store cannot say.
  virtual base::Result<std::shared_ptr<const Principal>> Login(std::string_view access_key,
                                                               const base::Secret& secret,
                                                               std::string_view session_token) = 0;
  // Serves `request` (target under /coffer/admin/v1/) as `principal`, with
  // the authorization the principal's own signed request would get.
  virtual void ServeAs(const Principal& principal, const HttpRequest& request, BodyReader& body,
                       ResponseWriter& response) = 0;
};

// The OIDC login (authorization-code flow with PKCE S256). The console builds
// the authorization URL, checks state and nonce, and hands the code to
// `exchange`, which redeems it at the provider's token endpoint and turns the
// ID token into an STS web-identity session (verified by the STS verifier).
struct OidcProvider {
  std::string name;                    // The [identity.openid.NAME] of the config.
  std::string authorization_endpoint;  // From the provider's discovery document.
  std::string client_id;
  std::string scopes = "openid";
  std::string redirect_uri;  // Absolute .../console/oidc/callback as registered at the provider.
};
struct OidcCode {
  std::string provider;
  std::string code;
  std::string code_verifier;  // PKCE: the secret whose S256 went out as code_challenge.
  std::string redirect_uri;
  std::string nonce;  // The ID token's nonce claim must equal it.
};
using OidcProviders = std::function<std::vector<OidcProvider>()>;
using OidcExchange =
    std::function<base::Result<std::shared_ptr<const Principal>>(const OidcCode& code)>;

struct ConsoleOptions {
  // A session ends after this long without a request...
  std::chrono::seconds idle_timeout{15 * 60};
  // ...and this long after login, whatever happens.
  std::chrono::seconds absolute_timeout{12 * 60 * 60};
  // Sessions held in memory at most; a login beyond it evicts the session
  // idle the longest.
  std::size_t max_sessions = 1000;
  // Largest request body the console reads itself (login) or forwards.
  std::size_t max_body_bytes = 64 * 1024;
  // The files served; EmbeddedAssets() in production.
  std::vector<Asset> assets;
  // OIDC login; both empty: only key login.
  OidcProviders oidc_providers;
  OidcExchange oidc_exchange;
};

class ConsoleHandler final : public Handler {
 public:
  // `env` and `backend` are borrowed and must outlive the handler.
  ConsoleHandler(env::Env& env, Backend& backend, ConsoleOptions options);
  ~ConsoleHandler() override;

  // True when `target` (a raw request target) is the console's.
  static bool Owns(std::string_view target);
  // As Owns, but a virtual-hosted-style S3 request (Host "BUCKET.DOMAIN" for
  // one of the S3 API's `domains`) is never the console's: its path is an
  // object key.
  static bool OwnsRequest(const HttpRequest& request, const std::vector<std::string>& domains);

  // Serves one request. Thread-safe.
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

  // Sessions currently held (expired ones included until they are swept).
  std::size_t SessionCountForTest() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::core::console
