#pragma once
// One connection of the HTTP shell, over plain TCP or TLS (Stream is
// beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>). Private to
// coffer::server: included by http_server.cc only.

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <span>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "coffer/server/request_head.h"

#include "server_impl.h"

namespace coffer::server {

namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

namespace detail {

// Runs one asynchronous operation on a session's strand and blocks the
// calling worker thread until it completes. All socket I/O stays async on the
// strand (so stream timeouts apply); only the worker waits.
class Awaiter {
 public:
  using Done = std::function<void(beast::error_code, std::size_t)>;

  template <typename Executor, typename Start>
  beast::error_code Run(const Executor& strand, net::io_context& io, Start&& start,
                        std::size_t* transferred = nullptr) {
    {
      std::lock_guard lock(mu_);
      done_ = false;
    }
    net::post(strand, [this, start = std::forward<Start>(start)]() mutable {
      start(Done([this](beast::error_code ec, std::size_t n) {
        std::lock_guard lock(mu_);
        ec_ = ec;
        n_ = n;
        done_ = true;
        cv_.notify_one();
      }));
    });
    std::unique_lock lock(mu_);
    // The io_context may stop (drain timeout) with this operation pending:
    // then nobody will complete it, and waiting on would hang the shutdown.
    while (!cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return done_; })) {
      if (io.stopped()) return net::error::operation_aborted;
    }
    if (transferred != nullptr) *transferred = n_;
    return ec_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  beast::error_code ec_;
  std::size_t n_ = 0;
};

inline base::Error BodyError(beast::error_code ec) {
  if (ec == beast::error::timeout) return base::DeadlineExceeded("client stalled sending the body");
  if (ec == http::error::body_limit) return base::ResourceExhausted("request body over the limit");
  if (ec == http::error::partial_message || ec == http::error::end_of_stream ||
      ec == net::error::eof) {
    return base::InvalidArgument("request body ended before its announced length");
  }
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category()) {
    return base::InvalidArgument("bad body framing: " + ec.message());
  }
  return base::Unavailable("connection lost: " + ec.message());
}

// The KES identity of a certificate: lower-case hex SHA-256 of its DER
// SubjectPublicKeyInfo (as `kes identity of`). Empty when it cannot be made.
inline std::string SpkiSha256Hex(X509* cert, OSSL_LIB_CTX* libctx) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return {};
  unsigned char md[32];
  std::size_t md_len = 0;
  const int ok =
      EVP_Q_digest(libctx, "SHA256", nullptr, der, static_cast<std::size_t>(len), md, &md_len);
  OPENSSL_free(der);
  if (ok != 1 || md_len != sizeof(md)) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace detail

using detail::Awaiter;
using detail::BodyError;

template <class Stream>
class BasicSession final : public std::enable_shared_from_this<BasicSession<Stream>>,
                           public SessionHandle,
                           public core::BodyReader,
                           public core::ResponseWriter {
 public:
  // `tls_ctx` is null for plain TCP; for TLS the session keeps it (and its
  // SNI generation) alive for the connection's lifetime.
  BasicSession(std::shared_ptr<HttpServer::Impl> server, std::uint64_t id,
               std::shared_ptr<ssl::context> tls_ctx, tcp::socket socket)
      : server_(std::move(server)),
        tls_ctx_(std::move(tls_ctx)),
        stream_(MakeStream(std::move(socket), tls_ctx_.get())),
        id_(id) {
    beast::error_code ec;
    const auto ep = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      const std::string ip = ep.address().to_string();
      remote_ = ep.address().is_v6() ? "[" + ip + "]" : ip;
      remote_ += ":" + std::to_string(ep.port());
    }
  }

  ~BasicSession() override {
    server_->open.fetch_sub(1);
    server_->Unregister(id_);
  }

  // Starts the connection: the TLS handshake first when Stream is TLS.
  void Begin() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHead(/*first=*/true);
      }
    });
  }

  // Called on shutdown: an idle connection is closed now; a busy one closes
  // after its current response.
  void CloseIfIdle() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

  // core::BodyReader, called on a worker thread.
  base::Result<std::size_t> Read(std::span<std::byte> out) override;
  std::optional<std::uint64_t> content_length() const override { return content_length_; }

  // core::ResponseWriter, called on a worker thread.
  base::Status Start(unsigned status, const core::HeaderList& headers,
                     std::optional<std::uint64_t> content_length) override;
  base::Status Write(std::span<const std::byte> data) override;
  base::Status Finish() override;
  bool started() const override { return started_; }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static Stream MakeStream(tcp::socket socket, ssl::context* ctx) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *ctx);
    } else {
      (void)ctx;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  void Handshake();
  void ReadPeerCertificate();
  void ReadHead(bool first);
  void OnHead(beast::error_code ec);
  void RunHandler(core::HttpRequest request);
  void AfterHandler(const std::string& request_id, const std::string& method, unsigned status);
  void WriteSimpleError(unsigned status, std::string_view code, std::string_view message);
  base::Status SendContinue();
  void Close();
  void LingerThenClose();
  void DrainSome();

  std::shared_ptr<HttpServer::Impl> server_;
  std::shared_ptr<ssl::context> tls_ctx_;  // INVARIANT: declared before stream_.
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::string remote_;
  std::uint64_t id_;
  bool busy_ = false;
  bool closing_ = false;
  std::size_t linger_left_ = 0;  // Bytes still to discard before closing.
  // The verified client certificate of a TLS connection, if any.
  std::string peer_subject_;
  std::string peer_cn_;
  std::string peer_spki_sha256_;  // Hex SHA-256 of its SubjectPublicKeyInfo (KES identity).

  // Per request, touched by the worker while the strand is idle.
  Awaiter awaiter_;
  std::optional<std::uint64_t> content_length_;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool keep_alive_ = false;
  bool head_request_ = false;
  bool started_ = false;
  bool finished_ = false;
  unsigned status_ = 0;
  std::string request_id_;
  std::optional<http::response<http::buffer_body>> response_;
  std::optional<http::response_serializer<http::buffer_body>> serializer_;
};

template <class Stream>
void BasicSession<Stream>::Handshake() {
  if constexpr (kTls) {
    Lowest().expires_after(server_->options.header_timeout);
    stream_.async_handshake(
        ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
          if (ec) {
            // Refused versions, ciphers and client certificates end here.
            self->server_->env.log().Debug("tls", "handshake failed",
                                           {{"remote", self->remote_}, {"error", ec.message()}});
            return self->Close();
          }
          self->ReadPeerCertificate();
          self->ReadHead(/*first=*/true);
        });
  }
}

template <class Stream>
void BasicSession<Stream>::ReadPeerCertificate() {
  if constexpr (kTls) {
    X509* cert = SSL_get0_peer_certificate(stream_.native_handle());
    if (cert == nullptr || SSL_get_verify_result(stream_.native_handle()) != X509_V_OK) return;
    X509_NAME* subject = X509_get_subject_name(cert);
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, subject, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    peer_subject_.assign(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    char cn[256];
    const int n = X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof(cn));
    if (n > 0) peer_cn_.assign(cn, static_cast<std::size_t>(n));
    peer_spki_sha256_ = detail::SpkiSha256Hex(cert, server_->env.random().LibCtx());
  }
}

template <class Stream>
void BasicSession<Stream>::ReadHead(bool first) {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_->options.header_limit_bytes));
  parser_->body_limit(server_->options.body_limit_bytes);
  // The first request must arrive within the header timeout (slowloris);
  // later ones may wait for the idle timeout on a keep-alive connection.
  Lowest().expires_after(first ? server_->options.header_timeout : server_->options.idle_timeout);
  busy_ = false;
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnHead(ec); });
}

template <class Stream>
void BasicSession<Stream>::OnHead(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == net::error::eof) {
    return Close();
  }
  busy_ = true;
  request_id_ = NewRequestId(server_->env.random());
  started_ = finished_ = continue_sent_ = false;
  status_ = 0;
  if (ec == http::error::header_limit) {
    return WriteSimpleError(400, "MetadataTooLarge", "Your request headers are too large.");
  }
  if (ec) {
    return WriteSimpleError(400, "BadRequest", "The request could not be parsed as HTTP/1.1.");
  }
  const auto& msg = parser_->get();
  if (auto code = RejectHead(msg, server_->options.max_header_count)) {
    return WriteSimpleError(400, *code, "The request headers are not acceptable.");
  }
  core::HttpRequest request;
  request.request_id = request_id_;
  request.remote_address = remote_;
  request.secure = kTls;
  request.client_cert_subject = peer_subject_;
  request.client_cert_cn = peer_cn_;
  request.client_cert_spki_sha256 = peer_spki_sha256_;
  ConvertHead(msg, request);
  content_length_.reset();
  if (auto len = parser_->content_length()) content_length_ = *len;
  expect_continue_ = beast::iequals(msg[http::field::expect], "100-continue");
  keep_alive_ = msg.keep_alive();
  head_request_ = msg.method() == http::verb::head;
  Lowest().expires_never();  // The worker sets a deadline on each operation.
  net::post(server_->workers,
            [self = this->shared_from_this(), request = std::move(request)]() mutable {
              self->RunHandler(std::move(request));
            });
}

template <class Stream>
void BasicSession<Stream>::RunHandler(core::HttpRequest request) {
  const std::string method = request.method;
  try {
    server_->handler.Serve(request, *this, *this);
  } catch (...) {
    // The last resort of STYLE §3: log, count, answer InternalError.
    server_->env.log().Log(env::LogLevel::kError, "http", "handler threw", {}, request_id_);
    if (!started_) {
      const std::string xml = ErrorXml(
          "InternalError", "We encountered an internal error. Please try again.", request_id_);
      if (Start(500, {{"content-type", "application/xml"}}, xml.size()).has_value() &&
          Write(std::as_bytes(std::span(xml.data(), xml.size()))).has_value()) {
        (void)Finish();
      }
    }
  }
  net::post(stream_.get_executor(), [self = this->shared_from_this(), method] {
    self->AfterHandler(self->request_id_, method, self->status_);
  });
}

template <class Stream>
void BasicSession<Stream>::AfterHandler(const std::string& request_id, const std::string& method,
                                        unsigned status) {
  env::Logger& log = server_->env.log();
  if (log.Enabled(env::LogLevel::kDebug)) {
    log.Log(env::LogLevel::kDebug, "http", "request",
            {{"method", method}, {"remote", remote_}, {"status", std::to_string(status)}},
            request_id);
  }
  // A response that never finished, or a body left unread, leaves the
  // connection in an unknown state: close it rather than guess.
  if (finished_ && !parser_->is_done()) return LingerThenClose();
  if (!finished_ || !keep_alive_ || server_->stopping) return Close();
  ReadHead(/*first=*/false);
}

template <class Stream>
base::Status BasicSession<Stream>::SendContinue() {
  continue_sent_ = true;
  auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
  const auto ec =
      awaiter_.Run(stream_.get_executor(), server_->io, [this, cont](Awaiter::Done done) {
        Lowest().expires_after(server_->options.idle_timeout);
        http::async_write(stream_, *cont, std::move(done));
      });
  if (ec) return base::Unavailable("connection lost: " + ec.message());
  return base::Ok();
}

template <class Stream>
base::Result<std::size_t> BasicSession<Stream>::Read(std::span<std::byte> out) {
  if (out.empty()) return std::size_t{0};
  if (expect_continue_ && !continue_sent_ && !parser_->is_done()) {
    COFFER_RETURN_IF_ERROR(SendContinue());
  }
  while (!parser_->is_done()) {
    std::size_t left = out.size();
    const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [&](Awaiter::Done done) {
      parser_->get().body().data = out.data();
      parser_->get().body().size = out.size();
      Lowest().expires_after(server_->options.idle_timeout);
      http::async_read_some(
          stream_, buffer_, *parser_,
          [&left, this, done = std::move(done)](beast::error_code e, std::size_t n) {
            left = parser_->get().body().size;
            done(e, n);
          });
    });
    if (ec && ec != http::error::need_buffer) return BodyError(ec);
    const std::size_t got = out.size() - left;
    if (got > 0) return got;
  }
  return std::size_t{0};
}

template <class Stream>
base::Status BasicSession<Stream>::Start(unsigned status, const core::HeaderList& headers,
                                         std::optional<std::uint64_t> content_length) {
  if (started_) return base::FailedPrecondition("response already started");
  started_ = true;
  status_ = status;
  response_.emplace();
  auto& res = *response_;
  res.version(11);
  res.result(static_cast<http::status>(status));
  res.set(http::field::server, "Coffer");
  res.set("x-amz-request-id", request_id_);
  for (const auto& [k, v] : headers) res.set(k, v);
  // A body the core did not read keeps the connection from being reused:
  // say so (Connection: close), so the client does not send its next request
  // into a connection that is about to close.
  res.keep_alive(keep_alive_ && parser_->is_done() && !server_->stopping);
  if (content_length) {
    res.content_length(*content_length);
  } else if (!head_request_) {
    res.chunked(true);
  }
  res.body().data = nullptr;
  res.body().more = true;
  serializer_.emplace(res);
  const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [this](Awaiter::Done done) {
    Lowest().expires_after(server_->options.idle_timeout);
    http::async_write_header(stream_, *serializer_, std::move(done));
  });
  if (ec) return base::Unavailable("connection lost: " + ec.message());
  if (head_request_) finished_ = true;  // HEAD: the head is the whole response.
  return base::Ok();
}

template <class Stream>
base::Status BasicSession<Stream>::Write(std::span<const std::byte> data) {
  if (!started_) return base::FailedPrecondition("response not started");
  if (head_request_ || data.empty()) return base::Ok();
  response_->body().data = const_cast<std::byte*>(data.data());  // Beast's API is non-const.
  response_->body().size = data.size();
  response_->body().more = true;
  const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [this](Awaiter::Done done) {
    Lowest().expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *serializer_, std::move(done));
  });
  if (ec && ec != http::error::need_buffer) {
    return base::Unavailable("connection lost: " + ec.message());
  }
  return base::Ok();
}

template <class Stream>
base::Status BasicSession<Stream>::Finish() {
  if (!started_) return base::FailedPrecondition("response not started");
  if (head_request_) return base::Ok();
  response_->body().data = nullptr;
  response_->body().size = 0;
  response_->body().more = false;
  const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [this](Awaiter::Done done) {
    Lowest().expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *serializer_, std::move(done));
  });
  if (ec && ec != http::error::need_buffer) {
    return base::Unavailable("connection lost: " + ec.message());
  }
  finished_ = true;
  return base::Ok();
}

// Answers a framing error on the strand, then closes: after a bad head the
// byte stream cannot be trusted.
template <class Stream>
void BasicSession<Stream>::WriteSimpleError(unsigned status, std::string_view code,
                                            std::string_view message) {
  auto res = std::make_shared<http::response<http::string_body>>();
  res->version(11);
  res->result(static_cast<http::status>(status));
  res->set(http::field::server, "Coffer");
  res->set("x-amz-request-id", request_id_);
  res->set(http::field::content_type, "application/xml");
  res->keep_alive(false);
  res->body() = ErrorXml(code, message, request_id_);
  res->prepare_payload();
  Lowest().expires_after(server_->options.idle_timeout);
  http::async_write(
      stream_, *res,
      [self = this->shared_from_this(), res](beast::error_code, std::size_t) { self->Close(); });
}

// The response went out but the client may still be sending a body the core
// did not read (an early error, often after Expect: 100-continue). Closing
// now would make the kernel answer the unread bytes with a RST, which can
// destroy the response before the client reads it. So: stop sending, read and
// discard for a bounded time and size, then close.
template <class Stream>
void BasicSession<Stream>::LingerThenClose() {
  busy_ = false;
  closing_ = true;  // TLS: no close_notify exchange after an abandoned body.
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  linger_left_ = std::size_t{4} << 20;
  Lowest().expires_after(std::chrono::seconds(2));
  DrainSome();
}

template <class Stream>
void BasicSession<Stream>::DrainSome() {
  auto buffer = std::make_shared<std::array<char, 16 * 1024>>();
  Lowest().async_read_some(net::buffer(*buffer), [self = this->shared_from_this(), buffer](
                                                     beast::error_code ec, std::size_t n) {
    if (ec || n >= self->linger_left_) return self->Close();
    self->linger_left_ -= n;
    self->DrainSome();
  });
}

template <class Stream>
void BasicSession<Stream>::Close() {
  busy_ = false;
  if constexpr (kTls) {
    if (!closing_) {
      // Best effort close_notify, bounded in time; then the socket goes.
      closing_ = true;
      Lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->Lowest().close();
      });
      return;
    }
  }
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  Lowest().close();
}

}  // namespace coffer::server
