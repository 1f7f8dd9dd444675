#pragma once
// The peer seam for fetching small public documents over HTTPS: an OpenID
// provider's discovery document and its JWKS, and the one form POST of the
// OAuth 2.0 authorization-code redemption at its token endpoint. Narrow on
// purpose: one request to one URL with a deadline and a size limit, nothing
// else, so the request core never holds a socket and the simulator can script
// a slow, down or lying provider.
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
#include "coffer/base/secret.h"

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
  // POSTs `form` as application/x-www-form-urlencoded to `url` (an OAuth 2.0
  // token endpoint) and returns the body of a 200 answer. `authorization`,
  // when not empty, is sent as the Authorization header value (HTTP Basic
  // client credentials). Both carry secrets (code, code_verifier, client
  // secret): they never appear in errors or logs. Same URL rules, TLS trust,
  // limits and errors as Get; a non-200 answer is kUnavailable whose message
  // names the status and the OAuth "error" code when the body has one.
  // Thread-safe. The default refuses (kUnimplemented) for fetchers that only
  // GET.
  virtual base::Result<std::string> PostForm(std::string_view url, const base::Secret& form,
                                             const base::Secret& authorization,
                                             const FetchLimits& limits);
};

inline base::Result<std::string> DocumentFetcher::PostForm(std::string_view /*url*/,
                                                           const base::Secret& /*form*/,
                                                           const base::Secret& /*authorization*/,
                                                           const FetchLimits& /*limits*/) {
  return base::Unimplemented("this fetcher does not POST");
}

}  // namespace coffer::env
