#include "console_http.h"

#include <array>
#include <cctype>
#include <cstddef>
#include <span>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/core/console/console.h"

namespace coffer::core::console {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

void AddSecurityHeaders(HeaderList& headers, bool no_store) {
  headers.emplace_back("content-security-policy", std::string(kContentSecurityPolicy));
  headers.emplace_back("x-content-type-options", "nosniff");
  headers.emplace_back("referrer-policy", "no-referrer");
  headers.emplace_back("x-frame-options", "DENY");
  headers.emplace_back("cross-origin-opener-policy", "same-origin");
  headers.emplace_back("cross-origin-resource-policy", "same-origin");
  if (no_store) headers.emplace_back("cache-control", "no-store");
}

HeaderList JsonHeaders() {
  HeaderList headers{{"content-type", "application/json"}};
  AddSecurityHeaders(headers, /*no_store=*/true);
  return headers;
}

void Send(ResponseWriter& response, unsigned status, HeaderList headers, std::string body) {
  if (!response.Start(status, headers, body.size()).has_value()) return;
  if (!body.empty()) {
    if (!response.Write(std::as_bytes(std::span<const char>(body.data(), body.size())))
             .has_value()) {
      return;
    }
  }
  (void)response.Finish();
}

void SendError(ResponseWriter& response, unsigned status, std::string_view code,
               std::string_view message) {
  const nlohmann::json body{{"Code", code}, {"Message", message}};
  Send(response, status, JsonHeaders(), body.dump());
}

void SendRedirect(ResponseWriter& response, std::string_view location, HeaderList extra) {
  HeaderList headers{{"location", std::string(location)}};
  for (auto& header : extra) headers.push_back(std::move(header));
  AddSecurityHeaders(headers, /*no_store=*/true);
  Send(response, 302, std::move(headers), "");
}

std::string CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const std::size_t end = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, end);
    cookie_header = end == std::string_view::npos ? "" : cookie_header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return "";
}

std::string SessionCookie(std::string_view id, std::chrono::seconds max_age, bool secure) {
  std::string cookie =
      std::string(kSessionCookie) + "=" + std::string(id) +
      "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
  if (secure) cookie += "; Secure";
  return cookie;
}

bool SameOrigin(const HttpRequest& request) {
  const std::string_view site = request.Header("sec-fetch-site");
  if (!site.empty() && site != "same-origin") return false;
  std::string_view origin = request.Header("origin");
  if (origin.empty()) return true;
  if (origin.starts_with("https://")) {
    origin.remove_prefix(8);
  } else if (origin.starts_with("http://")) {
    origin.remove_prefix(7);
  } else {
    return false;  // "null" (sandboxed frames, file:) and anything odd.
  }
  const std::string_view host = request.Header("host");
  return !host.empty() && EqualsIgnoreCase(origin, host);
}

bool TokensEqual(std::string_view presented, std::string_view expected) {
  if (expected.empty() || presented.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(presented[i] ^ expected[i]);
  }
  return diff == 0;
}

std::optional<std::string> ReadSmallBody(BodyReader& body, std::size_t limit) {
  std::string text;
  std::array<std::byte, 4096> buffer{};
  for (;;) {
    auto n = body.Read(buffer);
    if (!n) return std::nullopt;
    if (*n == 0) break;
    if (text.size() + *n > limit) return std::nullopt;
    text.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  return text;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> QueryValue(std::string_view target, std::string_view name) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

}  // namespace coffer::core::console
