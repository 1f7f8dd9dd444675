// libFuzzer target for the HTTP/1.1 request framing of the shell: Beast's
// request parser with the limits `coffer serve` sets (16 KiB of head, 128
// fields), then the shell's own head checks and conversion
// (coffer/server/request_head.h), over as many pipelined requests as the
// input holds. Bodies are read through a small buffer_body window, as the
// sessions read them.
//
// Properties: no crash, no sanitizer report; a head the shell accepts has at
// most 128 fields, never both Content-Length and Transfer-Encoding, a
// non-empty method and target, lower-case field names without separators and
// values without CR or LF; a body with a Content-Length delivers exactly that
// many bytes when the parser says it is done; the parser never reports more
// body bytes than the input had.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "coffer/core/http.h"
#include "coffer/server/request_head.h"

namespace {

namespace http = boost::beast::http;

constexpr std::size_t kHeaderLimit = 16 * 1024;  // ServerOptions::header_limit_bytes
constexpr std::size_t kMaxFields = 128;          // ServerOptions::max_header_count
constexpr std::uint64_t kBodyLimit = 1 << 20;    // Smaller than serve's 5 TiB: inputs are small.

void Require(bool condition) {
  if (!condition) std::abort();
}

// Parses one request from `input`; returns the bytes it consumed, or 0 when
// parsing stopped (error, or the input ended first).
std::size_t OneRequest(std::string_view input) {
  http::request_parser<http::buffer_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(kHeaderLimit));
  parser.body_limit(kBodyLimit);
  parser.eager(false);
  std::size_t used = 0;
  boost::beast::error_code ec;
  while (!parser.is_header_done()) {
    const std::size_t n =
        parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) return 0;  // Input ended inside the head.
    if (ec) return 0;
    if (n == 0) return 0;
  }
  const auto& head = parser.get();
  const std::optional<std::string_view> refused = coffer::server::RejectHead(head, kMaxFields);
  if (refused.has_value()) {
    Require(*refused == "MetadataTooLarge" || *refused == "BadRequest");
    return 0;  // The shell answers 400 and closes.
  }
  coffer::core::HttpRequest request;
  coffer::server::ConvertHead(head, request);
  Require(!request.method.empty() && !request.target.empty());
  Require(request.headers.size() <= kMaxFields);
  bool has_length = false;
  bool has_encoding = false;
  for (const auto& [name, value] : request.headers) {
    Require(!name.empty());
    for (char c : name) Require(!(c >= 'A' && c <= 'Z') && c != ':' && c != ' ' && c != '\t');
    Require(value.find('\r') == std::string::npos && value.find('\n') == std::string::npos);
    has_length = has_length || name == "content-length";
    has_encoding = has_encoding || name == "transfer-encoding";
  }
  Require(!(has_length && has_encoding));

  const auto length = parser.content_length();  // boost::optional
  std::uint64_t body = 0;
  char window[4096];
  while (!parser.is_done()) {
    parser.get().body().data = window;
    parser.get().body().size = sizeof(window);
    const std::size_t n =
        parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
    used += n;
    body += sizeof(window) - parser.get().body().size;
    if (ec == http::error::need_buffer) continue;  // The window filled up.
    if (ec) return 0;
    if (n == 0) {
      // Input ended before the body did (a read would wait for more bytes).
      Require(body <= input.size());
      return 0;
    }
  }
  Require(body <= input.size());
  if (length.has_value()) Require(body == *length);
  return used;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Keep-alive: requests back to back on one connection.
  for (int i = 0; i < 8 && !input.empty(); ++i) {
    const std::size_t used = OneRequest(input);
    if (used == 0) break;
    input.remove_prefix(used);
  }
  return 0;
}
