#pragma once
// The listener state shared by HttpServer and its sessions. Private to
// coffer::server.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include "coffer/server/http_server.h"
#include "coffer/server/tls.h"

namespace coffer::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// What the listener needs of a session of either transport.
class SessionHandle {
 public:
  virtual ~SessionHandle() = default;
  // Closes the connection now when no request is in progress.
  virtual void CloseIfIdle() = 0;
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io_context, env::Env& environment, core::Handler& h, ServerOptions opts)
      : io(io_context),
        env(environment),
        handler(h),
        options(std::move(opts)),
        acceptor(io),
        workers(options.worker_threads) {}

  void Accept();
  void StartSession(tcp::socket socket);
  void Register(std::uint64_t id, const std::shared_ptr<SessionHandle>& s);
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
  std::map<std::uint64_t, std::weak_ptr<SessionHandle>> sessions;
};

// 16 upper-case hex digits, the request-ID shape MinIO and S3 clients expect.
inline std::string NewRequestId(base::Random& random) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::uint64_t v = random.Uniform(0, ~std::uint64_t{0});
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
  return id;
}

// An S3 error document for errors the shell answers itself (framing).
inline std::string ErrorXml(std::string_view code, std::string_view message,
                            std::string_view request_id) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  body += code;
  body += "</Code><Message>";
  body += message;
  body += "</Message><RequestId>";
  body += request_id;
  body += "</RequestId></Error>";
  return body;
}

}  // namespace coffer::server
