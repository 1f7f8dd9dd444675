// The HTTP shell against real sockets on 127.0.0.1: framing, streaming bodies
// both ways, 100-continue, limits, timeouts, the connection cap and draining.

#include "coffer/server/http_server.h"

#include <atomic>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "coffer/base/bytes.h"
#include "coffer/posix/posix_env.h"

namespace coffer::server {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Echoes the body back; "/stream" answers with a chunked 3-part body;
// "/reject" answers 403 without reading the body; "/slow" sleeps first.
class EchoHandler final : public core::Handler {
 public:
  void Serve(const core::HttpRequest& request, core::BodyReader& body,
             core::ResponseWriter& response) override {
    ++served;
    if (request.target == "/reject") {
      const std::string msg = "no";
      (void)response.Start(403, {}, msg.size());
      (void)response.Write(base::AsBytes(msg));
      (void)response.Finish();
      return;
    }
    if (request.target == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (request.target == "/stream") {
      (void)response.Start(200, {{"content-type", "text/plain"}}, std::nullopt);
      for (const char* part : {"alpha-", "beta-", "gamma"}) {
        (void)response.Write(base::AsBytes(part));
      }
      (void)response.Finish();
      return;
    }
    std::string got;
    char buf[7];  // Small on purpose: many reads per body.
    for (;;) {
      auto n = body.Read(std::as_writable_bytes(std::span(buf)));
      if (!n.has_value()) {
        last_error = n.error().code();
        return;
      }
      if (*n == 0) break;
      got.append(buf, *n);
    }
    (void)response.Start(200, {{"x-seen-method", request.method}}, got.size());
    (void)response.Write(base::AsBytes(got));
    (void)response.Finish();
  }

  std::atomic<int> served{0};
  std::atomic<base::ErrorCode> last_error{base::ErrorCode::kOk};
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.port = 0;
    options.worker_threads = 4;
    auto s = HttpServer::Start(io_, env_, handler_, options);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    server_ = std::move(s).value();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) {
      server_->Shutdown([this] { io_.stop(); });
      for (auto& t : threads_) t.join();
      server_.reset();
    }
  }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  // Sends raw bytes and reads until the peer closes or `until` appears.
  static std::string Exchange(tcp::socket& s, const std::string& raw, const std::string& until) {
    net::write(s, net::buffer(raw));
    std::string out;
    boost::system::error_code ec;
    net::read_until(s, net::dynamic_buffer(out), until, ec);
    return out;
  }

  static std::string ReadAll(tcp::socket& s) {
    std::string out;
    boost::system::error_code ec;
    net::read(s, net::dynamic_buffer(out), ec);
    return out;
  }

  net::io_context io_;
  net::io_context client_io_;
  posix::PosixEnv env_{io_, env::LogLevel::kError};
  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpServerTest, EchoesAContentLengthBodyAndKeepsTheConnection) {
  StartServer();
  auto s = Connect();
  const std::string r1 = Exchange(
      s, "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz",
      "xyz");
  EXPECT_NE(r1.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(r1.find("x-amz-request-id: "), std::string::npos);
  EXPECT_NE(r1.find("abcdefghijklmnopqrstuvwxyz"), std::string::npos);
  const std::string r2 =
      Exchange(s, "PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nend", "end");
  EXPECT_NE(r2.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(handler_.served.load(), 2);
}

TEST_F(HttpServerTest, DecodesAChunkedRequestBody) {
  StartServer();
  auto s = Connect();
  const std::string r = Exchange(s,
                                 "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                                 "hello world");
  EXPECT_NE(r.find("Content-Length: 11"), std::string::npos);
  EXPECT_NE(r.find("hello world"), std::string::npos);
}

TEST_F(HttpServerTest, StreamsAChunkedResponse) {
  StartServer();
  auto s = Connect();
  const std::string r =
      Exchange(s, "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "\r\n0\r\n");
  EXPECT_NE(r.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(r.find("alpha-"), std::string::npos);
  EXPECT_NE(r.find("gamma"), std::string::npos);
}

TEST_F(HttpServerTest, SendsContinueOnlyWhenTheCoreReadsTheBody) {
  StartServer();
  auto s = Connect();
  net::write(
      s, net::buffer(std::string(
             "PUT /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")));
  std::string got;
  net::read_until(s, net::dynamic_buffer(got), "\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 100 Continue", 0), 0u) << got;
  got.clear();
  const std::string r = Exchange(s, "data", "data");
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos);

  auto s2 = Connect();
  const std::string refused = Exchange(
      s2, "PUT /reject HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
      "no");
  EXPECT_EQ(refused.find("100 Continue"), std::string::npos);
  EXPECT_NE(refused.find("HTTP/1.1 403"), std::string::npos);
  // The body was never read, so the connection cannot be reused.
  EXPECT_TRUE(ReadAll(s2).empty());
}

// A client that sends its body anyway after an early refusal (as urllib3
// does after its 100-continue wait) must still read the whole response: the
// server says Connection: close and drains instead of resetting.
TEST_F(HttpServerTest, EarlyRefusalSaysCloseAndSurvivesALateBody) {
  StartServer();
  for (int i = 0; i < 20; ++i) {
    auto s = Connect();
    const std::string body(256 * 1024, 'b');
    net::write(s, net::buffer("PUT /reject HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n"));
    boost::system::error_code ec;
    net::write(s, net::buffer(body), ec);  // May fail once the server stops reading.
    const std::string got = ReadAll(s);
    EXPECT_NE(got.find("HTTP/1.1 403"), std::string::npos) << got;
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
    EXPECT_TRUE(got.ends_with("no")) << got;
  }
}

TEST_F(HttpServerTest, HeadAnswersTheHeadOnly) {
  StartServer();
  auto s = Connect();
  const std::string r = Exchange(s, "HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos);
  // The connection stays usable: no body bytes were sent after the head.
  const std::string r2 =
      Exchange(s, "PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok", "\r\n\r\nok");
  EXPECT_NE(r2.find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HttpServerTest, RefusesOversizedAndSmugglingHeads) {
  ServerOptions options;
  options.header_limit_bytes = 1024;
  options.max_header_count = 10;
  StartServer(options);
  auto s1 = Connect();
  const std::string big = Exchange(
      s1, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n", "</Error>");
  EXPECT_NE(big.find("HTTP/1.1 400"), std::string::npos);
  EXPECT_NE(big.find("<Code>MetadataTooLarge</Code>"), std::string::npos);

  auto s2 = Connect();
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_NE(Exchange(s2, many + "\r\n", "</Error>").find("MetadataTooLarge"), std::string::npos);

  auto s3 = Connect();
  const std::string smuggle = Exchange(
      s3,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      "</Error>");
  EXPECT_NE(smuggle.find("HTTP/1.1 400"), std::string::npos);
  EXPECT_EQ(handler_.served.load(), 0);

  auto s4 = Connect();
  EXPECT_NE(Exchange(s4, "NOT HTTP AT ALL\r\n\r\n", "</Error>").find("<Code>BadRequest</Code>"),
            std::string::npos);
}

TEST_F(HttpServerTest, TruncatedBodyIsAnErrorForTheCore) {
  StartServer();
  {
    auto s = Connect();
    net::write(
        s,
        net::buffer(std::string("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")));
    s.shutdown(tcp::socket::shutdown_send);
    EXPECT_TRUE(ReadAll(s).empty());
  }
  for (int i = 0; i < 50 && handler_.last_error.load() == base::ErrorCode::kOk; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(handler_.last_error.load(), base::ErrorCode::kInvalidArgument);
}

TEST_F(HttpServerTest, SlowlorisHeadIsCutOffAtTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  StartServer(options);
  auto s = Connect();
  net::write(s, net::buffer(std::string("GET / HTTP/1.1\r\nHo")));
  const auto t0 = std::chrono::steady_clock::now();
  const std::string r = ReadAll(s);  // Returns when the server closes.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(handler_.served.load(), 0);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapAreRefused) {
  ServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  auto a = Connect();
  auto b = Connect();
  // Make sure both are accepted before the third arrives.
  EXPECT_NE(Exchange(a, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1", "\r\n\r\n1")
                .find("200"),
            std::string::npos);
  EXPECT_NE(Exchange(b, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1", "\r\n\r\n1")
                .find("200"),
            std::string::npos);
  auto c = Connect();
  boost::system::error_code ec;
  net::write(c, net::buffer(std::string("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")), ec);
  EXPECT_TRUE(ReadAll(c).empty());
  EXPECT_EQ(server_->connections(), 2u);
}

TEST_F(HttpServerTest, ShutdownDrainsARequestInFlight) {
  StartServer();
  auto s = Connect();
  net::write(
      s, net::buffer(std::string("PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::atomic<bool> done{false};
  server_->Shutdown([&] {
    done = true;
    io_.stop();
  });
  const std::string r = ReadAll(s);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  for (auto& t : threads_) t.join();
  threads_.clear();
  EXPECT_TRUE(done.load());
  server_.reset();
}

}  // namespace
}  // namespace coffer::server
