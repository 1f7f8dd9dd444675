#include "coffer/core/audit/redact.h"

#include <array>
#include <cctype>

namespace coffer::core::audit {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// SECURITY: the complete list of secret-bearing headers. A header that a new
// feature adds and that carries a secret must be added here (and to the
// redaction test).
constexpr std::array<std::string_view, 11> kSecretHeaders = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",     // The web console's session id, in its login answer.
    "x-coffer-csrf",  // The web console's per-session CSRF token.
    "x-amz-security-token",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
    "x-coffer-auth-token",
};

// SECURITY: query parameters that carry signatures, credentials, session
// tokens and STS passwords (presigned URLs, SigV2, STS GET forms).
constexpr std::array<std::string_view, 11> kSecretQueryKeys = {
    "x-amz-signature",
    "signature",
    "x-amz-credential",
    "x-amz-security-token",
    "awsaccesskeyid",
    "ldappassword",
    "webidentitytoken",
    "token",
    "clientsecret",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && in[i] == '+' ? ' ' : in[i]);
  }
  return out;
}

}  // namespace

bool IsSecretHeader(std::string_view name) {
  for (std::string_view secret : kSecretHeaders) {
    if (EqualsIgnoreCase(name, secret)) return true;
  }
  return false;
}

bool IsSecretQueryKey(std::string_view name) {
  for (std::string_view secret : kSecretQueryKeys) {
    if (EqualsIgnoreCase(name, secret)) return true;
  }
  return false;
}

HeaderList RedactHeaders(const HeaderList& headers) {
  HeaderList out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    out.emplace_back(name, IsSecretHeader(name) ? std::string(kRedacted) : value);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> RedactedQuery(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    std::string key = PercentDecode(part.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(part.substr(eq + 1), true);
    if (IsSecretQueryKey(key)) value = std::string(kRedacted);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::string RequestPath(std::string_view target) {
  return PercentDecode(target.substr(0, target.find('?')), false);
}

}  // namespace coffer::core::audit
