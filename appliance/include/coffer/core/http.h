#pragma once
// The values that cross the seam between the HTTP shell (coffer::server) and
// the request core. The shell parses and frames; it never decides. The
// simulator builds the same values and calls the same core.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::core {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What a handler learned about one request, for the audit entry and metrics.
// The shell (or the simulator) owns one per request and points
// HttpRequest::facts at it; handlers fill in what they know. Never a secret.
struct RequestFacts {
  std::string api;     // Operation name as MinIO's audit has it: "PutObject", "AssumeRole".
  std::string bucket;  // Empty when the request names none.
  std::string object;
  std::string access_key;   // The authenticated access key; empty when anonymous.
  std::string parent_user;  // The user a service account or STS session acts for.
  std::string error_code;   // S3/STS error code of the response, empty on success.
  // On an authorization deny: the deciding policy and statement ("" when the
  // deny is implicit: no statement allowed).
  std::string deny_policy;
  std::string deny_statement;
  std::vector<std::pair<std::string, std::string>> tags;  // Extra audit tags, sorted by name.
};

// One parsed request head. Header names are lower-case; order is preserved.
struct HttpRequest {
  std::string method;
  std::string target;  // Raw request-target: path and query, still encoded.
  HeaderList headers;
  std::string remote_address;  // Socket peer "ip:port" (never a forwarded header).
  bool secure = false;         // True on TLS connections.
  // The verified client certificate on an mTLS connection (empty otherwise).
  std::string client_cert_subject;  // RFC 2253 distinguished name.
  std::string client_cert_cn;       // Its common name.
  std::string request_id;           // Assigned by the shell before the core sees it.
  std::string body;                 // Filled only by BufferedHandler for RequestHandler.
  // The verified client certificate's lower-case hex SHA-256 of its DER
  // SubjectPublicKeyInfo: the identity KES (`kes identity of`) and
  // `coffer kms serve` authorize by. Empty without a client certificate.
  std::string client_cert_spki_sha256;
  // Where handlers record audit facts; null when nobody listens. Points to a
  // per-request object, so a const request can still be filled in.
  RequestFacts* facts = nullptr;

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

// The request body, pulled by the core. The shell sends "100 Continue" to a
// client that asked for it only when the core first calls Read(), i.e. after
// the core has decided to accept the body (authenticated, authorized).
class BodyReader {
 public:
  virtual ~BodyReader() = default;

  // Reads up to out.size() bytes of the body (transfer coding removed).
  // Returns 0 at the end of the body. Errors: kDeadlineExceeded (the client
  // stalled), kUnavailable (connection lost), kInvalidArgument (bad framing,
  // or fewer bytes than Content-Length announced), kResourceExhausted (body
  // over the limit).
  virtual base::Result<std::size_t> Read(std::span<std::byte> out) = 0;
  // The Content-Length the client sent, if any.
  virtual std::optional<std::uint64_t> content_length() const = 0;
};

// The response, pushed by the core: Start once, Write any number of times,
// Finish once. A response to HEAD sends the head only; the shell drops
// Write()s for it.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sends the status line and headers. `content_length` is the exact body
  // size, or nullopt for chunked transfer coding.
  virtual base::Status Start(unsigned status, const HeaderList& headers,
                             std::optional<std::uint64_t> content_length) = 0;
  virtual base::Status Write(std::span<const std::byte> data) = 0;
  virtual base::Status Finish() = 0;
  // True once Start() has been called (an error can then only close the
  // connection, not become an error response).
  virtual bool started() const = 0;
};

// The core's streaming entry point. Serve() runs on a worker thread, never on
// an I/O thread, so it may block on disk work. Implementations are
// thread-safe. When Serve() returns without Finish(), the shell closes the
// connection.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) = 0;
};

// Serves a RequestHandler through the streaming interface: reads the whole
// body (up to `body_limit_bytes`), calls Handle(), writes the answer.
class BufferedHandler final : public Handler {
 public:
  BufferedHandler(RequestHandler& inner, std::size_t body_limit_bytes)
      : inner_(inner), body_limit_bytes_(body_limit_bytes) {}
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

 private:
  RequestHandler& inner_;
  std::size_t body_limit_bytes_;
};

}  // namespace coffer::core
