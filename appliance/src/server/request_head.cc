#include "coffer/server/request_head.h"

#include <string>

namespace coffer::server {

namespace http = boost::beast::http;

std::optional<std::string_view> RejectHead(const http::request_header<>& head,
                                           std::size_t max_header_count) {
  std::size_t count = 0;
  for (auto it = head.begin(); it != head.end(); ++it) ++count;
  if (count > max_header_count) return "MetadataTooLarge";
  // SECURITY: both framings at once is the request-smuggling shape.
  if (head.find(http::field::content_length) != head.end() &&
      head.find(http::field::transfer_encoding) != head.end()) {
    return "BadRequest";
  }
  return std::nullopt;
}

void ConvertHead(const http::request_header<>& head, core::HttpRequest& out) {
  out.method = std::string(head.method_string());
  out.target = std::string(head.target());
  out.headers.clear();
  for (const auto& field : head) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
}

}  // namespace coffer::server
