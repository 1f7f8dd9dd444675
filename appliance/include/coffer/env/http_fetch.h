#pragma once
// The peer seam for fetching small public documents over HTTPS: an OpenID
// provider's discovery document and its JWKS. Narrow on purpose: a GET of one
// URL with a deadline and a size limit, nothing else, so the request core
// never holds a socket and the simulator can script a slow, down or lying
// provider.
//
// Production (coffer::https_fetch, appliance/src/posix/https_fetch.cc) verifies
// the server's certificate and host name against the certs dir's CAs/ (or a CA
// file) and the system roots; plain http:// is accepted for loopback hosts
// only.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "coffer/base/result.h"

namespace coffer::env {

struct FetchLimits {
  // The whole exchange (resolve, connect, TLS, request, response) must finish
  // within this.
  std::chrono::milliseconds timeout{5000};
  // A larger response body is an error, not a truncation.
  std::size_t max_body_bytes = 1024 * 1024;
};

class DocumentFetcher {
 public:
  virtual ~DocumentFetcher() = default;
  // GETs `url` and returns the body of a 200 answer. Thread-safe.
  // Errors: kInvalidArgument for an unusable URL (bad scheme, plain http to a
  // non-loopback host); kUnavailable when the server cannot be reached, fails
  // TLS verification, times out, answers other than 200 or sends more than
  // max_body_bytes. Messages name the host, never credentials.
  virtual base::Result<std::string> Get(std::string_view url, const FetchLimits& limits) = 0;
};

}  // namespace coffer::env
