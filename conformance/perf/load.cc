// coffer-load: keep-alive HTTP/1.1 connections, one coroutine per connection
// on a strand, a small fixed pool of threads running one io_context. Requests
// are signed with coffer::core::auth::Signer (the same canonicaliser the
// verifier uses), or sent unsigned for a plain web server such as nginx.
//
// Latencies are kept as a full sample (one uint32 per request) and sorted at
// the end: at the request rates a 2-core box reaches this is a few MB, and it
// gives exact percentiles without an HDR histogram's bucketing error.

#include "load.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it.
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "coffer/base/clock.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/http.h"

namespace coffer::perf {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

// Bodies up to this size are built once and shared by every request; larger
// ones (the 5 GiB streaming PUT) are generated chunk by chunk while sending, so
// the client never holds more than one chunk.
constexpr std::uint64_t kMaxBufferedBody = 64ull << 20;
constexpr std::size_t kStreamChunk = 1u << 20;
constexpr std::size_t kErrorBodyBytes = 512;

enum class Op { kPut, kGet, kMixed };

constexpr const char* kUsage = R"(usage: coffer-load --endpoint http://127.0.0.1:PORT [options]
  --endpoint URL         http://HOST:PORT or https://HOST:PORT (required)
  --access-key KEY       default: $COFFER_ROOT_USER
  --secret-key SECRET    default: $COFFER_ROOT_PASSWORD
  --bucket NAME          default: bench
  --op put|get|mixed     default: get (mixed: half GET, half PUT, at random)
  --size N               object size, e.g. 4KiB, 1MiB, 5GiB (default 4KiB)
  --connections N        keep-alive connections (default 16)
  --duration S           run for S seconds (default 10), or
  --requests N           run exactly N requests
  --objects N            key space (default 100)
  --prepare              PUT every key of the key space first (not measured)
  --create-bucket        PUT /BUCKET first (200 and 409 are both fine)
  --unsigned             no Authorization header (for nginx)
  --path-prefix P        target is P/KEY instead of /BUCKET/KEY (for nginx)
  --key-prefix P         key names P00000000.. (default obj-SIZE-)
  --payload-hash unsigned|sha256
                         x-amz-content-sha256: UNSIGNED-PAYLOAD (default) or
                         the body's SHA-256 (computed once; bodies <= 64 MiB)
  --threads N            I/O threads (default 2)
  --timeout S            per-request timeout in seconds (default 60)
  --idle N --hold S      open N connections, one GET of --idle-path on each,
                         hold them idle S seconds, then GET again on each
  --idle-path PATH       default /minio/health/live
  --label TEXT           copied into the JSON line
  --insecure             https: do not verify the server certificate
  --cacert FILE          https: trust this CA file
  --tls-version 1.2|1.3  https: offer only this version (default: both)
  --new-connection       close after every request, so each one pays a TCP
                         connect (and a TLS handshake): ops_s is handshakes/s
  --print-errors N       print the first N errors to stderr (default 5)
Prints one JSON line on stdout.
)";

struct Options {
  bool tls = false;
  std::string host;
  std::string port;
  std::string host_header;
  std::string access_key;
  base::Secret secret_key;
  std::string bucket = "bench";
  Op op = Op::kGet;
  std::uint64_t size = 4096;
  unsigned connections = 16;
  double duration_s = 10;
  std::uint64_t requests = 0;  // 0: run for duration_s.
  std::uint64_t objects = 100;
  bool prepare = false;
  bool create_bucket = false;
  bool unsigned_requests = false;
  std::string path_prefix;
  std::string key_prefix;
  bool payload_sha256 = false;
  unsigned threads = 2;
  double timeout_s = 60;
  unsigned idle = 0;
  double hold_s = 0;
  std::string idle_path = "/minio/health/live";
  std::string label;
  bool insecure = false;
  std::string cacert;
  std::string tls_version;  // "", "1.2" or "1.3".
  bool new_connection = false;
  unsigned print_errors = 5;
};

const char* OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "put";
    case Op::kGet:
      return "get";
    case Op::kMixed:
      return "mixed";
  }
  return "?";
}

bool ParseUnsigned(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool ParseSeconds(const char* text, double& out) {
  char* end = nullptr;
  out = std::strtod(text, &end);
  return end != text && *end == '\0' && out >= 0;
}

// Splits "http://host:port[/]" into its parts; no userinfo, no path.
bool ParseEndpoint(std::string_view url, Options& o) {
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    o.tls = true;
  } else {
    return false;
  }
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) return false;
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos || url.back() == ']') {
    o.host = std::string(url);
    o.port = o.tls ? "443" : "80";
    o.host_header = o.host;
  } else {
    o.host = std::string(url.substr(0, colon));
    o.port = std::string(url.substr(colon + 1));
    std::uint64_t p = 0;
    if (!ParseUnsigned(o.port, p) || p == 0 || p > 65535) return false;
    o.host_header = std::string(url);
  }
  if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  return !o.host.empty();
}

// Returns an error message, or "" when the options are usable.
std::string ParseArgs(int argc, char** argv, Options& o) {
  bool have_endpoint = false;
  bool have_duration = false;
  std::string payload_hash = "unsigned";
  const char* user = std::getenv("COFFER_ROOT_USER");
  const char* pass = std::getenv("COFFER_ROOT_PASSWORD");
  if (user != nullptr) o.access_key = user;
  if (pass != nullptr) o.secret_key = base::Secret(pass);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto number = [&](std::uint64_t& out) {
      const char* v = value();
      return v != nullptr && ParseUnsigned(v, out);
    };
    std::uint64_t n = 0;
    if (arg == "--help" || arg == "-h") {
      return "help";
    } else if (arg == "--endpoint") {
      const char* v = value();
      if (v == nullptr || !ParseEndpoint(v, o)) return "bad --endpoint (want http://HOST:PORT)";
      have_endpoint = true;
    } else if (arg == "--access-key") {
      const char* v = value();
      if (v == nullptr) return "--access-key needs a value";
      o.access_key = v;
    } else if (arg == "--secret-key") {
      const char* v = value();
      if (v == nullptr) return "--secret-key needs a value";
      o.secret_key = base::Secret(v);
    } else if (arg == "--bucket") {
      const char* v = value();
      if (v == nullptr || *v == '\0') return "--bucket needs a value";
      o.bucket = v;
    } else if (arg == "--op") {
      const char* v = value();
      const std::string_view op = v == nullptr ? "" : v;
      if (op == "put") {
        o.op = Op::kPut;
      } else if (op == "get") {
        o.op = Op::kGet;
      } else if (op == "mixed") {
        o.op = Op::kMixed;
      } else {
        return "bad --op (put|get|mixed)";
      }
    } else if (arg == "--size") {
      const char* v = value();
      auto size = v == nullptr ? std::nullopt : ParseSize(v);
      if (!size) return "bad --size";
      o.size = *size;
    } else if (arg == "--connections") {
      if (!number(n) || n == 0 || n > 100000) return "bad --connections";
      o.connections = static_cast<unsigned>(n);
    } else if (arg == "--duration") {
      const char* v = value();
      if (v == nullptr || !ParseSeconds(v, o.duration_s) || o.duration_s <= 0) {
        return "bad --duration";
      }
      have_duration = true;
    } else if (arg == "--requests") {
      if (!number(o.requests) || o.requests == 0) return "bad --requests";
    } else if (arg == "--objects") {
      if (!number(o.objects) || o.objects == 0 || o.objects > 100000000) return "bad --objects";
    } else if (arg == "--prepare") {
      o.prepare = true;
    } else if (arg == "--create-bucket") {
      o.create_bucket = true;
    } else if (arg == "--unsigned") {
      o.unsigned_requests = true;
    } else if (arg == "--path-prefix") {
      const char* v = value();
      if (v == nullptr || *v != '/') return "--path-prefix must start with /";
      o.path_prefix = v;
      while (o.path_prefix.size() > 1 && o.path_prefix.back() == '/') o.path_prefix.pop_back();
      if (o.path_prefix == "/") o.path_prefix.clear();
    } else if (arg == "--key-prefix") {
      const char* v = value();
      if (v == nullptr) return "--key-prefix needs a value";
      o.key_prefix = v;
    } else if (arg == "--payload-hash") {
      const char* v = value();
      payload_hash = v == nullptr ? "" : v;
      if (payload_hash != "unsigned" && payload_hash != "sha256") {
        return "bad --payload-hash (unsigned|sha256)";
      }
    } else if (arg == "--threads") {
      if (!number(n) || n == 0 || n > 64) return "bad --threads";
      o.threads = static_cast<unsigned>(n);
    } else if (arg == "--timeout") {
      const char* v = value();
      if (v == nullptr || !ParseSeconds(v, o.timeout_s) || o.timeout_s <= 0) {
        return "bad --timeout";
      }
    } else if (arg == "--idle") {
      if (!number(n) || n == 0 || n > 100000) return "bad --idle";
      o.idle = static_cast<unsigned>(n);
    } else if (arg == "--hold") {
      const char* v = value();
      if (v == nullptr || !ParseSeconds(v, o.hold_s)) return "bad --hold";
    } else if (arg == "--idle-path") {
      const char* v = value();
      if (v == nullptr || *v != '/') return "--idle-path must start with /";
      o.idle_path = v;
    } else if (arg == "--label") {
      const char* v = value();
      if (v == nullptr) return "--label needs a value";
      o.label = v;
    } else if (arg == "--insecure") {
      o.insecure = true;
    } else if (arg == "--cacert") {
      const char* v = value();
      if (v == nullptr) return "--cacert needs a value";
      o.cacert = v;
    } else if (arg == "--tls-version") {
      const char* v = value();
      o.tls_version = v == nullptr ? "" : v;
      if (o.tls_version != "1.2" && o.tls_version != "1.3") return "bad --tls-version (1.2|1.3)";
    } else if (arg == "--new-connection") {
      o.new_connection = true;
    } else if (arg == "--print-errors") {
      if (!number(n) || n > 1000) return "bad --print-errors";
      o.print_errors = static_cast<unsigned>(n);
    } else {
      return "unknown argument '" + std::string(arg) + "'";
    }
  }
  if (!have_endpoint) return "--endpoint is required";
  if (o.requests != 0 && have_duration) return "give --duration or --requests, not both";
  o.payload_sha256 = payload_hash == "sha256";
  if (o.payload_sha256 && o.size > kMaxBufferedBody) {
    return "--payload-hash sha256 needs a body of at most 64 MiB";
  }
  if (!o.unsigned_requests && (o.access_key.empty() || o.secret_key.empty())) {
    return "no credentials: set --access-key/--secret-key, COFFER_ROOT_USER/"
           "COFFER_ROOT_PASSWORD, or --unsigned";
  }
  if (o.key_prefix.empty()) o.key_prefix = "obj-" + SizeLabel(o.size) + "-";
  return "";
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Printable excerpt of a response body for stderr.
std::string Excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kErrorBodyBytes)) {
    out += (c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return out;
}

// Everything the connections share; read-only once the run starts, apart from
// the atomics.
struct Shared {
  explicit Shared(const Options& o) : options(o) {}

  const Options& options;
  std::optional<core::auth::Signer> signer;
  std::string body;          // The whole body, or one chunk when streamed.
  std::string payload_hash;  // The x-amz-content-sha256 value.
  bool streamed = false;
  tcp::resolver::results_type endpoints;
  asio::ssl::context* tls = nullptr;
  std::atomic<unsigned> printed_errors{0};

  void ReportError(const std::string& what) {
    if (printed_errors.fetch_add(1) < options.print_errors) {
      std::fprintf(stderr, "coffer-load: %s\n", what.c_str());
    }
  }
};

// One run of requests over all connections: a deadline, a request budget, or
// (prepare) each key of the key space exactly once.
struct Phase {
  Op op = Op::kGet;
  bool each_key_once = false;
  std::optional<Clock::time_point> deadline;
  std::atomic<std::int64_t> remaining{std::numeric_limits<std::int64_t>::max()};
  std::atomic<std::uint64_t> next_key{0};
};

struct ConnStats {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t bytes = 0;
  std::vector<std::uint32_t> latencies_us;
};

struct IdleStats {
  bool opened = false;
  bool alive_after_hold = false;
};

struct Outcome {
  error_code ec;
  const char* stage = "";
  unsigned status = 0;
  std::uint64_t body_bytes = 0;
  std::string body_start;
  bool keep_alive = true;
};

template <class Stream>
class Connection {
 public:
  Connection(Shared& shared, Strand strand, std::uint64_t seed, std::size_t scratch)
      : shared_(shared),
        strand_(std::move(strand)),
        timer_(strand_),
        rng_(seed),
        scratch_(scratch) {}

  const Strand& strand() const { return strand_; }

  awaitable<void> RunPhase(Phase& phase, ConnStats& stats) {
    const Options& o = shared_.options;
    while (true) {
      if (phase.deadline && Clock::now() >= *phase.deadline) break;
      std::uint64_t key = 0;
      if (phase.each_key_once) {
        key = phase.next_key.fetch_add(1);
        if (key >= o.objects) break;
      } else {
        if (phase.remaining.fetch_sub(1) <= 0) break;
        key = rng_() % o.objects;
      }
      const bool put = phase.op == Op::kPut || (phase.op == Op::kMixed && (rng_() & 1) != 0);
      const std::string target = Target(key);
      const Clock::time_point start = Clock::now();
      Outcome out = co_await Request(put ? "PUT" : "GET", target, put, !o.unsigned_requests);
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
      ++stats.requests;
      if (out.ec) {
        ++stats.errors;
        shared_.ReportError(std::string(put ? "PUT " : "GET ") + target + ": " + out.stage + ": " +
                            out.ec.message());
        Close();
        // A refused connection fails at once; pause so a dead endpoint does not
        // turn the run into a busy loop.
        if (out.stage == std::string_view("connect")) co_await Pause(std::chrono::milliseconds(20));
        continue;
      }
      stats.latencies_us.push_back(static_cast<std::uint32_t>(
          std::min<std::int64_t>(elapsed.count(), std::numeric_limits<std::uint32_t>::max())));
      if (out.status / 100 != 2) {
        ++stats.errors;
        shared_.ReportError(std::string(put ? "PUT " : "GET ") + target + ": HTTP " +
                            std::to_string(out.status) + ": " + Excerpt(out.body_start));
      } else if (!put && out.body_bytes != o.size) {
        ++stats.errors;
        shared_.ReportError("GET " + target + ": body of " + std::to_string(out.body_bytes) +
                            " bytes, expected " + std::to_string(o.size));
      } else {
        stats.bytes += put ? o.size : out.body_bytes;
      }
      if (!out.keep_alive || o.new_connection) Close();
    }
  }

  // Creates the bucket; BucketAlreadyOwnedByYou (409) counts as success.
  awaitable<bool> CreateBucket() {
    Outcome out = co_await Request("PUT", "/" + shared_.options.bucket, false,
                                   !shared_.options.unsigned_requests);
    if (out.ec) {
      shared_.ReportError("create bucket: " + std::string(out.stage) + ": " + out.ec.message());
      co_return false;
    }
    if (out.status / 100 == 2) co_return true;
    if (out.status == 409 && out.body_start.find("BucketAlreadyOwnedByYou") != std::string::npos) {
      co_return true;
    }
    shared_.ReportError("create bucket: HTTP " + std::to_string(out.status) + ": " +
                        Excerpt(out.body_start));
    co_return false;
  }

  // Opens the connection with one request, holds it idle, then checks that it
  // still answers: what an idle keep-alive connection costs the server.
  awaitable<void> RunIdle(IdleStats& stats) {
    const Options& o = shared_.options;
    Outcome out = co_await Request("GET", o.idle_path, false, false);
    if (out.ec || !out.keep_alive) {
      if (out.ec)
        shared_.ReportError("idle open: " + std::string(out.stage) + ": " + out.ec.message());
      co_return;
    }
    stats.opened = true;
    co_await Pause(std::chrono::milliseconds(static_cast<std::int64_t>(o.hold_s * 1000)));
    if (!stream_) co_return;
    // Reuse only: a reconnect would hide a server that dropped the connection.
    out = co_await Exchange("GET", o.idle_path, false, false);
    stats.alive_after_hold = !out.ec && out.status != 0;
  }

 private:
  std::string Target(std::uint64_t key) const {
    const Options& o = shared_.options;
    char digits[24];
    std::snprintf(digits, sizeof digits, "%08" PRIu64, key);
    const std::string base = o.path_prefix.empty() ? "/" + o.bucket : o.path_prefix;
    return base + "/" + o.key_prefix + digits;
  }

  awaitable<void> Pause(std::chrono::milliseconds ms) {
    timer_.expires_after(ms);
    error_code ec;
    co_await timer_.async_wait(redirect_error(use_awaitable, ec));
  }

  void Close() {
    if (stream_) {
      error_code ignored;
      beast::get_lowest_layer(*stream_).close(ignored);
      stream_.reset();
    }
    buffer_.clear();
  }

  awaitable<error_code> Connect() {
    error_code ec;
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      stream_.emplace(strand_);
    } else {
      stream_.emplace(strand_, *shared_.tls);
    }
    co_await asio::async_connect(beast::get_lowest_layer(*stream_), shared_.endpoints,
                                 redirect_error(use_awaitable, ec));
    if (ec) co_return ec;
    beast::get_lowest_layer(*stream_).set_option(tcp::no_delay(true), ec);
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      const std::string& host = shared_.options.host;
      // SNI; SSL_set_tlsext_host_name() is a macro that casts away const.
      if (SSL_ctrl(stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                   TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) != 1) {
        co_return error_code(asio::error::invalid_argument);
      }
      if (!shared_.options.insecure) {
        stream_->set_verify_callback(asio::ssl::host_name_verification(host));
      }
      co_await stream_->async_handshake(asio::ssl::stream_base::client,
                                        redirect_error(use_awaitable, ec));
    }
    co_return ec;
  }

  // Connects when needed, then one exchange, bounded by --timeout.
  awaitable<Outcome> Request(const char* method, const std::string& target, bool with_body,
                             bool sign) {
    if (!stream_) {
      Arm();
      error_code ec = co_await Connect();
      timer_.cancel();
      if (ec || timed_out_) {
        Outcome out;
        out.ec = timed_out_ ? error_code(asio::error::timed_out) : ec;
        out.stage = "connect";
        Close();
        co_return out;
      }
    }
    co_return co_await Exchange(method, target, with_body, sign);
  }

  // Closing the socket from the strand aborts whatever read or write the
  // coroutine is suspended in.
  void Arm() {
    timed_out_ = false;
    timer_.expires_after(
        std::chrono::milliseconds(static_cast<std::int64_t>(shared_.options.timeout_s * 1000)));
    timer_.async_wait([this](const error_code& ec) {
      if (ec || !stream_) return;
      timed_out_ = true;
      error_code ignored;
      beast::get_lowest_layer(*stream_).close(ignored);
    });
  }

  std::string Head(const char* method, const std::string& target, bool with_body, bool sign) {
    const Options& o = shared_.options;
    core::HttpRequest request;
    request.method = method;
    request.target = target;
    request.headers.emplace_back("host", o.host_header);
    if (sign) {
      const auto now =
          std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
      auto info = shared_.signer->Sign(
          request, now,
          with_body ? std::string_view(shared_.payload_hash) : core::auth::kUnsignedPayload);
      if (!info) {
        shared_.ReportError("sign " + target + ": " + info.error().message());
      }
    }
    std::string head;
    head.reserve(512);
    head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    for (const auto& [name, value] : request.headers) {
      head.append(name).append(": ").append(value).append("\r\n");
    }
    // Content-Length is added after signing: S3 clients do not sign it either.
    if (with_body || std::string_view(method) == "PUT") {
      head.append("content-length: ").append(std::to_string(with_body ? o.size : 0));
      head.append("\r\n");
    }
    head.append("\r\n");
    return head;
  }

  awaitable<error_code> WriteBody() {
    error_code ec;
    Stream& s = *stream_;
    const std::uint64_t size = shared_.options.size;
    if (!shared_.streamed) {
      co_await asio::async_write(s, asio::buffer(shared_.body), redirect_error(use_awaitable, ec));
      co_return ec;
    }
    // A private copy of the pattern chunk, stamped with its offset so no two
    // chunks of the object are equal.
    std::string chunk = shared_.body;
    for (std::uint64_t sent = 0; sent < size;) {
      std::memcpy(chunk.data(), &sent, sizeof sent);
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kStreamChunk, size - sent));
      co_await asio::async_write(s, asio::buffer(chunk.data(), n),
                                 redirect_error(use_awaitable, ec));
      if (ec) co_return ec;
      sent += n;
    }
    co_return ec;
  }

  awaitable<Outcome> Exchange(const char* method, const std::string& target, bool with_body,
                              bool sign) {
    Outcome out;
    if (!stream_) {
      out.ec = asio::error::not_connected;
      out.stage = "write";
      co_return out;
    }
    Arm();
    out = co_await ExchangeUnarmed(method, target, with_body, sign);
    timer_.cancel();
    if (timed_out_ && out.ec) out.ec = asio::error::timed_out;
    co_return out;
  }

  awaitable<Outcome> ExchangeUnarmed(const char* method, const std::string& target, bool with_body,
                                     bool sign) {
    Outcome out;
    error_code ec;
    Stream& s = *stream_;
    const std::string head = Head(method, target, with_body, sign);
    if (with_body && !shared_.streamed) {
      // Head and body in one gather write: one syscall for small objects.
      std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(shared_.body)};
      co_await asio::async_write(s, buffers, redirect_error(use_awaitable, ec));
    } else {
      co_await asio::async_write(s, asio::buffer(head), redirect_error(use_awaitable, ec));
      if (!ec && with_body) ec = co_await WriteBody();
    }
    if (ec) {
      out.ec = ec;
      out.stage = "write";
      co_return out;
    }
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    co_await http::async_read_header(s, buffer_, parser, redirect_error(use_awaitable, ec));
    if (ec) {
      out.ec = ec;
      out.stage = "read header";
      co_return out;
    }
    while (!parser.is_done()) {
      parser.get().body().data = scratch_.data();
      parser.get().body().size = scratch_.size();
      co_await http::async_read(s, buffer_, parser, redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        out.ec = ec;
        out.stage = "read body";
        co_return out;
      }
      const std::size_t n = scratch_.size() - parser.get().body().size;
      if (out.body_start.size() < kErrorBodyBytes) {
        out.body_start.append(scratch_.data(), std::min(n, kErrorBodyBytes));
      }
      out.body_bytes += n;
    }
    out.status = parser.get().result_int();
    out.keep_alive = parser.get().keep_alive();
    co_return out;
  }

  Shared& shared_;
  Strand strand_;
  asio::steady_timer timer_;
  std::minstd_rand rng_;
  std::vector<char> scratch_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
  bool timed_out_ = false;
};

void RunThreads(asio::io_context& io, unsigned threads) {
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  io.restart();
}

auto PrintException(const char* what) {
  return [what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "coffer-load: %s: %s\n", what, x.what());
    }
  };
}

struct Totals {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::vector<std::uint32_t> latencies_us;
};

std::uint32_t Percentile(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size()));
  return sorted[std::min(i, sorted.size() - 1)];
}

template <class Stream>
int Drive(Shared& shared, asio::io_context& io) {
  const Options& o = shared.options;
  const unsigned count = o.idle != 0 ? o.idle : o.connections;
  std::vector<std::unique_ptr<Connection<Stream>>> conns;
  conns.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    conns.push_back(std::make_unique<Connection<Stream>>(
        shared, asio::make_strand(io), 0x5eed0000u + i, o.idle != 0 ? 4096 : 64 * 1024));
  }

  if (o.create_bucket) {
    bool ok = false;
    asio::co_spawn(
        conns[0]->strand(), [&]() -> awaitable<void> { ok = co_await conns[0]->CreateBucket(); },
        PrintException("create bucket"));
    RunThreads(io, 1);
    if (!ok) {
      std::fprintf(stderr, "coffer-load: cannot create bucket '%s'\n", o.bucket.c_str());
      return 1;
    }
  }

  if (o.idle != 0) {
    std::vector<IdleStats> stats(count);
    const Clock::time_point start = Clock::now();
    for (unsigned i = 0; i < count; ++i) {
      asio::co_spawn(conns[i]->strand(), conns[i]->RunIdle(stats[i]), PrintException("idle"));
    }
    RunThreads(io, o.threads);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    unsigned opened = 0;
    unsigned alive = 0;
    for (const auto& s : stats) {
      opened += s.opened ? 1 : 0;
      alive += s.alive_after_hold ? 1 : 0;
    }
    std::printf(
        "{\"mode\":\"idle\",\"label\":%s,\"connections\":%u,\"opened\":%u,"
        "\"alive_after_hold\":%u,\"hold_s\":%.1f,\"seconds\":%.2f}\n",
        JsonString(o.label).c_str(), count, opened, alive, o.hold_s, seconds);
    return 0;
  }

  auto run = [&](Phase& phase) {
    std::vector<ConnStats> stats(count);
    const Clock::time_point start = Clock::now();
    if (!phase.each_key_once && o.requests == 0) {
      phase.deadline = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.duration_s));
    }
    for (unsigned i = 0; i < count; ++i) {
      asio::co_spawn(conns[i]->strand(), conns[i]->RunPhase(phase, stats[i]),
                     PrintException("connection"));
    }
    RunThreads(io, o.threads);
    Totals t;
    t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& s : stats) {
      t.requests += s.requests;
      t.errors += s.errors;
      t.bytes += s.bytes;
      t.latencies_us.insert(t.latencies_us.end(), s.latencies_us.begin(), s.latencies_us.end());
    }
    std::sort(t.latencies_us.begin(), t.latencies_us.end());
    return t;
  };

  if (o.prepare) {
    Phase prepare;
    prepare.op = Op::kPut;
    prepare.each_key_once = true;
    const Totals t = run(prepare);
    std::fprintf(stderr,
                 "coffer-load: prepare: %" PRIu64 " PUTs of %s, %" PRIu64 " errors, %.2f s\n",
                 t.requests, SizeLabel(o.size).c_str(), t.errors, t.seconds);
    if (t.errors != 0) return 1;
  }

  Phase measured;
  measured.op = o.op;
  if (o.requests != 0) measured.remaining = static_cast<std::int64_t>(o.requests);
  const Totals t = run(measured);
  const double secs = t.seconds > 0 ? t.seconds : 1e-9;
  const std::uint64_t ok = t.requests - t.errors;
  std::printf(
      "{\"label\":%s,\"op\":\"%s\",\"size\":%" PRIu64
      ",\"size_label\":\"%s\","
      "\"connections\":%u,\"threads\":%u,\"signed\":%s,\"requests\":%" PRIu64 ",\"errors\":%" PRIu64
      ",\"seconds\":%.3f,\"mb_s\":%.2f,\"mib_s\":%.2f,\"ops_s\":%.1f,"
      "\"p50_us\":%u,\"p99_us\":%u,\"p999_us\":%u,\"max_us\":%u}\n",
      JsonString(o.label).c_str(), OpName(o.op), o.size, SizeLabel(o.size).c_str(), o.connections,
      o.threads, o.unsigned_requests ? "false" : "true", t.requests, t.errors, t.seconds,
      static_cast<double>(t.bytes) / 1e6 / secs, static_cast<double>(t.bytes) / 1048576.0 / secs,
      static_cast<double>(ok) / secs, Percentile(t.latencies_us, 0.50),
      Percentile(t.latencies_us, 0.99), Percentile(t.latencies_us, 0.999),
      t.latencies_us.empty() ? 0u : t.latencies_us.back());
  return 0;
}

}  // namespace

std::optional<std::uint64_t> ParseSize(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::uint64_t n = 0;
  if (!ParseUnsigned(text.substr(0, digits), n)) return std::nullopt;
  std::string unit(text.substr(digits));
  for (char& c : unit) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  int shift = 0;
  if (unit.empty() || unit == "B") {
    shift = 0;
  } else if (unit == "K" || unit == "KB" || unit == "KIB") {
    shift = 10;
  } else if (unit == "M" || unit == "MB" || unit == "MIB") {
    shift = 20;
  } else if (unit == "G" || unit == "GB" || unit == "GIB") {
    shift = 30;
  } else {
    return std::nullopt;
  }
  if (n == 0 || n > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
  return n << shift;
}

std::string SizeLabel(std::uint64_t bytes) {
  static constexpr std::array<std::pair<int, const char*>, 3> kUnits{
      {{30, "GiB"}, {20, "MiB"}, {10, "KiB"}}};
  for (const auto& [shift, name] : kUnits) {
    const std::uint64_t unit = 1ull << shift;
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes >> shift) + name;
  }
  return std::to_string(bytes);
}

int RunLoad(int argc, char** argv) {
  Options options;
  const std::string problem = ParseArgs(argc, argv, options);
  if (problem == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!problem.empty()) {
    std::fprintf(stderr, "coffer-load: %s\n%s", problem.c_str(), kUsage);
    return 2;
  }

  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  auto crypto = core::auth::Crypto::Create(libctx);
  if (!crypto) {
    std::fprintf(stderr, "coffer-load: crypto: %s\n", crypto.error().message().c_str());
    return 1;
  }
  Shared shared(options);
  if (!options.unsigned_requests) {
    shared.signer.emplace(
        **crypto, core::auth::SigningCredentials{options.access_key, options.secret_key, ""},
        core::auth::SignerOptions{});
  }

  // Incompressible, reproducible body bytes.
  shared.streamed = options.size > kMaxBufferedBody;
  shared.body.resize(shared.streamed ? kStreamChunk : static_cast<std::size_t>(options.size));
  std::mt19937_64 fill(0xc0ffee);
  for (std::size_t i = 0; i + 8 <= shared.body.size(); i += 8) {
    const std::uint64_t v = fill();
    std::memcpy(shared.body.data() + i, &v, 8);
  }
  shared.payload_hash = options.payload_sha256 ? (*crypto)->Sha256Hex(shared.body)
                                               : std::string(core::auth::kUnsignedPayload);

  int rc = 1;
  {
    asio::io_context io(static_cast<int>(options.threads));
    error_code ec;
    tcp::resolver resolver(io);
    shared.endpoints = resolver.resolve(options.host, options.port, ec);
    if (ec) {
      std::fprintf(stderr, "coffer-load: resolve %s: %s\n", options.host.c_str(),
                   ec.message().c_str());
    } else if (options.tls) {
      asio::ssl::context tls(asio::ssl::context::tls_client);
      if (options.insecure) {
        tls.set_verify_mode(asio::ssl::verify_none);
      } else {
        tls.set_verify_mode(asio::ssl::verify_peer);
        if (options.cacert.empty()) {
          tls.set_default_verify_paths(ec);
        } else {
          tls.load_verify_file(options.cacert, ec);
        }
      }
      if (!options.tls_version.empty()) {
        const int version = options.tls_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
        SSL_CTX_set_min_proto_version(tls.native_handle(), version);
        SSL_CTX_set_max_proto_version(tls.native_handle(), version);
      }
      if (ec) {
        std::fprintf(stderr, "coffer-load: TLS setup: %s\n", ec.message().c_str());
      } else {
        shared.tls = &tls;
        rc = Drive<asio::ssl::stream<tcp::socket>>(shared, io);
      }
    } else {
      rc = Drive<tcp::socket>(shared, io);
    }
  }
  shared.signer.reset();
  crypto->reset();
  OSSL_LIB_CTX_free(libctx);
  return rc;
}

}  // namespace coffer::perf
