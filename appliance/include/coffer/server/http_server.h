#pragma once
// The HTTP shell: accepts connections, parses HTTP/1.1 with Beast, builds a
// core::HttpRequest, calls the core's handler and writes the response. It owns
// no policy: limits and timeouts come from ServerOptions, decisions from the
// core. Asio and Beast stay inside the .cc (pimpl) to keep builds light.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "coffer/base/result.h"
#include "coffer/core/http.h"
#include "coffer/env/env.h"
#include "coffer/server/tls.h"

namespace boost::asio {
class io_context;
}

namespace coffer::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9000;  // 0 picks a free port (see HttpServer::port()).
  std::size_t max_connections = 4096;
  std::size_t header_limit_bytes = 16 * 1024;
  std::size_t max_header_count = 128;
  // Largest request body accepted on a streaming request (S3's 5 TiB object).
  std::uint64_t body_limit_bytes = std::uint64_t{5} << 40;
  // Worker threads that run the core's Serve() (disk work stays off the I/O
  // threads).
  std::size_t worker_threads = 16;
  // Slowloris: the whole head must arrive within this time.
  std::chrono::milliseconds header_timeout{10'000};
  // An idle keep-alive connection is closed after this time.
  std::chrono::milliseconds idle_timeout{60'000};
  // On shutdown, requests in flight get this long to finish.
  std::chrono::milliseconds drain_timeout{10'000};
  // TLS: when set, every connection of this listener is TLS.
  std::shared_ptr<TlsContexts> tls;
};

class HttpServer {
 public:
  // Binds and listens. `handler` and `env` must outlive the server. Errors:
  // kUnavailable when the address cannot be bound.
  static base::Result<std::unique_ptr<HttpServer>> Start(boost::asio::io_context& io, env::Env& env,
                                                         core::Handler& handler,
                                                         const ServerOptions& options);
  ~HttpServer();

  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Number of open connections.
  std::size_t connections() const;

  // Stops accepting, lets requests in flight finish (up to drain_timeout),
  // closes idle connections, then calls `done` on the io_context. Thread-safe.
  // Requests still running when the io_context stops fail with kUnavailable
  // at their next read or write; the destructor waits for them.
  void Shutdown(std::function<void()> done);

  // Implementation detail, public only so the .cc's session types can name it.
  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace coffer::server
