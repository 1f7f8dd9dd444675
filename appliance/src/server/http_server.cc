// The listener: accepts connections (plain or TLS), enforces the connection
// cap, starts a session per connection, and drains on shutdown. Sessions
// (session.h) frame HTTP/1.1 and call the core.

#include "coffer/server/http_server.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "server_impl.h"
#include "session.h"

namespace coffer::server {

void HttpServer::Impl::Register(std::uint64_t id, const std::shared_ptr<SessionHandle>& s) {
  std::lock_guard lock(mu);
  sessions.emplace(id, s);
}

void HttpServer::Impl::Unregister(std::uint64_t id) {
  std::lock_guard lock(mu);
  sessions.erase(id);
}

void HttpServer::Impl::StartSession(tcp::socket socket) {
  open.fetch_add(1);
  std::uint64_t id;
  {
    std::lock_guard lock(mu);
    id = next_session++;
  }
  auto self = shared_from_this();
  if (options.tls) {
    // Each connection keeps the TLS generation it started with; a reload
    // affects new connections only.
    auto ctx = options.tls->Default();
    auto session = std::make_shared<BasicSession<beast::ssl_stream<beast::tcp_stream>>>(
        self, id, std::move(ctx), std::move(socket));
    Register(id, session);
    session->Begin();
  } else {
    auto session =
        std::make_shared<BasicSession<beast::tcp_stream>>(self, id, nullptr, std::move(socket));
    Register(id, session);
    session->Begin();
  }
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
          // Responses go out as a head then body pieces; without TCP_NODELAY
          // Nagle holds the second write for the client's delayed ACK (~40 ms
          // per small GET).
          beast::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          self->StartSession(std::move(socket));
        }
        self->Accept();
      });
}

base::Result<std::unique_ptr<HttpServer>> HttpServer::Start(net::io_context& io, env::Env& env,
                                                            core::Handler& handler,
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
  // INVARIANT: no worker outlives the server; a handler blocked on a stopped
  // io_context returns within 100 ms (see Awaiter).
  impl_->workers.join();
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
    std::vector<std::shared_ptr<SessionHandle>> live;
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
