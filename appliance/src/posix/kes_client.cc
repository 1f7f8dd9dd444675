#include "coffer/posix/kes_client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace coffer::posix {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using Json = nlohmann::json;

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> Unbase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  if (!in.empty() && in.back() == '=') --size;
  if (in.size() >= 2 && in[in.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

// A JSON body's base64 field, or kUnavailable: a server that answers 200 with
// a malformed body is not one to trust with the next call either.
base::Result<std::string> Field(const std::string& body, const char* name) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains(name) || !j[name].is_string()) {
    return base::Unavailable(std::string("key service answered without ") + name);
  }
  std::optional<std::string> raw = Unbase64(j[name].get<std::string>());
  if (!raw) return base::Unavailable(std::string("key service answered a bad ") + name);
  return *std::move(raw);
}

std::string Body(std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  Json j = Json::object();
  for (const auto& [k, v] : fields) j[k] = Base64(v);
  return j.dump();
}

}  // namespace

struct KesClient::Impl {
  KesClientOptions options;
  std::string host;
  std::string port;
  ssl::context tls{ssl::context::tls_client};
};

KesClient::KesClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KesClient::~KesClient() = default;

base::Result<std::unique_ptr<KesClient>> KesClient::Create(const KesClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::string_view address = options.address;
  if (address.starts_with("https://")) address.remove_prefix(8);
  while (address.ends_with('/')) address.remove_suffix(1);
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return base::InvalidArgument("key service address '" + options.address + "' is not HOST:PORT");
  }
  impl->host = std::string(address.substr(0, colon));
  if (impl->host.size() > 2 && impl->host.front() == '[') {
    impl->host = impl->host.substr(1, impl->host.size() - 2);
  }
  impl->port = std::string(address.substr(colon + 1));
  boost::system::error_code ec;
  impl->tls.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                        ssl::context::no_tlsv1_1);
  impl->tls.set_verify_mode(ssl::verify_peer);
  if (impl->tls.load_verify_file(options.ca_file, ec); ec) {
    return base::InvalidArgument("key service CA file " + options.ca_file + ": " + ec.message());
  }
  if (!options.client_cert_file.empty()) {
    if (impl->tls.use_certificate_chain_file(options.client_cert_file, ec); ec) {
      return base::InvalidArgument("key service client certificate " + options.client_cert_file +
                                   ": " + ec.message());
    }
    if (impl->tls.use_private_key_file(options.client_key_file, ssl::context::pem, ec); ec) {
      return base::InvalidArgument("key service client key " + options.client_key_file + ": " +
                                   ec.message());
    }
  }
  return std::unique_ptr<KesClient>(new KesClient(std::move(impl)));
}

base::Result<KesClient::Reply> KesClient::Call(std::string_view method, std::string_view path,
                                               std::string_view body) {
  const std::string where = "key service " + impl_->host + ":" + impl_->port;
  net::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream(io, impl_->tls);
  boost::system::error_code ec;
  // SECURITY: the server's certificate must name the host (or IP) we dialled.
  X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
  (void)net::ip::make_address(impl_->host, ec);
  if (ec) {
    SSL_set_tlsext_host_name(stream.native_handle(), impl_->host.c_str());
    X509_VERIFY_PARAM_set1_host(param, impl_->host.c_str(), 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, impl_->host.c_str());
  }
  net::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(impl_->host, impl_->port, ec);
  if (ec) return base::Unavailable(where + ": cannot resolve: " + ec.message());

  http::request<http::string_body> request(http::string_to_verb(std::string(method)),
                                           std::string(path), 11);
  request.set(http::field::host, impl_->host);
  request.set(http::field::connection, "close");
  request.set(http::field::content_type, "application/json");
  request.body() = std::string(body);
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  std::string stage = "connect";
  beast::error_code result;

  // One deadline for the whole exchange; the chain stops at the first error.
  beast::get_lowest_layer(stream).expires_after(impl_->options.timeout);
  beast::get_lowest_layer(stream).async_connect(
      endpoints, [&](beast::error_code e, const net::ip::tcp::endpoint&) {
        if ((result = e)) return;
        stage = "TLS handshake";
        stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e2) {
          if ((result = e2)) return;
          stage = "request";
          http::async_write(stream, request, [&](beast::error_code e3, std::size_t) {
            if ((result = e3)) return;
            stage = "response";
            http::async_read(stream, buffer, response,
                             [&](beast::error_code e4, std::size_t) { result = e4; });
          });
        });
      });
  io.run();
  if (result) {
    return base::Unavailable(where + ": " + stage + " failed: " + result.message());
  }
  beast::get_lowest_layer(stream).socket().close(ec);
  return Reply{response.result_int(), std::move(response.body())};
}

base::Error KesClient::ErrorFor(std::string_view api, const Reply& reply, std::string_view where) {
  Json j = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  std::string message = j.is_object() && j.contains("message") && j["message"].is_string()
                            ? j["message"].get<std::string>()
                            : std::string("HTTP ") + std::to_string(reply.status);
  const std::string text = std::string(where) + ": " + std::string(api) + ": " + message;
  switch (reply.status) {
    case 403:
      return base::PermissionDenied(text);
    case 404:
      return base::NotFound(text);
    case 409:
      return base::AlreadyExists(text);
    case 400:
      if (message.find("already exists") != std::string::npos) return base::AlreadyExists(text);
      if (api == "decrypt" || api == "rewrap") return base::DataLoss(text);
      return base::InvalidArgument(text);
    default:
      if (reply.status >= 500) return base::Unavailable(text);
      return base::Internal(text);
  }
}

base::Result<std::string> KesClient::CallJson(std::string_view api, std::string_view method,
                                              std::string_view path, std::string_view body) {
  COFFER_ASSIGN_OR_RETURN(Reply reply, Call(method, path, body));
  if (reply.status != 200) {
    return ErrorFor(api, reply, "key service " + impl_->host + ":" + impl_->port);
  }
  return std::move(reply.body);
}

base::Status KesClient::CreateKey(std::string_view name) {
  COFFER_ASSIGN_OR_RETURN(auto body,
                          CallJson("create", "POST", "/v1/key/create/" + std::string(name), ""));
  return base::Ok();
}

base::Status KesClient::DeleteKey(std::string_view name) {
  COFFER_ASSIGN_OR_RETURN(auto body,
                          CallJson("delete", "DELETE", "/v1/key/delete/" + std::string(name), ""));
  return base::Ok();
}

base::Result<std::vector<env::KeyInfo>> KesClient::ListKeys(std::string_view pattern) {
  COFFER_ASSIGN_OR_RETURN(std::string body,
                          CallJson("list", "GET", "/v1/key/list/" + std::string(pattern), ""));
  std::vector<env::KeyInfo> out;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    Json j = Json::parse(std::string_view(body).substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) continue;
    env::KeyInfo info{j["name"].get<std::string>(), 1};
    if (j.contains("latest_version") && j["latest_version"].is_number_unsigned()) {
      info.latest_version = j["latest_version"].get<std::uint32_t>();
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const env::KeyInfo& a, const env::KeyInfo& b) { return a.name < b.name; });
  return out;
}

base::Result<env::DataKey> KesClient::GenerateKey(std::string_view name, std::string_view context) {
  COFFER_ASSIGN_OR_RETURN(std::string body,
                          CallJson("generate", "POST", "/v1/key/generate/" + std::string(name),
                                   Body({{"context", context}})));
  COFFER_ASSIGN_OR_RETURN(std::string plaintext, Field(body, "plaintext"));
  COFFER_ASSIGN_OR_RETURN(std::string ciphertext, Field(body, "ciphertext"));
  return env::DataKey{base::Secret(std::move(plaintext)), std::move(ciphertext)};
}

base::Result<base::Secret> KesClient::Decrypt(std::string_view name, std::string_view ciphertext,
                                              std::string_view context) {
  COFFER_ASSIGN_OR_RETURN(std::string body,
                          CallJson("decrypt", "POST", "/v1/key/decrypt/" + std::string(name),
                                   Body({{"ciphertext", ciphertext}, {"context", context}})));
  COFFER_ASSIGN_OR_RETURN(std::string plaintext, Field(body, "plaintext"));
  return base::Secret(std::move(plaintext));
}

base::Result<std::string> KesClient::Encrypt(std::string_view name, std::string_view plaintext,
                                             std::string_view context) {
  COFFER_ASSIGN_OR_RETURN(std::string body,
                          CallJson("encrypt", "POST", "/v1/key/encrypt/" + std::string(name),
                                   Body({{"plaintext", plaintext}, {"context", context}})));
  return Field(body, "ciphertext");
}

base::Result<env::KeyInfo> KesClient::RotateKey(std::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::string body,
                          CallJson("rotate", "POST", "/v1/key/rotate/" + std::string(name), ""));
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("latest_version") || !j["latest_version"].is_number()) {
    return base::Unavailable("key service answered rotate without latest_version");
  }
  return env::KeyInfo{std::string(name), j["latest_version"].get<std::uint32_t>()};
}

base::Result<std::string> KesClient::Rewrap(std::string_view name, std::string_view ciphertext,
                                            std::string_view context) {
  COFFER_ASSIGN_OR_RETURN(std::string body,
                          CallJson("rewrap", "POST", "/v1/key/rewrap/" + std::string(name),
                                   Body({{"ciphertext", ciphertext}, {"context", context}})));
  return Field(body, "ciphertext");
}

base::Result<env::KeyServiceStatus> KesClient::Status() {
  COFFER_ASSIGN_OR_RETURN(std::string body, CallJson("status", "GET", "/v1/status", ""));
  Json j = Json::parse(body, nullptr, false);
  env::KeyServiceStatus status;
  status.endpoint = "https://" + impl_->host + ":" + impl_->port;
  if (j.is_object() && j.contains("version") && j["version"].is_string()) {
    status.version = j["version"].get<std::string>();
  }
  // KES reports its backend as "kms": {"state": "reachable"}; no state means up.
  status.ready = true;
  if (j.is_object() && j.contains("kms") && j["kms"].is_object() && j["kms"].contains("state") &&
      j["kms"]["state"].is_string()) {
    status.ready = j["kms"]["state"].get<std::string>() == "reachable";
  }
  return status;
}

}  // namespace coffer::posix
