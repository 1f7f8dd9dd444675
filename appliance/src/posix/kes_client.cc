#include "coffer/posix/kes_client.h"

#include <algorithm>
#include <mutex>
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

// One persistent TLS connection: its own io_context, so a call drives it to
// completion on the calling thread with one deadline. Used by one call at a
// time (it is either in the pool or held by a call).
struct KesConnection {
  net::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  explicit KesConnection(ssl::context& tls) : stream(io, tls) {}
};

// Where an exchange failed, for the error message and the retry decision.
struct Exchange {
  std::string stage;
  beast::error_code error;
  bool wrote = false;            // The request went out whole.
  std::size_t answer_bytes = 0;  // Bytes of the answer read.
};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct KesClient::Impl {
  KesClientOptions options;
  std::string host;
  std::string port;
  ssl::context tls{ssl::context::tls_client};

  std::mutex mu;
  std::vector<std::unique_ptr<KesConnection>> idle;  // Guarded by mu; most recent last.
  SSL_SESSION* session = nullptr;                    // Guarded by mu; resumes handshakes.
  std::uint64_t handshakes = 0;                      // Guarded by mu.
  std::uint64_t resumed = 0;                         // Guarded by mu.

  ~Impl() { SSL_SESSION_free(session); }

  std::unique_ptr<KesConnection> TakeIdle() {
    std::lock_guard lock(mu);
    if (idle.empty()) return nullptr;
    auto conn = std::move(idle.back());
    idle.pop_back();
    return conn;
  }

  void DropIdle() {
    std::vector<std::unique_ptr<KesConnection>> dropped;
    std::lock_guard lock(mu);
    dropped.swap(idle);
  }

  void GiveBack(std::unique_ptr<KesConnection> conn) {
    std::lock_guard lock(mu);
    if (idle.size() < options.max_idle_connections) idle.push_back(std::move(conn));
  }

  // Remembers the connection's session for the next handshake (TLS 1.3 sends
  // its tickets after the handshake, so this runs after a whole exchange).
  void KeepSession(KesConnection& conn) {
    SSL* ssl = conn.stream.native_handle();
    // A copy: OpenSSL marks a connection's own session not resumable when
    // the connection is freed without a TLS shutdown, as pooled ones are.
    SSL_SESSION* held = SSL_get1_session(ssl);
    SSL_SESSION* fresh = held != nullptr ? SSL_SESSION_dup(held) : nullptr;
    SSL_SESSION_free(held);
    std::lock_guard lock(mu);
    ++handshakes;
    if (SSL_session_reused(ssl) == 1) ++resumed;
    if (fresh == nullptr || SSL_SESSION_is_resumable(fresh) != 1) {
      SSL_SESSION_free(fresh);
      return;
    }
    SSL_SESSION_free(session);
    session = fresh;
  }

  void OfferSession(KesConnection& conn) {
    std::lock_guard lock(mu);
    if (session != nullptr) SSL_set_session(conn.stream.native_handle(), session);
  }

  // Sends `request` and reads the answer on an open connection.
  void RunExchange(KesConnection& conn, const Request& request, Response& response, Exchange& x);
  // Connects, handshakes and runs the exchange on a new connection; errors
  // after resolving land in `x`.
  base::Status Connect(KesConnection& conn, const Request& request, Response& response, Exchange& x,
                       const std::string& where);
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
  // Sessions are kept by hand (Impl::KeepSession), one per client.
  SSL_CTX_set_session_cache_mode(impl->tls.native_handle(), SSL_SESS_CACHE_OFF);
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
  Request request(http::string_to_verb(std::string(method)), std::string(path), 11);
  request.set(http::field::host, impl_->host);
  request.set(http::field::content_type, "application/json");
  request.keep_alive(true);
  request.body() = std::string(body);
  request.prepare_payload();

  // A pooled connection the server may have closed while it sat idle: if it
  // fails before any answer arrived, the call goes again on a new connection
  // (the server never saw a request it did not answer on a closed socket),
  // and the other idle ones go too (a restarted server closed them all).
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<KesConnection> conn = attempt == 0 ? impl_->TakeIdle() : nullptr;
    const bool reused = conn != nullptr;
    if (!reused) conn = std::make_unique<KesConnection>(impl_->tls);
    Response response;
    Exchange x;
    if (reused) {
      impl_->RunExchange(*conn, request, response, x);
    } else {
      COFFER_RETURN_IF_ERROR(impl_->Connect(*conn, request, response, x, where));
    }
    if (x.error) {
      const bool stale = reused && x.answer_bytes == 0 && conn->buffer.size() == 0;
      if (stale && attempt == 0) {
        impl_->DropIdle();
        continue;
      }
      return base::Unavailable(where + ": " + x.stage + " failed: " + x.error.message());
    }
    if (!reused) impl_->KeepSession(*conn);
    Reply reply{response.result_int(), std::move(response.body())};
    if (response.keep_alive()) {
      impl_->GiveBack(std::move(conn));
    } else {
      boost::system::error_code ec;
      beast::get_lowest_layer(conn->stream).socket().close(ec);
    }
    return reply;
  }
  return base::Unavailable(where + ": the connection closed twice");
}

void KesClient::Impl::RunExchange(KesConnection& conn, const Request& request, Response& response,
                                  Exchange& x) {
  beast::get_lowest_layer(conn.stream).expires_after(options.timeout);
  x.stage = "request";
  http::async_write(conn.stream, request, [&](beast::error_code e, std::size_t) {
    if ((x.error = e)) return;
    x.wrote = true;
    x.stage = "response";
    http::async_read(conn.stream, conn.buffer, response, [&](beast::error_code e2, std::size_t n) {
      x.error = e2;
      x.answer_bytes = n;
    });
  });
  conn.io.restart();
  conn.io.run();
}

base::Status KesClient::Impl::Connect(KesConnection& conn, const Request& request,
                                      Response& response, Exchange& x, const std::string& where) {
  boost::system::error_code ec;
  // SECURITY: the server's certificate must name the host (or IP) we dialled.
  SSL* ssl = conn.stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  (void)net::ip::make_address(host, ec);
  if (ec) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  }
  OfferSession(conn);
  net::ip::tcp::resolver resolver(conn.io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return base::Unavailable(where + ": cannot resolve: " + ec.message());
  // One deadline for connect and handshake, another for the exchange.
  beast::get_lowest_layer(conn.stream).expires_after(options.timeout);
  x.stage = "connect";
  beast::get_lowest_layer(conn.stream)
      .async_connect(endpoints, [&](beast::error_code e, const net::ip::tcp::endpoint&) {
        if ((x.error = e)) return;
        x.stage = "TLS handshake";
        conn.stream.async_handshake(ssl::stream_base::client,
                                    [&](beast::error_code e2) { x.error = e2; });
      });
  conn.io.run();
  if (x.error) return base::Ok();
  RunExchange(conn, request, response, x);
  return base::Ok();
}

KesClient::PoolStats KesClient::pool_stats() const {
  std::lock_guard lock(impl_->mu);
  return PoolStats{impl_->idle.size(), impl_->handshakes, impl_->resumed};
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
