#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/core/console/console.h"

#include "console_http.h"
#include "oidc_login.h"
#include "session_store.h"

namespace coffer::core::console {

using nlohmann::json;

namespace {

constexpr std::string_view kApiPrefix = "/console/api/";
constexpr std::string_view kAdminForwardPrefix = "/console/api/admin/";
constexpr std::string_view kAdminTargetPrefix = "/coffer/admin/v1/";

bool StateChanging(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// Headers the admin API may see from a console request. SECURITY: the cookie
// (the session id), the CSRF token and any Authorization or X-Amz-* header
// stay behind: the admin API authorizes the session's principal only.
bool ForwardHeader(std::string_view name) {
  return name == "host" || name == "content-type" || name == "content-length" || name == "accept" ||
         name == "user-agent" || name == "x-forwarded-for" || name == "x-forwarded-proto" ||
         name == "x-real-ip" || name == "forwarded";
}

// Adds the console's headers to whatever the admin API answers.
class SecureWriter final : public ResponseWriter {
 public:
  explicit SecureWriter(ResponseWriter& inner) : inner_(inner) {}
  base::Status Start(unsigned status, const HeaderList& headers,
                     std::optional<std::uint64_t> content_length) override {
    HeaderList all;
    for (const auto& [name, value] : headers) {
      if (!EqualsIgnoreCase(name, "set-cookie")) all.emplace_back(name, value);
    }
    AddSecurityHeaders(all, /*no_store=*/true);
    status_ = status;
    return inner_.Start(status, all, content_length);
  }
  unsigned status() const { return status_; }
  base::Status Write(std::span<const std::byte> data) override { return inner_.Write(data); }
  base::Status Finish() override { return inner_.Finish(); }
  bool started() const override { return inner_.started(); }

 private:
  ResponseWriter& inner_;
  unsigned status_ = 0;
};

// Reads a small JSON body; nullopt when it is too large, unreadable or not
// a JSON object.
std::optional<json> ReadJsonBody(BodyReader& body, std::size_t limit) {
  auto text = ReadSmallBody(body, limit);
  if (!text) return std::nullopt;
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

std::string JsonString(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

struct ConsoleHandler::Impl {
  Impl(env::Env& env_in, Backend& backend_in, ConsoleOptions options_in)
      : env(env_in),
        backend(backend_in),
        options(std::move(options_in)),
        sessions(env.clock(), env.random(), options.idle_timeout, options.absolute_timeout,
                 options.max_sessions),
        oidc(env, options.oidc_providers, options.oidc_exchange) {}

  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
  void ServeAsset(const HttpRequest& request, std::string_view path, ResponseWriter& response);
  void ServeApi(const HttpRequest& request, std::string_view path, BodyReader& body,
                ResponseWriter& response);
  void Login(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
  void StartSession(const HttpRequest& request, std::shared_ptr<const Principal> principal,
                    ResponseWriter& response, bool redirect);
  void Logout(const HttpRequest& request, ResponseWriter& response);
  void Forward(const HttpRequest& request, const SessionView& session, std::string_view rest,
               BodyReader& body, ResponseWriter& response);
  std::optional<SessionView> CurrentSession(const HttpRequest& request) {
    const std::string id = CookieValue(request.Header("cookie"), kSessionCookie);
    if (id.empty()) return std::nullopt;
    return sessions.Touch(id);
  }
  json SessionJson(const Principal& principal, const std::string& csrf,
                   std::chrono::seconds expires_in) const {
    return json{{"user", principal.DisplayName()},
                {"accessKey", principal.AccessKey()},
                {"csrfToken", csrf},
                {"idleTimeoutSeconds", options.idle_timeout.count()},
                {"expiresInSeconds", expires_in.count()}};
  }

  env::Env& env;
  Backend& backend;
  ConsoleOptions options;
  SessionStore sessions;
  OidcLogin oidc;
};

bool ConsoleHandler::Owns(std::string_view target) {
  if (!target.starts_with(kConsolePathPrefix)) return false;
  const std::string_view rest = target.substr(kConsolePathPrefix.size());
  return rest.empty() || rest.front() == '/' || rest.front() == '?';
}

bool ConsoleHandler::OwnsRequest(const HttpRequest& request,
                                 const std::vector<std::string>& domains) {
  if (!Owns(request.target)) return false;
  std::string_view host = request.Header("host");
  if (!host.empty() && host.front() != '[') host = host.substr(0, host.rfind(':'));
  for (const std::string& domain : domains) {
    if (host.size() > domain.size() + 1 && host.ends_with(domain) &&
        host[host.size() - domain.size() - 1] == '.') {
      return false;
    }
  }
  return true;
}

ConsoleHandler::ConsoleHandler(env::Env& env, Backend& backend, ConsoleOptions options)
    : impl_(std::make_unique<Impl>(env, backend, std::move(options))) {}

ConsoleHandler::~ConsoleHandler() = default;

std::size_t ConsoleHandler::SessionCountForTest() const { return impl_->sessions.size(); }

void ConsoleHandler::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  impl_->Serve(request, body, response);
}

void ConsoleHandler::Impl::Serve(const HttpRequest& request, BodyReader& body,
                                 ResponseWriter& response) {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == kConsolePathPrefix) {
    if (request.facts != nullptr) request.facts->api = "ConsoleAsset";
    SendRedirect(response, "/console/");
    return;
  }
  if (path.starts_with(kApiPrefix)) {
    ServeApi(request, path, body, response);
    return;
  }
  if (path.starts_with("/console/oidc/")) {
    if (request.facts != nullptr) request.facts->api = "ConsoleOidcLogin";
    if (path == "/console/oidc/start") {
      oidc.Start(request, response);
      return;
    }
    if (path == "/console/oidc/callback") {
      auto principal = oidc.Callback(request, response);
      if (principal) StartSession(request, std::move(principal), response, /*redirect=*/true);
      return;
    }
    SendError(response, 404, "NotFound", "No such console page.");
    return;
  }
  ServeAsset(request, path, response);
}

void ConsoleHandler::Impl::ServeAsset(const HttpRequest& request, std::string_view path,
                                      ResponseWriter& response) {
  if (request.facts != nullptr) request.facts->api = "ConsoleAsset";
  if (request.method != "GET" && request.method != "HEAD") {
    SendError(response, 405, "MethodNotAllowed", "Console assets answer GET only.");
    return;
  }
  std::string_view rel = path.substr(std::string_view("/console/").size());
  if (rel.empty()) rel = "index.html";
  for (const Asset& asset : options.assets) {
    if (asset.path == rel) {
      HeaderList headers{{"content-type", std::string(asset.content_type)},
                         {"cache-control", "no-cache"}};
      AddSecurityHeaders(headers, /*no_store=*/false);
      Send(response, 200, std::move(headers), std::string(asset.body));
      return;
    }
  }
  SendError(response, 404, "NotFound", "No such console asset.");
}

void ConsoleHandler::Impl::ServeApi(const HttpRequest& request, std::string_view path,
                                    BodyReader& body, ResponseWriter& response) {
  const std::string_view name = path.substr(kApiPrefix.size());
  if (request.facts != nullptr) request.facts->api = "ConsoleApi";
  // SECURITY: whatever a state-changing call does, it must come from a page
  // of this origin (when the browser tells), checked before anything else.
  if (StateChanging(request.method) && !SameOrigin(request)) {
    if (request.facts != nullptr) request.facts->error_code = "CrossOriginRefused";
    SendError(response, 403, "CrossOriginRefused", "Cross-site requests are refused.");
    return;
  }
  if (name == "login") {
    Login(request, body, response);
    return;
  }
  if (name == "oidc/providers") {
    Send(response, 200, JsonHeaders(), oidc.ProvidersJson().dump());
    return;
  }
  if (request.facts != nullptr) request.facts->api = "ConsoleApi";
  auto session = CurrentSession(request);
  if (!session) {
    if (request.facts != nullptr) request.facts->error_code = "SessionExpired";
    SendError(response, 401, "SessionExpired", "Log in to the console.");
    return;
  }
  if (request.facts != nullptr) request.facts->access_key = session->principal->AccessKey();
  // SECURITY: the CSRF token proves the caller read the session answer, which
  // only a same-origin page can.
  if (StateChanging(request.method) &&
      !TokensEqual(request.Header(kCsrfHeader), session->csrf_token)) {
    if (request.facts != nullptr) request.facts->error_code = "CsrfTokenInvalid";
    SendError(response, 403, "CsrfTokenInvalid", "The CSRF token is missing or wrong.");
    return;
  }
  if (name == "session") {
    if (request.facts != nullptr) request.facts->api = "ConsoleSession";
    Send(response, 200, JsonHeaders(),
         SessionJson(*session->principal, session->csrf_token, session->expires_in).dump());
    return;
  }
  if (name == "logout" && request.method == "POST") {
    Logout(request, response);
    return;
  }
  if (path.starts_with(kAdminForwardPrefix)) {
    const std::string_view target = request.target;
    Forward(request, *session, target.substr(kAdminForwardPrefix.size()), body, response);
    return;
  }
  SendError(response, 404, "NotFound", "No such console API.");
}

void ConsoleHandler::Impl::Login(const HttpRequest& request, BodyReader& body,
                                 ResponseWriter& response) {
  if (request.facts != nullptr) request.facts->api = "ConsoleLogin";
  if (request.method != "POST") {
    SendError(response, 405, "MethodNotAllowed", "Log in with POST.");
    return;
  }
  auto doc = ReadJsonBody(body, options.max_body_bytes);
  if (!doc) {
    SendError(response, 400, "InvalidArgument", "Expected a JSON object.");
    return;
  }
  const std::string access_key = JsonString(*doc, "accessKey");
  const base::Secret secret(JsonString(*doc, "secretKey"));
  const std::string token = JsonString(*doc, "sessionToken");
  if (access_key.empty() || secret.empty()) {
    SendError(response, 400, "InvalidArgument", "Enter an access key and a secret key.");
    return;
  }
  auto principal = backend.Login(access_key, secret, token);
  if (!principal) {
    const bool unavailable = principal.error().code() == base::ErrorCode::kUnavailable;
    if (request.facts != nullptr) {
      request.facts->error_code = unavailable ? "ServiceUnavailable" : "InvalidCredentials";
    }
    if (unavailable) {
      SendError(response, 503, "ServiceUnavailable", "The store cannot check logins now.");
    } else {
      SendError(response, 401, "InvalidCredentials", "The access key or secret key is wrong.");
    }
    return;
  }
  StartSession(request, std::move(principal).value(), response, /*redirect=*/false);
}

void ConsoleHandler::Impl::StartSession(const HttpRequest& request,
                                        std::shared_ptr<const Principal> principal,
                                        ResponseWriter& response, bool redirect) {
  // A login replaces the session the browser had.
  if (auto old = CookieValue(request.Header("cookie"), kSessionCookie); !old.empty()) {
    sessions.Remove(old);
  }
  if (request.facts != nullptr) request.facts->access_key = principal->AccessKey();
  const json answer = SessionJson(*principal, "", options.absolute_timeout);
  auto created = sessions.Create(std::move(principal));
  const std::string cookie = SessionCookie(created.id, options.absolute_timeout, request.secure);
  if (redirect) {
    SendRedirect(response, "/console/", {{"set-cookie", cookie}});
    return;
  }
  json body = answer;
  body["csrfToken"] = created.csrf_token;
  HeaderList headers = JsonHeaders();
  headers.emplace_back("set-cookie", cookie);
  Send(response, 200, std::move(headers), body.dump());
}

void ConsoleHandler::Impl::Logout(const HttpRequest& request, ResponseWriter& response) {
  if (request.facts != nullptr) request.facts->api = "ConsoleLogout";
  sessions.Remove(CookieValue(request.Header("cookie"), kSessionCookie));
  HeaderList headers = JsonHeaders();
  headers.emplace_back("set-cookie", SessionCookie("", std::chrono::seconds(0), request.secure));
  Send(response, 200, std::move(headers), "{}");
}

void ConsoleHandler::Impl::Forward(const HttpRequest& request, const SessionView& session,
                                   std::string_view rest, BodyReader& body,
                                   ResponseWriter& response) {
  const std::string_view rest_path = rest.substr(0, rest.find('?'));
  if (rest_path.empty() || rest_path.find("..") != std::string_view::npos ||
      rest_path.find("//") != std::string_view::npos) {
    SendError(response, 404, "NotFound", "No such admin API path.");
    return;
  }
  HttpRequest inner;
  inner.method = request.method;
  inner.target = std::string(kAdminTargetPrefix) + std::string(rest);
  for (const auto& [name, value] : request.headers) {
    if (ForwardHeader(name)) inner.headers.emplace_back(name, value);
  }
  inner.remote_address = request.remote_address;
  inner.secure = request.secure;
  inner.request_id = request.request_id;
  inner.facts = request.facts;
  SecureWriter writer(response);
  backend.ServeAs(*session.principal, inner, body, writer);
  // SECURITY: the backend re-checks the credential on every call; once it
  // says the principal is no longer valid (a disabled user, a revoked or
  // expired STS session), the console session ends too.
  if (writer.status() == 401) {
    sessions.Remove(CookieValue(request.Header("cookie"), kSessionCookie));
  }
}

}  // namespace coffer::core::console
