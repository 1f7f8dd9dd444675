// Beast HTTP/1.1 shell. One Session per connection, each on its own strand.
// The session reads a request head and body within the configured limits,
// hands a core::HttpRequest to the core, and writes the answer. It never
// interprets the request beyond framing.

#include "coffer/server/http_server.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <span>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
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
  Impl(net::io_context& io_context, env::Env& environment, core::Handler& h, ServerOptions opts)
      : io(io_context),
        env(environment),
        handler(h),
        options(std::move(opts)),
        acceptor(io),
        workers(options.worker_threads) {}

  void Accept();
  void Register(std::uint64_t id, const std::shared_ptr<Session>& s);
  void Unregister(std::uint64_t id);

  net::io_context& io;
  env::Env& env;
  core::Handler& handler;
  ServerOptions options;
  tcp::acceptor acceptor;
  net::thread_pool workers;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
  std::mutex mu;
  std::uint64_t next_session = 1;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

namespace {

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

base::Error BodyError(beast::error_code ec) {
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

}  // namespace

class Session : public std::enable_shared_from_this<Session>,
                public core::BodyReader,
                public core::ResponseWriter {
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

  ~Session() override {
    server_->open.fetch_sub(1);
    server_->Unregister(id_);
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->ReadHead(/*first=*/true); });
  }

  // Called on shutdown: an idle connection is closed now; a busy one closes
  // after its current response.
  void CloseIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
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
  void ReadHead(bool first);
  void OnHead(beast::error_code ec);
  std::optional<std::string_view> RejectHead();
  void RunHandler(core::HttpRequest request);
  void AfterHandler(const std::string& request_id, const std::string& method, unsigned status);
  void WriteSimpleError(unsigned status, std::string_view code, std::string_view message);
  base::Status SendContinue();
  void Close();

  std::shared_ptr<HttpServer::Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::string remote_;
  std::uint64_t id_;
  bool busy_ = false;

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

void Session::ReadHead(bool first) {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_->options.header_limit_bytes));
  parser_->body_limit(server_->options.body_limit_bytes);
  // The first request must arrive within the header timeout (slowloris);
  // later ones may wait for the idle timeout on a keep-alive connection.
  stream_.expires_after(first ? server_->options.header_timeout : server_->options.idle_timeout);
  busy_ = false;
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHead(ec); });
}

// Returns an S3 error code when the head must be refused before the core sees it.
std::optional<std::string_view> Session::RejectHead() {
  const auto& msg = parser_->get();
  std::size_t count = 0;
  for (auto it = msg.begin(); it != msg.end(); ++it) ++count;
  if (count > server_->options.max_header_count) return "MetadataTooLarge";
  // SECURITY: both framings at once is the request-smuggling shape.
  if (msg.find(http::field::content_length) != msg.end() &&
      msg.find(http::field::transfer_encoding) != msg.end()) {
    return "BadRequest";
  }
  return std::nullopt;
}

void Session::OnHead(beast::error_code ec) {
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
  if (auto code = RejectHead()) {
    return WriteSimpleError(400, *code, "The request headers are not acceptable.");
  }
  const auto& msg = parser_->get();
  core::HttpRequest request;
  request.request_id = request_id_;
  request.remote_address = remote_;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  content_length_.reset();
  if (auto len = parser_->content_length()) content_length_ = *len;
  expect_continue_ = beast::iequals(msg[http::field::expect], "100-continue");
  keep_alive_ = msg.keep_alive();
  head_request_ = msg.method() == http::verb::head;
  stream_.expires_never();  // The worker sets a deadline on each operation.
  net::post(server_->workers, [self = shared_from_this(), request = std::move(request)]() mutable {
    self->RunHandler(std::move(request));
  });
}

void Session::RunHandler(core::HttpRequest request) {
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
  net::post(stream_.get_executor(), [self = shared_from_this(), method] {
    self->AfterHandler(self->request_id_, method, self->status_);
  });
}

void Session::AfterHandler(const std::string& request_id, const std::string& method,
                           unsigned status) {
  env::Logger& log = server_->env.log();
  if (log.Enabled(env::LogLevel::kDebug)) {
    log.Log(env::LogLevel::kDebug, "http", "request",
            {{"method", method}, {"remote", remote_}, {"status", std::to_string(status)}},
            request_id);
  }
  // A response that never finished, or a body left unread, leaves the
  // connection in an unknown state: close it rather than guess.
  if (!finished_ || !parser_->is_done() || !keep_alive_ || server_->stopping) return Close();
  ReadHead(/*first=*/false);
}

base::Status Session::SendContinue() {
  continue_sent_ = true;
  auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
  const auto ec =
      awaiter_.Run(stream_.get_executor(), server_->io, [this, cont](Awaiter::Done done) {
        stream_.expires_after(server_->options.idle_timeout);
        http::async_write(stream_, *cont, std::move(done));
      });
  if (ec) return base::Unavailable("connection lost: " + ec.message());
  return base::Ok();
}

base::Result<std::size_t> Session::Read(std::span<std::byte> out) {
  if (out.empty()) return std::size_t{0};
  if (expect_continue_ && !continue_sent_ && !parser_->is_done()) {
    COFFER_RETURN_IF_ERROR(SendContinue());
  }
  while (!parser_->is_done()) {
    std::size_t left = out.size();
    const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [&](Awaiter::Done done) {
      parser_->get().body().data = out.data();
      parser_->get().body().size = out.size();
      stream_.expires_after(server_->options.idle_timeout);
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

base::Status Session::Start(unsigned status, const core::HeaderList& headers,
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
  // A body the core did not read keeps the connection from being reused.
  res.keep_alive(keep_alive_ && !server_->stopping);
  if (content_length) {
    res.content_length(*content_length);
  } else if (!head_request_) {
    res.chunked(true);
  }
  res.body().data = nullptr;
  res.body().more = true;
  serializer_.emplace(res);
  const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [this](Awaiter::Done done) {
    stream_.expires_after(server_->options.idle_timeout);
    http::async_write_header(stream_, *serializer_, std::move(done));
  });
  if (ec) return base::Unavailable("connection lost: " + ec.message());
  if (head_request_) finished_ = true;  // HEAD: the head is the whole response.
  return base::Ok();
}

base::Status Session::Write(std::span<const std::byte> data) {
  if (!started_) return base::FailedPrecondition("response not started");
  if (head_request_ || data.empty()) return base::Ok();
  response_->body().data = const_cast<std::byte*>(data.data());  // Beast's API is non-const.
  response_->body().size = data.size();
  response_->body().more = true;
  const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [this](Awaiter::Done done) {
    stream_.expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *serializer_, std::move(done));
  });
  if (ec && ec != http::error::need_buffer) {
    return base::Unavailable("connection lost: " + ec.message());
  }
  return base::Ok();
}

base::Status Session::Finish() {
  if (!started_) return base::FailedPrecondition("response not started");
  if (head_request_) return base::Ok();
  response_->body().data = nullptr;
  response_->body().size = 0;
  response_->body().more = false;
  const auto ec = awaiter_.Run(stream_.get_executor(), server_->io, [this](Awaiter::Done done) {
    stream_.expires_after(server_->options.idle_timeout);
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
void Session::WriteSimpleError(unsigned status, std::string_view code, std::string_view message) {
  auto res = std::make_shared<http::response<http::string_body>>();
  res->version(11);
  res->result(static_cast<http::status>(status));
  res->set(http::field::server, "Coffer");
  res->set("x-amz-request-id", request_id_);
  res->set(http::field::content_type, "application/xml");
  res->keep_alive(false);
  res->body() = ErrorXml(code, message, request_id_);
  res->prepare_payload();
  stream_.expires_after(server_->options.idle_timeout);
  http::async_write(
      stream_, *res,
      [self = shared_from_this(), res](beast::error_code, std::size_t) { self->Close(); });
}

void Session::Close() {
  busy_ = false;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
}

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
