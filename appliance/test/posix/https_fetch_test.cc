// The production fetcher's form POST (the OAuth token request) against a
// one-shot plain-HTTP server on 127.0.0.1 (plain http is allowed to loopback
// only): what goes on the wire, 200 bodies, refusals with the OAuth error
// code, the size limit, the deadline and the URL rules. The TLS path is the
// one Get uses (oidc_provider_e2e and console_oidc_e2e run it against a real
// provider).

#include "coffer/posix/https_fetch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace coffer::posix {
namespace {

// Accepts one connection, reads the request (head and Content-Length body),
// answers `response` (after `delay`) and closes.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response,
                         std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : response_(std::move(response)), delay_(delay) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Valid after the fetch returned.
  std::string request() {
    thread_.join();
    thread_ = std::thread([] {});
    return request_;
  }

 private:
  void Run() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    std::size_t want = std::string::npos;
    while (request_.size() < want) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
      const auto end = request_.find("\r\n\r\n");
      if (end != std::string::npos && want == std::string::npos) {
        std::size_t length = 0;
        const auto cl = request_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(request_.substr(cl + 16));
        want = end + 4 + length;
      }
    }
    std::this_thread::sleep_for(delay_);
    std::size_t off = 0;
    while (off < response_.size()) {
      const ssize_t n = ::write(c, response_.data() + off, response_.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(c);
  }

  std::string response_;
  std::chrono::milliseconds delay_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

std::string Answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

std::unique_ptr<env::DocumentFetcher> Fetcher() {
  auto f = MakeHttpsFetcher({"", "", false});
  EXPECT_TRUE(f.has_value());
  return std::move(f).value();
}

TEST(HttpsFetchPost, SendsTheFormAndAuthorizationAndReturnsThe200Body) {
  OneShotServer server(Answer(200, R"({"id_token":"x.y.z"})"));
  const base::Secret form("grant_type=authorization_code&code=abc&code_verifier=v");
  auto body = Fetcher()->PostForm(server.Url("/token?x=1"), form,
                                  base::Secret("Basic Y2xpZW50OnNlY3JldA=="), {});
  ASSERT_TRUE(body.has_value()) << body.error().ToString();
  EXPECT_EQ(*body, R"({"id_token":"x.y.z"})");
  const std::string req = server.request();
  EXPECT_TRUE(req.starts_with("POST /token?x=1 HTTP/1.1\r\n")) << req;
  EXPECT_NE(req.find("\r\nContent-Type: application/x-www-form-urlencoded\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nAuthorization: Basic Y2xpZW50OnNlY3JldA==\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nContent-Length: 54\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("\r\nHost: 127.0.0.1:"), std::string::npos);
  EXPECT_TRUE(req.ends_with("\r\n\r\n" + std::string(form.Reveal()))) << req;
}

TEST(HttpsFetchPost, NoAuthorizationHeaderWhenNoneIsGiven) {
  OneShotServer server(Answer(200, "{}"));
  auto body = Fetcher()->PostForm(server.Url("/t"), base::Secret("a=b"), base::Secret(), {});
  ASSERT_TRUE(body.has_value()) << body.error().ToString();
  EXPECT_EQ(server.request().find("Authorization:"), std::string::npos);
}

TEST(HttpsFetchPost, ARefusalNamesTheStatusAndOAuthErrorButNoSecret) {
  OneShotServer server(
      Answer(400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})"));
  auto body = Fetcher()->PostForm(server.Url("/t"), base::Secret("code=SECRETCODE"),
                                  base::Secret("Basic U0VDUkVU"), {});
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code(), base::ErrorCode::kUnavailable);
  const std::string message = body.error().ToString();
  EXPECT_NE(message.find("HTTP status 400 (invalid_grant)"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRETCODE"), std::string::npos);
  EXPECT_EQ(message.find("U0VDUkVU"), std::string::npos);
  EXPECT_EQ(message.find("grant request"), std::string::npos);
}

TEST(HttpsFetchPost, AnOddErrorFieldIsNotEchoed) {
  OneShotServer server(Answer(401, R"({"error":"<script>alert(1)</script>"})"));
  auto body = Fetcher()->PostForm(server.Url("/t"), base::Secret("a=b"), base::Secret(), {});
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().message().find("script"), std::string::npos) << body.error().message();
  EXPECT_NE(body.error().message().find("HTTP status 401"), std::string::npos);
}

TEST(HttpsFetchPost, TooLargeAnswerAndTimeoutAreUnavailable) {
  {
    OneShotServer server(Answer(200, std::string(2048, 'x')));
    env::FetchLimits small;
    small.max_body_bytes = 1024;
    auto body = Fetcher()->PostForm(server.Url("/t"), base::Secret("a=b"), base::Secret(), small);
    ASSERT_FALSE(body.has_value());
    EXPECT_EQ(body.error().code(), base::ErrorCode::kUnavailable);
    EXPECT_NE(body.error().message().find("too large"), std::string::npos);
  }
  {
    OneShotServer server(Answer(200, "{}"), std::chrono::milliseconds(1500));
    env::FetchLimits quick;
    quick.timeout = std::chrono::milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    auto body = Fetcher()->PostForm(server.Url("/t"), base::Secret("a=b"), base::Secret(), quick);
    ASSERT_FALSE(body.has_value());
    EXPECT_EQ(body.error().code(), base::ErrorCode::kUnavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1200));
  }
}

TEST(HttpsFetchPost, UrlRulesAreGets) {
  auto fetcher = Fetcher();
  for (const char* url : {"http://idp.example/token", "ftp://127.0.0.1/t", "https://",
                          "https://user@idp.example/token"}) {
    auto body = fetcher->PostForm(url, base::Secret("a=b"), base::Secret(), {});
    ASSERT_FALSE(body.has_value()) << url;
    EXPECT_EQ(body.error().code(), base::ErrorCode::kInvalidArgument) << url;
  }
  // Nobody listens: unavailable, not a hang.
  auto closed = fetcher->PostForm("http://127.0.0.1:1/t", base::Secret("a=b"), base::Secret(), {});
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code(), base::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::posix
