#pragma once
// A small blocking HTTP/1.1 client for `coffer conform`: one connection per request, plain or
// TLS (verified against the system store or a given CA file), every step bounded by a timeout.
// The engine needs exact control of the request bytes (SigV4 mutations, aws-chunked bodies),
// which no S3 SDK gives, so it speaks HTTP itself.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::conform {

using Headers = std::vector<std::pair<std::string, std::string>>;

// "http://host:port" or "https://host:port" (no path).
struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;

  std::string Url() const { return (tls ? "https://" : "http://") + HostHeader(); }
  // The Host header value: host, and the port unless it is the scheme's default.
  std::string HostHeader() const;
};

// Parses "http[s]://host[:port][/]". Errors: kInvalidArgument.
base::Result<Endpoint> ParseEndpoint(std::string_view url);

struct HttpResponse {
  unsigned status = 0;
  Headers headers;  // Names lower-case.
  std::string body;
  std::string local_address;  // The client's own address on the connection (aws:SourceIp).

  // The first value of header `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
  // The <Code> of an S3/STS XML error body, or "".
  std::string ErrorCode() const;
};

class HttpClient {
 public:
  // `ca_file`: PEM file of trusted CAs for TLS; empty: the system store.
  HttpClient(std::string ca_file, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (`target` is the raw path and query) with exactly `headers` (plus
  // Content-Length when there is a body or the method is PUT/POST) and returns the response.
  // Errors: kUnavailable (connect, TLS, timeout, I/O). Not thread-safe.
  base::Result<HttpResponse> Send(const Endpoint& endpoint, std::string_view method,
                                  std::string_view target, const Headers& headers,
                                  std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::conform
