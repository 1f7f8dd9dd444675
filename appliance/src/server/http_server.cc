// Beast HTTP/1.1 shell. One Session per connection, each on its own strand.
// The session reads a request head and body within the configured limits,
// hands a core::HttpRequest to the core, and writes the answer. It never
// interprets the request beyond framing.

#include "coffer/server/http_server.h"

#include <atomic>
#include <map>
#include <mutex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace coffer::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

std::string NewRequestId(base::Random& random) {
  // 16 upper-case hex digits, the shape MinIO and S3 clients expect.
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::uint64_t v = random.Uniform(0, ~std::uint64_t{0});
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
  return id;
}

std::string ErrorXml(std::string_view code, std::string_view message, std::string_view request_id) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  body += code;
  body += "</Code><Message>";
  body += message;
  body += "</Message><RequestId>";
  body += request_id;
  body += "</RequestId></Error>";
  return body;
}

}  // namespace

class Session;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io_context, env::Env& environment, core::RequestHandler& h,
       ServerOptions opts)
      : io(io_context), env(environment), handler(h), options(std::move(opts)), acceptor(io) {}

  void Accept();
  void Register(std::uint64_t id, const std::shared_ptr<Session>& s);
  void Unregister(std::uint64_t id);

  net::io_context& io;
  env::Env& env;
  core::RequestHandler& handler;
  ServerOptions options;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
  std::mutex mu;
  std::uint64_t next_session = 1;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server, tcp::socket socket, std::uint64_t id)
      : server_(std::move(server)), stream_(std::move(socket)), id_(id) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      const std::string ip = ep.address().to_string();
      remote_ = ep.address().is_v6() ? "[" + ip + "]" : ip;
      remote_ += ":" + std::to_string(ep.port());
    }
  }

  ~Session() {
    server_->open.fetch_sub(1);
    server_->Unregister(id_);
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->ReadRequest(/*first=*/true); });
  }

  // Called on shutdown: an idle connection is closed now; a busy one closes
  // after its current response.
  void CloseIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void ReadRequest(bool first) {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.header_limit_bytes));
    parser_->body_limit(server_->options.body_limit_bytes);
    // The first request must arrive within the header timeout (slowloris);
    // later ones may wait for the idle timeout on a keep-alive connection.
    stream_.expires_after(first ? server_->options.header_timeout : server_->options.idle_timeout);
    busy_ = false;
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return Close();
    }
    busy_ = true;
    core::HttpRequest request;
    request.request_id = NewRequestId(server_->env.random());
    request.remote_address = remote_;
    if (ec) return WriteFramingError(ec, request.request_id);

    auto& msg = parser_->get();
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    core::HttpResponse response = server_->handler.Handle(request);
    env::Logger& log = server_->env.log();
    if (log.Enabled(env::LogLevel::kDebug)) {
      // SECURITY: the target may carry a presigned signature; log the path only.
      const std::string_view path =
          std::string_view(request.target).substr(0, std::string_view(request.target).find('?'));
      log.Log(env::LogLevel::kDebug, "http", "request",
              {{"method", request.method},
               {"path", path},
               {"remote", request.remote_address},
               {"status", std::to_string(response.status)}},
              request.request_id);
    }
    Write(std::move(response), request.request_id, msg.keep_alive(), request.method == "HEAD");
  }

  void WriteFramingError(beast::error_code ec, const std::string& request_id) {
    core::HttpResponse response;
    response.headers.emplace_back("content-type", "application/xml");
    if (ec == http::error::header_limit) {
      response.status = 400;
      response.body =
          ErrorXml("MetadataTooLarge", "Your request headers are too large.", request_id);
    } else if (ec == http::error::body_limit) {
      response.status = 413;
      response.body = ErrorXml("EntityTooLarge", "Your request body is too large.", request_id);
    } else {
      response.status = 400;
      response.body =
          ErrorXml("BadRequest", "The request could not be parsed as HTTP/1.1.", request_id);
    }
    Write(std::move(response), request_id, /*keep_alive=*/false, /*head=*/false);
  }

  void Write(core::HttpResponse response, const std::string& request_id, bool keep_alive,
             bool head) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(response.status));
    res->set(http::field::server, "Coffer");
    res->set("x-amz-request-id", request_id);
    for (auto& [k, v] : response.headers) res->set(k, v);
    const bool close = !keep_alive || server_->stopping.load();
    res->keep_alive(!close);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays that of the GET.
    stream_.expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, close](beast::error_code ec, std::size_t) {
                        if (ec || close) return self->Close();
                        self->ReadRequest(false);
                      });
  }

  void Close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  std::shared_ptr<HttpServer::Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  std::uint64_t id_;
  bool busy_ = false;
};

void HttpServer::Impl::Register(std::uint64_t id, const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu);
  sessions.emplace(id, s);
}

void HttpServer::Impl::Unregister(std::uint64_t id) {
  std::lock_guard lock(mu);
  sessions.erase(id);
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(
      net::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == net::error::operation_aborted || self->stopping) return;
          self->env.log().Warn("server", "accept failed", {{"error", ec.message()}});
          return self->Accept();
        }
        if (self->stopping) return;
        if (self->open.load() >= self->options.max_connections) {
          // Over the cap: refuse at once rather than queue (a flood must not
          // exhaust descriptors or memory).
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          self->open.fetch_add(1);
          std::uint64_t id;
          {
            std::lock_guard lock(self->mu);
            id = self->next_session++;
          }
          auto session = std::make_shared<Session>(self, std::move(socket), id);
          self->Register(id, session);
          session->Start();
        }
        self->Accept();
      });
}

base::Result<std::unique_ptr<HttpServer>> HttpServer::Start(net::io_context& io, env::Env& env,
                                                            core::RequestHandler& handler,
                                                            const ServerOptions& options) {
  auto impl = std::make_shared<Impl>(io, env, handler, options);
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return base::InvalidArgument("bad listen address: " + options.address);
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return base::Unavailable("cannot listen on " + options.address + ":" +
                             std::to_string(options.port) + ": " + ec.message());
  }
  impl->Accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  beast::error_code ec;
  impl_->stopping = true;
  impl_->acceptor.close(ec);
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::size_t HttpServer::connections() const { return impl_->open.load(); }

namespace {

// Polls until every connection is gone or the drain timeout passes, then
// calls `done` once.
struct Drain : std::enable_shared_from_this<Drain> {
  Drain(std::shared_ptr<HttpServer::Impl> server, std::function<void()> on_done)
      : impl(std::move(server)),
        timer(impl->io),
        deadline(impl->env.clock().Monotonic() + impl->options.drain_timeout),
        done(std::move(on_done)) {}

  void Poll() {
    if (impl->open.load() == 0 || impl->env.clock().Monotonic() >= deadline) {
      auto finish = std::move(done);
      finish();
      return;
    }
    timer.expires_after(std::chrono::milliseconds(20));
    timer.async_wait([self = shared_from_this()](beast::error_code) { self->Poll(); });
  }

  std::shared_ptr<HttpServer::Impl> impl;
  net::steady_timer timer;
  base::MonoTime deadline;
  std::function<void()> done;
};

}  // namespace

void HttpServer::Shutdown(std::function<void()> done) {
  auto impl = impl_;
  net::dispatch(impl->acceptor.get_executor(), [impl, done = std::move(done)]() mutable {
    impl->stopping = true;
    beast::error_code ec;
    impl->acceptor.close(ec);
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(impl->mu);
      for (auto& [id, weak] : impl->sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
    live.clear();
    auto drain = std::make_shared<Drain>(impl, std::move(done));
    drain->Poll();
  });
}

}  // namespace coffer::server
