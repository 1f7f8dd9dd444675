#pragma once
// The request head as the shell hands it to the core: the checks made on
// Beast's parsed head before any handler runs, and its conversion into
// core::HttpRequest. One place, shared by the sessions and the HTTP fuzz
// target (conformance/fuzz/http_request_fuzz.cc), so what is fuzzed is what
// serves.

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "coffer/core/http.h"

namespace coffer::server {

// The S3 error code of a head the shell refuses itself (400), or nullopt:
//   MetadataTooLarge: more than `max_header_count` fields;
//   BadRequest: Content-Length and Transfer-Encoding together (the request
//     smuggling shape: two framings that two parsers may read differently).
std::optional<std::string_view> RejectHead(const boost::beast::http::request_header<>& head,
                                           std::size_t max_header_count);

// Method, target and every field into `out` (field names lower-cased, values
// as received, order kept). Leaves the connection facts of `out` alone.
void ConvertHead(const boost::beast::http::request_header<>& head, core::HttpRequest& out);

}  // namespace coffer::server
