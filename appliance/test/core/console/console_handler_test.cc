// The console handler against a fake admin backend: login and sessions,
// expiry, cookie flags, CSRF and origin refusals, logout, the admin proxy,
// assets and their security headers, and the OIDC start/callback checks.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/console/console.h"

#include "../audit/fakes.h"

namespace coffer::core::console {
namespace {

using nlohmann::json;

class FakePrincipal final : public Principal {
 public:
  explicit FakePrincipal(std::string name) : name_(std::move(name)) {}
  std::string DisplayName() const override { return name_; }
  std::string AccessKey() const override { return name_ + "-key"; }

 private:
  std::string name_;
};

// Accepts alice/alice-secret; ServeAs answers what it was asked, as whom.
class FakeBackend final : public Backend {
 public:
  base::Result<std::shared_ptr<const Principal>> Login(std::string_view access_key,
                                                       const base::Secret& secret,
                                                       std::string_view) override {
    if (access_key == "alice" && secret.Reveal() == "alice-secret") {
      return std::shared_ptr<const Principal>(std::make_shared<FakePrincipal>("alice"));
    }
    return base::Unauthenticated("invalid credentials");
  }
  void ServeAs(const Principal& principal, const HttpRequest& request, BodyReader& body,
               ResponseWriter& response) override {
    std::string text;
    std::array<std::byte, 256> buffer{};
    for (;;) {
      auto n = body.Read(buffer);
      if (!n || *n == 0) break;
      text.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    calls.push_back(request);
    if (revoked) {
      const std::string out = R"({"Code":"InvalidCredentials"})";
      (void)response.Start(401, {{"content-type", "application/json"}}, out.size());
      (void)response.Write(std::as_bytes(std::span<const char>(out.data(), out.size())));
      (void)response.Finish();
      return;
    }
    const json answer{{"as", principal.DisplayName()},
                      {"method", request.method},
                      {"target", request.target},
                      {"body", text}};
    const std::string out = answer.dump();
    (void)response.Start(200, {{"content-type", "application/json"}, {"set-cookie", "x=y"}},
                         out.size());
    (void)response.Write(std::as_bytes(std::span<const char>(out.data(), out.size())));
    (void)response.Finish();
  }
  std::vector<HttpRequest> calls;
  bool revoked = false;  // ServeAs answers 401 as for a disabled user.
};

class StringBody final : public BodyReader {
 public:
  explicit StringBody(std::string text) : text_(std::move(text)) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    const std::size_t n = std::min(out.size(), text_.size() - pos_);
    std::memcpy(out.data(), text_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::optional<std::uint64_t> content_length() const override { return text_.size(); }

 private:
  std::string text_;
  std::size_t pos_ = 0;
};

class Capture final : public ResponseWriter {
 public:
  base::Status Start(unsigned s, const HeaderList& h, std::optional<std::uint64_t>) override {
    status = s;
    headers = h;
    started_ = true;
    return base::Ok();
  }
  base::Status Write(std::span<const std::byte> data) override {
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return base::Ok();
  }
  base::Status Finish() override {
    finished = true;
    return base::Ok();
  }
  bool started() const override { return started_; }
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
  json Json() const { return json::parse(body, nullptr, false); }

  unsigned status = 0;
  HeaderList headers;
  std::string body;
  bool finished = false;

 private:
  bool started_ = false;
};

std::vector<Asset> TestAssets() {
  return {{"index.html", "text/html; charset=utf-8", "<!doctype html><p>console</p>"},
          {"app.js", "text/javascript; charset=utf-8", "'use strict';"}};
}

class ConsoleTest : public ::testing::Test {
 protected:
  ConsoleTest() { Make(ConsoleOptions{}); }

  void Make(ConsoleOptions options) {
    options.assets = TestAssets();
    handler_ = std::make_unique<ConsoleHandler>(env_, backend_, std::move(options));
  }

  Capture Call(std::string method, std::string target, std::string body = "",
               HeaderList headers = {}, bool secure = false) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers = std::move(headers);
    request.headers.emplace_back("host", "coffer.test:9000");
    request.secure = secure;
    request.remote_address = "127.0.0.1:5000";
    request.facts = &facts_;
    StringBody reader(std::move(body));
    Capture capture;
    handler_->Serve(request, reader, capture);
    return capture;
  }

  // Logs alice in; returns the cookie header value and the CSRF token.
  std::pair<std::string, std::string> LogIn(bool secure = false) {
    Capture c = Call("POST", "/console/api/login",
                     R"({"accessKey":"alice","secretKey":"alice-secret"})", {}, secure);
    EXPECT_EQ(c.status, 200u) << c.body;
    const std::string set_cookie = c.Header("set-cookie");
    const std::string pair = set_cookie.substr(0, set_cookie.find(';'));
    return {pair, c.Json().value("csrfToken", "")};
  }

  audit::testing::VirtualEnv env_;
  FakeBackend backend_;
  RequestFacts facts_;
  std::unique_ptr<ConsoleHandler> handler_;
};

TEST(ConsoleOwns, OnlyTheConsolePaths) {
  EXPECT_TRUE(ConsoleHandler::Owns("/console"));
  EXPECT_TRUE(ConsoleHandler::Owns("/console/"));
  EXPECT_TRUE(ConsoleHandler::Owns("/console/api/login"));
  EXPECT_TRUE(ConsoleHandler::Owns("/console?x=1"));
  EXPECT_FALSE(ConsoleHandler::Owns("/consoles/key"));
  EXPECT_FALSE(ConsoleHandler::Owns("/bucket/console"));
  EXPECT_FALSE(ConsoleHandler::Owns("/"));
}

TEST(ConsoleOwns, NotVirtualHostedObjectKeys) {
  HttpRequest r;
  r.target = "/console/app.js";
  r.headers = {{"host", "s3.example.com:9000"}};
  const std::vector<std::string> domains{"s3.example.com"};
  EXPECT_TRUE(ConsoleHandler::OwnsRequest(r, domains));
  r.headers = {{"host", "photos.s3.example.com:9000"}};  // Bucket photos, key console/app.js.
  EXPECT_FALSE(ConsoleHandler::OwnsRequest(r, domains));
  r.headers = {{"host", "photos.s3.example.com"}};
  EXPECT_FALSE(ConsoleHandler::OwnsRequest(r, domains));
  EXPECT_TRUE(ConsoleHandler::OwnsRequest(r, {}));
  r.headers = {{"host", "127.0.0.1:9000"}};
  EXPECT_TRUE(ConsoleHandler::OwnsRequest(r, domains));
}

TEST_F(ConsoleTest, AssetsCarryTheStrictHeaders) {
  Capture c = Call("GET", "/console/");
  EXPECT_EQ(c.status, 200u);
  EXPECT_EQ(c.body, "<!doctype html><p>console</p>");
  EXPECT_EQ(c.Header("content-type"), "text/html; charset=utf-8");
  const std::string csp = c.Header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(c.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(c.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(c.Header("x-frame-options"), "DENY");
  EXPECT_EQ(Call("GET", "/console/app.js").Header("content-type"),
            "text/javascript; charset=utf-8");
}

TEST_F(ConsoleTest, BarePathRedirectsAndUnknownAssetsAre404) {
  Capture c = Call("GET", "/console");
  EXPECT_EQ(c.status, 302u);
  EXPECT_EQ(c.Header("location"), "/console/");
  EXPECT_EQ(Call("GET", "/console/../etc/passwd").status, 404u);
  EXPECT_EQ(Call("GET", "/console/nope.js").status, 404u);
  EXPECT_EQ(Call("POST", "/console/index.html").status, 405u);
}

TEST_F(ConsoleTest, LoginSetsAStrictHttpOnlyCookieAndAnswersNoSecret) {
  Capture c =
      Call("POST", "/console/api/login", R"({"accessKey":"alice","secretKey":"alice-secret"})");
  ASSERT_EQ(c.status, 200u) << c.body;
  const std::string cookie = c.Header("set-cookie");
  EXPECT_TRUE(cookie.starts_with("coffer_console="));
  const std::string id = cookie.substr(15, cookie.find(';') - 15);
  EXPECT_EQ(id.size(), 64u);  // 256 bits, hex.
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("; Path=/console"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // Plain HTTP.
  EXPECT_EQ(c.body.find("alice-secret"), std::string::npos);
  EXPECT_EQ(c.Json()["user"], "alice");
  EXPECT_EQ(c.Json()["csrfToken"].get<std::string>().size(), 64u);
  EXPECT_EQ(c.Header("cache-control"), "no-store");
  EXPECT_EQ(facts_.api, "ConsoleLogin");
  EXPECT_EQ(facts_.access_key, "alice-key");
  EXPECT_EQ(handler_->SessionCountForTest(), 1u);
}

TEST_F(ConsoleTest, CookieIsSecureUnderTls) {
  Capture c = Call("POST", "/console/api/login",
                   R"({"accessKey":"alice","secretKey":"alice-secret"})", {}, /*secure=*/true);
  ASSERT_EQ(c.status, 200u);
  EXPECT_NE(c.Header("set-cookie").find("; Secure"), std::string::npos);
}

TEST_F(ConsoleTest, WrongCredentialsAreRefusedWithoutASession) {
  Capture c = Call("POST", "/console/api/login", R"({"accessKey":"alice","secretKey":"nope"})");
  EXPECT_EQ(c.status, 401u);
  EXPECT_EQ(c.Header("set-cookie"), "");
  EXPECT_EQ(c.Json()["Code"], "InvalidCredentials");
  EXPECT_EQ(handler_->SessionCountForTest(), 0u);
  EXPECT_EQ(Call("POST", "/console/api/login", "not json").status, 400u);
  EXPECT_EQ(Call("GET", "/console/api/login").status, 405u);
}

TEST_F(ConsoleTest, SessionAnswersTheUserAndTheCsrfToken) {
  auto [cookie, csrf] = LogIn();
  Capture c = Call("GET", "/console/api/session", "", {{"cookie", "other=1; " + cookie}});
  ASSERT_EQ(c.status, 200u);
  EXPECT_EQ(c.Json()["user"], "alice");
  EXPECT_EQ(c.Json()["csrfToken"], csrf);
  EXPECT_EQ(Call("GET", "/console/api/session").status, 401u);
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", "coffer_console=abc"}}).status,
            401u);
}

TEST_F(ConsoleTest, IdleSessionsExpire) {
  ConsoleOptions options;
  options.idle_timeout = std::chrono::seconds(60);
  Make(std::move(options));
  auto [cookie, csrf] = LogIn();
  env_.RunFor(std::chrono::seconds(50));
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 200u);
  env_.RunFor(std::chrono::seconds(50));  // 100 s after login, 50 s idle: still alive.
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 200u);
  env_.RunFor(std::chrono::seconds(61));
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 401u);
  EXPECT_EQ(handler_->SessionCountForTest(), 0u);
}

TEST_F(ConsoleTest, SessionsEndAtTheAbsoluteLimitEvenWhenBusy) {
  ConsoleOptions options;
  options.idle_timeout = std::chrono::seconds(60);
  options.absolute_timeout = std::chrono::seconds(150);
  Make(std::move(options));
  auto [cookie, csrf] = LogIn();
  for (int i = 0; i < 4; ++i) {
    env_.RunFor(std::chrono::seconds(30));
    EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 200u) << i;
  }
  env_.RunFor(std::chrono::seconds(31));
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 401u);
}

TEST_F(ConsoleTest, SessionCountIsBounded) {
  ConsoleOptions options;
  options.max_sessions = 3;
  Make(std::move(options));
  auto first = LogIn();
  env_.RunFor(std::chrono::seconds(1));
  for (int i = 0; i < 5; ++i) {
    LogIn();
    env_.RunFor(std::chrono::seconds(1));
  }
  EXPECT_EQ(handler_->SessionCountForTest(), 3u);
  // The session idle the longest went first.
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", first.first}}).status, 401u);
}

TEST_F(ConsoleTest, LogoutDeletesTheSessionServerSide) {
  auto [cookie, csrf] = LogIn();
  Capture c =
      Call("POST", "/console/api/logout", "", {{"cookie", cookie}, {"x-coffer-csrf", csrf}});
  EXPECT_EQ(c.status, 200u);
  EXPECT_NE(c.Header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(handler_->SessionCountForTest(), 0u);
  // The old cookie, replayed, is dead.
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 401u);
  EXPECT_EQ(Call("GET", "/console/api/admin/users", "", {{"cookie", cookie}}).status, 401u);
}

TEST_F(ConsoleTest, StateChangingCallsWithoutTheCsrfTokenAreRefused) {
  auto [cookie, csrf] = LogIn();
  Capture c = Call("POST", "/console/api/admin/service-accounts", "{}", {{"cookie", cookie}});
  EXPECT_EQ(c.status, 403u);
  EXPECT_EQ(c.Json()["Code"], "CsrfTokenInvalid");
  c = Call("DELETE", "/console/api/admin/sts-sessions/AK", "",
           {{"cookie", cookie}, {"x-coffer-csrf", std::string(64, '0')}});
  EXPECT_EQ(c.status, 403u);
  c = Call("POST", "/console/api/logout", "", {{"cookie", cookie}});
  EXPECT_EQ(c.status, 403u);
  EXPECT_EQ(handler_->SessionCountForTest(), 1u);
  EXPECT_TRUE(backend_.calls.empty());
}

TEST_F(ConsoleTest, CrossSitePostsAreRefusedEvenWithTheToken) {
  auto [cookie, csrf] = LogIn();
  Capture c = Call("POST", "/console/api/admin/service-accounts", "{}",
                   {{"cookie", cookie}, {"x-coffer-csrf", csrf}, {"origin", "http://evil.test"}});
  EXPECT_EQ(c.status, 403u);
  EXPECT_EQ(c.Json()["Code"], "CrossOriginRefused");
  EXPECT_EQ(facts_.api, "ConsoleApi");  // The refusal is audited under a name.
  EXPECT_EQ(facts_.error_code, "CrossOriginRefused");
  c = Call("POST", "/console/api/admin/service-accounts", "{}",
           {{"cookie", cookie}, {"x-coffer-csrf", csrf}, {"sec-fetch-site", "cross-site"}});
  EXPECT_EQ(c.status, 403u);
  c = Call("POST", "/console/api/admin/service-accounts", "{}",
           {{"cookie", cookie}, {"x-coffer-csrf", csrf}, {"origin", "null"}});
  EXPECT_EQ(c.status, 403u);
  // A login from another site is refused too (login CSRF).
  c = Call("POST", "/console/api/login", R"({"accessKey":"alice","secretKey":"alice-secret"})",
           {{"origin", "http://evil.test"}});
  EXPECT_EQ(c.status, 403u);
  EXPECT_TRUE(backend_.calls.empty());
}

TEST_F(ConsoleTest, SameOriginCallsAreForwardedAsThePrincipal) {
  auto [cookie, csrf] = LogIn();
  Capture c = Call("POST", "/console/api/admin/service-accounts?x=1", R"({"parent":"alice"})",
                   {{"cookie", cookie},
                    {"x-coffer-csrf", csrf},
                    {"origin", "http://coffer.test:9000"},
                    {"sec-fetch-site", "same-origin"},
                    {"authorization", "AWS4-HMAC-SHA256 forged"},
                    {"content-type", "application/json"}});
  ASSERT_EQ(c.status, 200u) << c.body;
  EXPECT_EQ(c.Json()["as"], "alice");
  EXPECT_EQ(c.Json()["target"], "/coffer/admin/v1/service-accounts?x=1");
  EXPECT_EQ(c.Json()["body"], R"({"parent":"alice"})");
  // The console's headers go on, the admin API's cookies do not.
  EXPECT_EQ(c.Header("set-cookie"), "");
  EXPECT_NE(c.Header("content-security-policy"), "");
  EXPECT_EQ(c.Header("cache-control"), "no-store");
  ASSERT_EQ(backend_.calls.size(), 1u);
  const HttpRequest& forwarded = backend_.calls[0];
  EXPECT_EQ(forwarded.Header("cookie"), "");
  EXPECT_EQ(forwarded.Header("authorization"), "");
  EXPECT_EQ(forwarded.Header("x-coffer-csrf"), "");
  EXPECT_EQ(forwarded.Header("content-type"), "application/json");
  EXPECT_EQ(forwarded.remote_address, "127.0.0.1:5000");
}

TEST_F(ConsoleTest, GetsNeedASessionButNoToken) {
  auto [cookie, csrf] = LogIn();
  EXPECT_EQ(Call("GET", "/console/api/admin/users").status, 401u);
  Capture c = Call("GET", "/console/api/admin/users", "", {{"cookie", cookie}});
  EXPECT_EQ(c.status, 200u);
  EXPECT_EQ(c.Json()["target"], "/coffer/admin/v1/users");
  EXPECT_EQ(Call("GET", "/console/api/admin/../../x", "", {{"cookie", cookie}}).status, 404u);
  EXPECT_EQ(Call("GET", "/console/api/nothing", "", {{"cookie", cookie}}).status, 404u);
}

TEST_F(ConsoleTest, ABackendRefusalOfTheCredentialEndsTheSession) {
  auto [cookie, csrf] = LogIn();
  backend_.revoked = true;
  EXPECT_EQ(Call("GET", "/console/api/admin/users", "", {{"cookie", cookie}}).status, 401u);
  EXPECT_EQ(handler_->SessionCountForTest(), 0u);
  backend_.revoked = false;
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 401u);
}

TEST_F(ConsoleTest, ANewLoginReplacesTheBrowsersSession) {
  auto [cookie, csrf] = LogIn();
  Capture c = Call("POST", "/console/api/login",
                   R"({"accessKey":"alice","secretKey":"alice-secret"})", {{"cookie", cookie}});
  ASSERT_EQ(c.status, 200u);
  EXPECT_EQ(handler_->SessionCountForTest(), 1u);
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", cookie}}).status, 401u);
}

// ---- OIDC ----------------------------------------------------------------------------------

class ConsoleOidcTest : public ConsoleTest {
 protected:
  ConsoleOidcTest() {
    ConsoleOptions options;
    options.oidc_providers = [] {
      OidcProvider p;
      p.name = "dex";
      p.authorization_endpoint = "https://idp.test/auth";
      p.client_id = "coffer console";
      p.redirect_uri = "https://coffer.test:9000/console/oidc/callback";
      return std::vector<OidcProvider>{p};
    };
    options.oidc_exchange =
        [this](const OidcCode& code) -> base::Result<std::shared_ptr<const Principal>> {
      exchanged.push_back(code);
      if (code.code != "good-code") return base::Unauthenticated("bad code");
      return std::shared_ptr<const Principal>(std::make_shared<FakePrincipal>("oidc-user"));
    };
    Make(std::move(options));
  }
  std::vector<OidcCode> exchanged;
};

TEST_F(ConsoleOidcTest, StartRedirectsWithPkceStateAndNonce) {
  Capture providers = Call("GET", "/console/api/oidc/providers");
  EXPECT_EQ(providers.Json()["providers"][0]["name"], "dex");
  Capture c = Call("GET", "/console/oidc/start?provider=dex");
  ASSERT_EQ(c.status, 302u) << c.body;
  const std::string location = c.Header("location");
  EXPECT_TRUE(
      location.starts_with("https://idp.test/auth?response_type=code&client_id=coffer%20console"));
  EXPECT_NE(location.find("&code_challenge_method=S256"), std::string::npos);
  EXPECT_NE(location.find("&state="), std::string::npos);
  EXPECT_NE(location.find("&nonce="), std::string::npos);
  EXPECT_NE(
      location.find("redirect_uri=https%3A%2F%2Fcoffer.test%3A9000%2Fconsole%2Foidc%2Fcallback"),
      std::string::npos);
  EXPECT_EQ(Call("GET", "/console/oidc/start?provider=other").status, 404u);
}

std::string Param(const std::string& url, const std::string& name) {
  const std::size_t at = url.find("&" + name + "=");
  if (at == std::string::npos) return "";
  const std::size_t start = at + name.size() + 2;
  return url.substr(start, url.find('&', start) - start);
}

TEST_F(ConsoleOidcTest, CallbackNeedsTheStateItIssuedOnce) {
  const std::string location = Call("GET", "/console/oidc/start?provider=dex").Header("location");
  const std::string state = Param(location, "state");
  ASSERT_EQ(state.size(), 43u);
  EXPECT_EQ(Call("GET", "/console/oidc/callback?code=good-code&state=forged").status, 400u);
  Capture c = Call("GET", "/console/oidc/callback?code=good-code&state=" + state);
  ASSERT_EQ(c.status, 302u) << c.body;
  EXPECT_EQ(c.Header("location"), "/console/");
  EXPECT_NE(c.Header("set-cookie").find("HttpOnly"), std::string::npos);
  ASSERT_EQ(exchanged.size(), 1u);
  EXPECT_EQ(exchanged[0].nonce, Param(location, "nonce"));
  EXPECT_EQ(exchanged[0].code_verifier.size(), 43u);
  EXPECT_NE(exchanged[0].code_verifier, Param(location, "code_challenge"));
  // Replayed: the state is spent.
  EXPECT_EQ(Call("GET", "/console/oidc/callback?code=good-code&state=" + state).status, 400u);
  EXPECT_EQ(handler_->SessionCountForTest(), 1u);
}

TEST_F(ConsoleOidcTest, ARefusedCodeMakesNoSessionAndStatesExpire) {
  std::string state =
      Param(Call("GET", "/console/oidc/start?provider=dex").Header("location"), "state");
  EXPECT_EQ(Call("GET", "/console/oidc/callback?code=bad&state=" + state).status, 401u);
  state = Param(Call("GET", "/console/oidc/start?provider=dex").Header("location"), "state");
  env_.RunFor(std::chrono::minutes(11));
  EXPECT_EQ(Call("GET", "/console/oidc/callback?code=good-code&state=" + state).status, 400u);
  EXPECT_EQ(handler_->SessionCountForTest(), 0u);
}

}  // namespace
}  // namespace coffer::core::console
