#include "request.h"

#include <algorithm>
#include <cctype>

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {
namespace {

using auth::MakeS3Error;
using auth::S3ErrorCode;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // IPv6 literal: never a bucket host.
    return host;
  }
  const std::size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool IsIpv4(std::string_view s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

base::Status ValidateKey(std::string_view key) {
  if (key.size() > 1024) return MakeS3Error(S3ErrorCode::kKeyTooLongError);
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "Object name contains unsupported characters.");
    }
  }
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view segment = key.substr(start, end - start);
    if (segment == "." || segment == "..") {
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "Object name contains a '.' or '..' path segment.");
    }
    start = end + 1;
  }
  return base::Ok();
}

}  // namespace

bool S3Request::Has(std::string_view name) const { return Query(name).has_value(); }

std::optional<std::string_view> S3Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UrlEncodeKey(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool IsValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  if (name.find("..") != std::string_view::npos) return false;
  if (name.find(".-") != std::string_view::npos || name.find("-.") != std::string_view::npos) {
    return false;
  }
  // Prefixes and suffixes S3 reserves (punycode, access points, Object Lambda).
  for (std::string_view prefix : {"xn--", "sthree-"}) {
    if (name.starts_with(prefix)) return false;
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3"}) {
    if (name.ends_with(suffix)) return false;
  }
  return !IsIpv4(name);
}

base::Result<S3Request> ParseS3Request(const HttpRequest& request,
                                       std::span<const std::string> domains) {
  std::string_view target = request.target;
  if (target.empty() || target.front() != '/') {
    return MakeS3Error(S3ErrorCode::kInvalidUri, "The request target must be an absolute path.");
  }
  S3Request out;
  const std::size_t qmark = target.find('?');
  const std::string_view raw_path = target.substr(0, qmark);
  if (qmark != std::string_view::npos) {
    std::string_view rest = target.substr(qmark + 1);
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      auto name = PercentDecode(pair.substr(0, eq), true);
      auto value = PercentDecode(
          eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
      if (!name || !value) {
        return MakeS3Error(S3ErrorCode::kInvalidUri, "The query string has a malformed escape.");
      }
      out.query.emplace_back(std::move(*name), std::move(*value));
    }
  }
  auto path = PercentDecode(raw_path, false);
  if (!path) return MakeS3Error(S3ErrorCode::kInvalidUri, "The path has a malformed escape.");
  out.path = *path;

  // Virtual-host style: Host "bucket.domain[:port]" for a configured domain.
  const std::string_view host = HostWithoutPort(request.Header("host"));
  for (const std::string& domain : domains) {
    if (host.size() > domain.size() + 1 && host.ends_with(domain) &&
        host[host.size() - domain.size() - 1] == '.') {
      out.bucket = std::string(host.substr(0, host.size() - domain.size() - 1));
      out.virtual_host = true;
      out.key = path->substr(1);
      break;
    }
  }
  if (!out.virtual_host) {
    const std::string_view p = std::string_view(*path).substr(1);
    const std::size_t slash = p.find('/');
    out.bucket = std::string(p.substr(0, slash));
    if (slash != std::string_view::npos) out.key = std::string(p.substr(slash + 1));
  }
  if (!out.bucket.empty() && !IsValidBucketName(out.bucket)) {
    return MakeS3Error(S3ErrorCode::kInvalidBucketName);
  }
  if (out.bucket.empty() && !out.key.empty()) {
    return MakeS3Error(S3ErrorCode::kInvalidUri, "An object key needs a bucket.");
  }
  if (!out.key.empty()) COFFER_RETURN_IF_ERROR(ValidateKey(out.key));
  return out;
}

}  // namespace coffer::core::s3
