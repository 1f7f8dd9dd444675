#pragma once
// The values that cross the seam between the HTTP shell (coffer::server) and
// the request core. The shell parses and frames; it never decides. The
// simulator builds the same values and calls the same core.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coffer::core {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One parsed request head. Header names are lower-case; order is preserved.
struct HttpRequest {
  std::string method;
  std::string target;  // Raw request-target: path and query, still encoded.
  HeaderList headers;
  std::string remote_address;  // Socket peer "ip:port" (never a forwarded header).
  bool secure = false;         // True on TLS connections.
  std::string request_id;      // Assigned by the shell before the core sees it.

  // Returns the first value of header `name` (lower-case), or "" when absent.
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

struct HttpResponse {
  unsigned status = 200;
  HeaderList headers;
  std::string body;
};

// The core's entry point for requests with small, fully buffered bodies.
// Implementations are thread-safe.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
};

}  // namespace coffer::core
