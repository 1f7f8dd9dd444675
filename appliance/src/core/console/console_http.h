#pragma once
// Small HTTP helpers of the console handler: answers with the console's
// security headers, cookies, origin checks. Private to the console.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/core/http.h"

namespace coffer::core::console {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Adds Content-Security-Policy, nosniff, no-referrer, DENY framing and
// same-origin isolation; with `no_store`, Cache-Control: no-store too.
void AddSecurityHeaders(HeaderList& headers, bool no_store);

HeaderList JsonHeaders();  // JSON content type and the security headers (no-store).

// Writes a whole answer. HEAD requests get the head only (the shell drops the
// body).
void Send(ResponseWriter& response, unsigned status, HeaderList headers, std::string body);
// {"Code","Message"} with the security headers.
void SendError(ResponseWriter& response, unsigned status, std::string_view code,
               std::string_view message);
// 302 to `location` (a path of this origin), with `extra` headers.
void SendRedirect(ResponseWriter& response, std::string_view location, HeaderList extra = {});

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(std::string_view cookie_header, std::string_view name);

// The session cookie: HttpOnly, SameSite=Strict, Path=/console, Secure on TLS.
// An empty `id` with a zero max age deletes it.
std::string SessionCookie(std::string_view id, std::chrono::seconds max_age, bool secure);

// False when the browser says the request comes from another site: a
// Sec-Fetch-Site other than same-origin, or an Origin whose host:port is not
// the request's Host.
bool SameOrigin(const HttpRequest& request);

// Constant-time comparison of a presented token with the expected one.
bool TokensEqual(std::string_view presented, std::string_view expected);

// Reads a body of at most `limit` bytes; nullopt when larger or unreadable.
std::optional<std::string> ReadSmallBody(BodyReader& body, std::size_t limit);

// Percent-decodes a query value ('+' is a space); nullopt on a bad escape.
std::optional<std::string> QueryValue(std::string_view target, std::string_view name);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);

}  // namespace coffer::core::console
