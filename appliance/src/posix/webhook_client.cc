// The webhook audit target: each batch is one HTTP/1.1 POST of JSON lines,
// over a kept-alive connection (plain or TLS), with a timeout on every step.
// A 2xx answer is a delivery; anything else (including a timeout) is an
// error the audit log retries with backoff. A kept-alive connection that the
// receiver closed while idle is retried at once on a fresh connection.
//
// SECURITY: the Bearer token goes only into the Authorization header; errors
// name the endpoint and the failing step, never the token.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "coffer/posix/audit_peers.h"

namespace coffer::posix {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

base::Result<Url> ParseUrl(const std::string& endpoint) {
  Url url;
  std::string_view rest = endpoint;
  if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return base::InvalidArgument("audit webhook endpoint must start with http:// or https://");
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return base::InvalidArgument("bad IPv6 host in endpoint");
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) url.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
  }
  if (url.host.empty()) return base::InvalidArgument("audit webhook endpoint without a host");
  if (url.port.empty()) url.port = url.tls ? "443" : "80";
  return url;
}

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(net::io_context& io, env::WebhookTargetConfig config, Url url,
         std::shared_ptr<ssl::context> tls)
      : io_(io),
        strand_(net::make_strand(io)),
        resolver_(strand_),
        config_(std::move(config)),
        url_(std::move(url)),
        tls_(std::move(tls)) {}

  void Deliver(env::AuditBatch batch, env::AuditSink::Done done) {
    net::post(strand_, [self = shared_from_this(), batch = std::move(batch),
                        done = std::move(done)]() mutable {
      self->Start(std::move(batch), std::move(done));
    });
  }

 private:
  void Start(env::AuditBatch batch, env::AuditSink::Done done) {
    request_ = {};
    request_.method(http::verb::post);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host);
    request_.set(http::field::content_type, "application/x-ndjson");
    request_.set(http::field::user_agent, "Coffer-audit");
    if (config_.auth_token.size() > 0) {
      request_.set(http::field::authorization,
                   "Bearer " + std::string(config_.auth_token.Reveal()));
    }
    std::string ids;
    for (const auto& id : batch.request_ids) {
      if (!ids.empty()) ids += ',';
      ids += id;
    }
    // The request IDs are the idempotency keys; each entry's body has its own too.
    request_.set("Idempotency-Key", ids);
    request_.set("X-Coffer-Entries", std::to_string(batch.request_ids.size()));
    request_.body() = std::move(batch.body);
    request_.prepare_payload();
    done_ = std::move(done);
    retried_ = false;
    Send();
  }

  void Send() {
    const bool reused = connected_;
    reused_ = reused;
    if (!connected_) return Connect();
    Write();
  }

  beast::tcp_stream& Lowest() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_stream_;
  }

  void Connect() {
    Close();
    if (tls_) {
      tls_stream_.emplace(strand_, *tls_);
      if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str())) {
        return Fail("cannot set SNI");
      }
      tls_stream_->set_verify_mode(ssl::verify_peer);
      tls_stream_->set_verify_callback(ssl::host_name_verification(url_.host));
    } else {
      plain_stream_.emplace(strand_);
    }
    Lowest().expires_after(config_.timeout);
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->Fail("resolve: " + ec.message());
          self->Lowest().expires_after(self->config_.timeout);
          self->Lowest().async_connect(
              results, [self](beast::error_code ec2, const tcp::endpoint&) {
                if (ec2) return self->Fail("connect: " + ec2.message());
                if (!self->tls_stream_) {
                  self->connected_ = true;
                  return self->Write();
                }
                self->Lowest().expires_after(self->config_.timeout);
                self->tls_stream_->async_handshake(
                    ssl::stream_base::client, [self](beast::error_code ec3) {
                      if (ec3) return self->Fail("TLS handshake: " + ec3.message());
                      self->connected_ = true;
                      self->Write();
                    });
              });
        });
  }

  template <class Stream>
  void WriteOn(Stream& stream) {
    Lowest().expires_after(config_.timeout);
    http::async_write(stream, request_,
                      [self = shared_from_this(), &stream](beast::error_code ec, std::size_t) {
                        if (ec) return self->Broken("write: " + ec.message());
                        self->response_ = {};
                        self->buffer_.clear();
                        self->Lowest().expires_after(self->config_.timeout);
                        http::async_read(stream, self->buffer_, self->response_,
                                         [self](beast::error_code ec2, std::size_t) {
                                           if (ec2) return self->Broken("read: " + ec2.message());
                                           self->Answered();
                                         });
                      });
  }

  void Write() {
    if (tls_stream_) return WriteOn(*tls_stream_);
    WriteOn(*plain_stream_);
  }

  // A kept-alive connection may have been closed by the receiver while idle:
  // retry once on a fresh one before reporting failure.
  void Broken(const std::string& why) {
    Close();
    if (reused_ && !retried_) {
      retried_ = true;
      reused_ = false;
      return Connect();
    }
    Fail(why);
  }

  void Answered() {
    const unsigned status = response_.result_int();
    if (!response_.keep_alive()) Close();
    if (status >= 200 && status < 300) return Finish(base::Ok());
    Finish(
        base::Unavailable("audit webhook " + config_.name + " answered " + std::to_string(status)));
  }

  void Fail(const std::string& why) {
    Close();
    Finish(base::Unavailable("audit webhook " + config_.name + ": " + why));
  }

  void Finish(base::Status status) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(status));
  }

  void Close() {
    connected_ = false;
    beast::error_code ignored;
    if (tls_stream_) {
      beast::get_lowest_layer(*tls_stream_).socket().close(ignored);
      tls_stream_.reset();
    }
    if (plain_stream_) {
      plain_stream_->socket().close(ignored);
      plain_stream_.reset();
    }
  }

  net::io_context& io_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  env::WebhookTargetConfig config_;
  Url url_;
  std::shared_ptr<ssl::context> tls_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  std::optional<beast::tcp_stream> plain_stream_;
  bool connected_ = false;
  bool reused_ = false;
  bool retried_ = false;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
  env::AuditSink::Done done_;
};

class WebhookSink final : public env::AuditSink {
 public:
  explicit WebhookSink(std::shared_ptr<Client> client) : client_(std::move(client)) {}
  void Deliver(env::AuditBatch batch, Done done) override {
    client_->Deliver(std::move(batch), std::move(done));
  }

 private:
  std::shared_ptr<Client> client_;
};

base::Result<std::shared_ptr<ssl::context>> MakeTlsContext(const env::WebhookTargetConfig& config) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (config.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(config.ca_file, ec);
  }
  if (ec)
    return base::FailedPrecondition("audit webhook CA file " + config.ca_file + ": " +
                                    ec.message());
  if (!config.client_cert_file.empty()) {
    ctx->use_certificate_chain_file(config.client_cert_file, ec);
    if (!ec) ctx->use_private_key_file(config.client_key_file, ssl::context::pem, ec);
    if (ec) {
      return base::FailedPrecondition("audit webhook client certificate " +
                                      config.client_cert_file + ": " + ec.message());
    }
  }
  return ctx;
}

}  // namespace

base::Result<std::unique_ptr<env::AuditSink>> PosixAuditPeers::OpenWebhook(
    const env::WebhookTargetConfig& config) {
  COFFER_ASSIGN_OR_RETURN(Url url, ParseUrl(config.endpoint));
  std::shared_ptr<ssl::context> tls;
  if (url.tls) {
    COFFER_ASSIGN_OR_RETURN(tls, MakeTlsContext(config));
  } else if (!config.client_cert_file.empty()) {
    return base::InvalidArgument("audit webhook " + config.name +
                                 ": a client certificate needs an https:// endpoint");
  }
  auto client = std::make_shared<Client>(io_, config, std::move(url), std::move(tls));
  return std::unique_ptr<env::AuditSink>(std::make_unique<WebhookSink>(std::move(client)));
}

}  // namespace coffer::posix
