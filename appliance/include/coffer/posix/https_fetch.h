#pragma once
// The production env::DocumentFetcher: HTTPS GETs with Boost.Beast over
// OpenSSL, for OpenID discovery documents and JWKS. Each Get runs on its own
// private io_context (blocking the calling thread, bounded by the limits'
// timeout), verifies the server certificate and its host name or IP address
// against the trusted CAs, and refuses bodies over the size limit. Plain
// http:// is accepted for loopback hosts only (127.0.0.0/8, ::1, localhost).

#include <memory>
#include <string>

#include "coffer/base/result.h"
#include "coffer/env/http_fetch.h"

namespace coffer::posix {

struct HttpsFetcherOptions {
  // A certs dir whose CAs/*.crt (and *.pem) are trusted; may be empty.
  std::string certs_dir;
  // An extra PEM bundle to trust; may be empty.
  std::string ca_file;
  // Also trust the system's default roots.
  bool system_roots = true;
};

// Builds the fetcher. Errors: kFailedPrecondition when ca_file cannot be
// loaded. Unreadable files in CAs/ are skipped. The fetcher is thread-safe.
base::Result<std::unique_ptr<env::DocumentFetcher>> MakeHttpsFetcher(
    const HttpsFetcherOptions& options);

}  // namespace coffer::posix
