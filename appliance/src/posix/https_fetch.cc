// HTTPS GET for small public documents (OIDC discovery, JWKS). Linear code
// over Asio's asynchronous operations: each step is started and the private
// io_context is run until it completes or the deadline passes, so one timeout
// bounds the whole exchange without a thread per request.

#include "coffer/posix/https_fetch.h"

#include <dirent.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace coffer::posix {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Url {
  bool tls = true;
  std::string host;  // Without brackets.
  std::string port;
  std::string target;
};

std::optional<Url> ParseUrl(std::string_view url) {
  Url u;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    u.tls = false;
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    authority.remove_prefix(colon == std::string_view::npos ? authority.size() : colon);
  }
  u.port = authority.empty() ? (u.tls ? "443" : "80") : std::string(authority.substr(1));
  if (u.host.empty() || u.port.empty() || u.port.size() > 5 ||
      u.port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return u;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// Runs `ioc` until `done` or the deadline. Returns false on timeout.
bool RunUntil(net::io_context& ioc, const bool& done, Clock::time_point deadline) {
  ioc.restart();
  while (!done) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (ioc.run_one_for(deadline - now) == 0 && !done && ioc.stopped()) return false;
  }
  return true;
}

class HttpsFetcher final : public env::DocumentFetcher {
 public:
  explicit HttpsFetcher(ssl::context ctx) : ctx_(std::move(ctx)) {}

  base::Result<std::string> Get(std::string_view url, const env::FetchLimits& limits) override {
    auto parsed = ParseUrl(url);
    if (!parsed) return base::InvalidArgument("unusable URL for a document fetch");
    if (!parsed->tls && !IsLoopback(parsed->host)) {
      return base::InvalidArgument("plain http is allowed to loopback hosts only: " + parsed->host);
    }
    auto body = Fetch(*parsed, nullptr, nullptr, limits);
    if (!body) return body.error().WithContext(parsed->host + ":" + parsed->port);
    return body;
  }

  base::Result<std::string> PostForm(std::string_view url, const base::Secret& form,
                                     const base::Secret& authorization,
                                     const env::FetchLimits& limits) override {
    auto parsed = ParseUrl(url);
    if (!parsed) return base::InvalidArgument("unusable URL for a form post");
    if (!parsed->tls && !IsLoopback(parsed->host)) {
      return base::InvalidArgument("plain http is allowed to loopback hosts only: " + parsed->host);
    }
    auto body = Fetch(*parsed, &form, &authorization, limits);
    if (!body) return body.error().WithContext(parsed->host + ":" + parsed->port);
    return body;
  }

 private:
  // The OAuth 2.0 "error" code of an error answer (RFC 6749 5.2), when it is
  // a short token: safe to show, unlike error_description, which a provider
  // may fill with anything.
  static std::string OAuthErrorCode(std::string_view body) {
    const auto key = body.find("\"error\"");
    if (key == std::string_view::npos) return "";
    auto rest = body.substr(key + 7);
    const auto open = rest.find('"');
    if (open == std::string_view::npos) return "";
    rest.remove_prefix(open + 1);
    const auto close = rest.find('"');
    if (close == std::string_view::npos || close > 64) return "";
    const auto code = rest.substr(0, close);
    for (char c : code) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return "";
    }
    return std::string(code);
  }

  // GET when `form` is null, else POST of `form` with `authorization` (may be empty).
  base::Result<std::string> Fetch(const Url& u, const base::Secret* form,
                                  const base::Secret* authorization,
                                  const env::FetchLimits& limits) {
    const auto deadline = Clock::now() + limits.timeout;
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    bool done = false;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(u.host, u.port, [&](auto e, auto r) {
      ec = e;
      endpoints = r;
      done = true;
    });
    if (!RunUntil(ioc, done, deadline)) return base::Unavailable("timed out resolving");
    if (ec) return base::Unavailable("cannot resolve: " + ec.message());
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx_);
    auto& tcp_stream = beast::get_lowest_layer(stream);
    done = false;
    net::async_connect(tcp_stream.socket(), endpoints, [&](auto e, auto) {
      ec = e;
      done = true;
    });
    if (!RunUntil(ioc, done, deadline)) return base::Unavailable("timed out connecting");
    if (ec) return base::Unavailable("cannot connect: " + ec.message());
    if (u.tls) COFFER_RETURN_IF_ERROR(Handshake(ioc, stream, u, deadline));
    http::request<http::string_body> req{form ? http::verb::post : http::verb::get, u.target, 11};
    // The port belongs in Host when it is not the scheme's default: servers
    // build absolute URLs (an OpenID provider's jwks_uri) from it.
    const bool default_port = u.port == (u.tls ? "443" : "80");
    const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    req.set(http::field::host, default_port ? host : host + ":" + u.port);
    req.set(http::field::user_agent, "coffer");
    req.set(http::field::accept, "application/json");
    req.set(http::field::connection, "close");
    if (form != nullptr) {
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
      if (authorization != nullptr && !authorization->empty()) {
        req.set(http::field::authorization,
                beast::string_view(authorization->Reveal().data(), authorization->Reveal().size()));
      }
      req.body() = std::string(form->Reveal());
      req.prepare_payload();
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(limits.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::flat_buffer buffer;
    auto exchange = [&](auto& s) -> base::Status {
      done = false;
      http::async_write(s, req, [&](auto e, std::size_t) {
        ec = e;
        done = true;
      });
      if (!RunUntil(ioc, done, deadline)) return base::Unavailable("timed out sending");
      if (ec) return base::Unavailable("cannot send: " + ec.message());
      done = false;
      http::async_read(s, buffer, parser, [&](auto e, std::size_t) {
        ec = e;
        done = true;
      });
      if (!RunUntil(ioc, done, deadline)) return base::Unavailable("timed out reading");
      if (ec == http::error::body_limit) return base::Unavailable("response body too large");
      if (ec) return base::Unavailable("cannot read the response: " + ec.message());
      return base::Ok();
    };
    if (u.tls) {
      COFFER_RETURN_IF_ERROR(exchange(stream));
    } else {
      COFFER_RETURN_IF_ERROR(exchange(tcp_stream));
    }
    const auto status = parser.get().result_int();
    if (status != 200) {
      std::string message = "HTTP status " + std::to_string(status);
      if (form != nullptr) {
        if (auto code = OAuthErrorCode(parser.get().body()); !code.empty()) {
          message += " (" + code + ")";
        }
      }
      return base::Unavailable(std::move(message));
    }
    if (parser.get().body().size() > limits.max_body_bytes) {
      return base::Unavailable("response body too large");
    }
    return std::move(parser.get().body());
  }

  base::Status Handshake(net::io_context& ioc, beast::ssl_stream<beast::tcp_stream>& stream,
                         const Url& u, Clock::time_point deadline) {
    SSL* ssl_handle = stream.native_handle();
    // SECURITY: the certificate must name the host (or IP) we asked for.
    if (IsIpLiteral(u.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), u.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_handle, u.host.c_str());
      SSL_set1_host(ssl_handle, u.host.c_str());
    }
    stream.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    bool done = false;
    stream.async_handshake(ssl::stream_base::client, [&](auto e) {
      ec = e;
      done = true;
    });
    if (!RunUntil(ioc, done, deadline)) return base::Unavailable("timed out in the TLS handshake");
    if (ec) return base::Unavailable("TLS handshake failed: " + ec.message());
    return base::Ok();
  }

  // Only read after construction: SSL objects made from it concurrently are safe.
  ssl::context ctx_;
};

}  // namespace

base::Result<std::unique_ptr<env::DocumentFetcher>> MakeHttpsFetcher(
    const HttpsFetcherOptions& options) {
  ssl::context ctx(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                      ssl::context::no_tlsv1_1 | ssl::context::no_compression,
                  ec);
  if (options.system_roots) ctx.set_default_verify_paths(ec);
  if (!options.ca_file.empty()) {
    ctx.load_verify_file(options.ca_file, ec);
    if (ec) return base::FailedPrecondition("cannot load CA file " + options.ca_file);
  }
  if (!options.certs_dir.empty()) {
    const std::string dir = options.certs_dir + "/CAs";
    if (DIR* d = ::opendir(dir.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name.ends_with(".crt") || name.ends_with(".pem")) {
          boost::system::error_code ignored;
          ctx.load_verify_file(dir + "/" + std::string(name), ignored);
        }
      }
      ::closedir(d);
    }
  }
  return std::unique_ptr<env::DocumentFetcher>(new HttpsFetcher(std::move(ctx)));
}

}  // namespace coffer::posix
