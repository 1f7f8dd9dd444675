#include "http_client.h"

#include <cctype>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

namespace coffer::conform {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kBodyLimitBytes = 256ull << 20;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

base::Error Fail(std::string_view what, const beast::error_code& ec) {
  return base::Unavailable(std::string(what) + ": " + ec.message());
}

// Writes the request and reads the response on an open stream (plain or TLS).
template <typename Stream>
base::Result<HttpResponse> Exchange(Stream& stream, beast::tcp_stream& lowest,
                                    std::chrono::milliseconds timeout,
                                    http::request<http::string_body>& request, bool head) {
  beast::error_code ec;
  lowest.expires_after(timeout);
  http::write(stream, request, ec);
  if (ec) return Fail("write", ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimitBytes);
  if (head) parser.skip(true);
  lowest.expires_after(timeout);
  http::read(stream, buffer, parser, ec);
  if (ec) return Fail("read", ec);
  HttpResponse out;
  const auto& msg = parser.get();
  out.status = static_cast<unsigned>(msg.result_int());
  for (const auto& field : msg) {
    out.headers.emplace_back(Lower(std::string(field.name_string())), std::string(field.value()));
  }
  out.body = msg.body();
  return out;
}

}  // namespace

std::string Endpoint::HostHeader() const {
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

base::Result<Endpoint> ParseEndpoint(std::string_view url) {
  Endpoint e;
  if (url.starts_with("https://")) {
    e.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return base::InvalidArgument("endpoint must start with http:// or https://");
  }
  while (url.ends_with("/")) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) {
    return base::InvalidArgument("endpoint must be http[s]://HOST[:PORT] without a path");
  }
  std::string_view host = url;
  std::string_view port;
  if (url.front() == '[') {
    const auto close = url.find(']');
    if (close == std::string_view::npos) return base::InvalidArgument("bad IPv6 endpoint");
    host = url.substr(1, close - 1);
    if (close + 1 < url.size() && url[close + 1] == ':') port = url.substr(close + 2);
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  e.host = std::string(host);
  e.port = port.empty() ? (e.tls ? "443" : "80") : std::string(port);
  for (char c : e.port) {
    if (c < '0' || c > '9') return base::InvalidArgument("bad endpoint port");
  }
  return e;
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::string HttpResponse::ErrorCode() const {
  const auto open = body.find("<Code>");
  if (open == std::string::npos) return "";
  const auto close = body.find("</Code>", open);
  if (close == std::string::npos) return "";
  return body.substr(open + 6, close - open - 6);
}

struct HttpClient::Impl {
  asio::io_context io;
  std::optional<asio::ssl::context> ssl{std::nullopt};
  std::string ca_file;
  std::chrono::milliseconds timeout{0};
};

HttpClient::HttpClient(std::string ca_file, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->ca_file = std::move(ca_file);
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

base::Result<HttpResponse> HttpClient::Send(const Endpoint& endpoint, std::string_view method,
                                            std::string_view target, const Headers& headers,
                                            std::string_view body) {
  beast::error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto addresses = resolver.resolve(endpoint.host, endpoint.port, ec);
  if (ec) return Fail("resolve " + endpoint.host, ec);

  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.set(http::field::connection, "close");
  if (!body.empty() || method == "PUT" || method == "POST") {
    request.body() = std::string(body);
    request.content_length(body.size());
  }
  const bool head = method == "HEAD";

  beast::tcp_stream plain(impl_->io);
  plain.expires_after(impl_->timeout);
  plain.connect(addresses, ec);
  if (ec) return Fail("connect " + endpoint.Url(), ec);
  const auto local = plain.socket().local_endpoint(ec);
  const std::string local_address = ec ? "" : local.address().to_string();
  if (!endpoint.tls) {
    auto out = Exchange(plain, plain, impl_->timeout, request, head);
    if (out.has_value()) out->local_address = local_address;
    plain.socket().shutdown(tcp::socket::shutdown_both, ec);
    return out;
  }
  if (!impl_->ssl) {
    impl_->ssl.emplace(asio::ssl::context::tls_client);
    impl_->ssl->set_verify_mode(asio::ssl::verify_peer);
    if (impl_->ca_file.empty()) {
      impl_->ssl->set_default_verify_paths(ec);
    } else {
      impl_->ssl->load_verify_file(impl_->ca_file, ec);
    }
    if (ec) {
      impl_->ssl.reset();
      return Fail("TLS trust store", ec);
    }
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *impl_->ssl);
  stream.set_verify_callback(asio::ssl::host_name_verification(endpoint.host), ec);
  SSL_set_tlsext_host_name(stream.native_handle(), endpoint.host.c_str());
  beast::get_lowest_layer(stream).expires_after(impl_->timeout);
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return Fail("TLS handshake with " + endpoint.Url(), ec);
  auto out = Exchange(stream, beast::get_lowest_layer(stream), impl_->timeout, request, head);
  if (out.has_value()) out->local_address = local_address;
  stream.shutdown(ec);
  return out;
}

}  // namespace coffer::conform
