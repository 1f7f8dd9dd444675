#include "coffer/core/auth/canonical.h"

#include <algorithm>

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::auth {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments, as
// the generic SigV4 services do. The result keeps a trailing slash.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> stack;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!stack.empty()) stack.pop_back();
    } else if (!segment.empty() && segment != ".") {
      stack.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : stack) {
    out += '/';
    out += segment;
  }
  const bool trailing = path.size() > 1 && path.back() == '/';
  if (out.empty() || trailing) out += '/';
  return out;
}

}  // namespace

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() + in.size() / 2);
  std::size_t run = 0;  // Start of the pending run of bytes that stay as they are.
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (IsUnreserved(c) || (keep_slash && c == '/')) continue;
    out.append(in.substr(run, i - run));
    const char escape[3] = {'%', kDigits[c >> 4], kDigits[c & 0xf]};
    out.append(escape, 3);
    run = i + 1;
  }
  out.append(in.substr(run));
  return out;
}

base::Result<std::string> UriDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return MakeS3Error(S3ErrorCode::kInvalidUri, "truncated percent-encoding");
      }
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return MakeS3Error(S3ErrorCode::kInvalidUri, "malformed percent-encoding");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

base::Result<std::string> CanonicalUri(std::string_view raw_path, const CanonicalOptions& options) {
  if (raw_path.empty()) return std::string("/");
  if (options.double_encode) {
    const std::string path =
        options.normalize_path ? NormalizePath(raw_path) : std::string(raw_path);
    return UriEncode(path, /*keep_slash=*/true);
  }
  COFFER_ASSIGN_OR_RETURN(std::string decoded, UriDecode(raw_path, /*plus_is_space=*/false));
  if (options.normalize_path) decoded = NormalizePath(decoded);
  return UriEncode(decoded, /*keep_slash=*/true);
}

base::Result<QueryParams> ParseQuery(std::string_view raw_query) {
  QueryParams params;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    const std::string_view name = piece.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    COFFER_ASSIGN_OR_RETURN(std::string decoded_name, UriDecode(name, true));
    COFFER_ASSIGN_OR_RETURN(std::string decoded_value, UriDecode(value, true));
    params.emplace_back(std::move(decoded_name), std::move(decoded_value));
  }
  return params;
}

std::string CanonicalQueryString(const QueryParams& params, std::string_view skip) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    if (!skip.empty() && name == skip) continue;
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

namespace {

// Appends the canonical form of `value` to `out`.
void AppendCanonicalHeaderValue(std::string_view value, std::string& out) {
  while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsBlank(value.back())) value.remove_suffix(1);
  // Most values have no blank runs to fold; copy those in one piece.
  bool needs_fold = false;
  // INVARIANT: the last byte is not blank (trimmed above), so value[i + 1] is
  // only read when i + 1 < size.
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\t' || (value[i] == ' ' && IsBlank(value[i + 1]))) {
      needs_fold = true;
      break;
    }
  }
  if (!needs_fold) {
    out.append(value);
    return;
  }
  bool pending_space = false;
  for (char c : value) {
    if (IsBlank(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
}

}  // namespace

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendCanonicalHeaderValue(value, out);
  return out;
}

base::Result<std::string> CanonicalHeaders(const HeaderList& headers,
                                           std::span<const std::string> signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out += name;
    out += ':';
    bool found = false;
    for (const auto& [key, value] : headers) {
      if (key != name) continue;
      if (found) out += ',';
      AppendCanonicalHeaderValue(value, out);
      found = true;
    }
    if (!found) {
      // Servers that answer "Expect: 100-continue" themselves may drop the
      // header before the core sees it; clients signed it with that value.
      if (name != "expect") {
        return MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch,
                           "signed header '" + name + "' is not present in the request");
      }
      out += "100-continue";
    }
    out += '\n';
  }
  return out;
}

std::string JoinSignedHeaders(std::span<const std::string> signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const CanonicalRequestParts& parts) {
  std::string out;
  out.reserve(parts.method.size() + parts.canonical_uri.size() + parts.canonical_query.size() +
              parts.canonical_headers.size() + parts.signed_headers.size() +
              parts.payload_hash.size() + 8);
  out += parts.method;
  out += '\n';
  out += parts.canonical_uri;
  out += '\n';
  out += parts.canonical_query;
  out += '\n';
  out += parts.canonical_headers;
  out += '\n';
  out += parts.signed_headers;
  out += '\n';
  out += parts.payload_hash;
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.reserve(date.size() + region.size() + service.size() + 16);
  out += date;
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request";
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request_sha256_hex) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += canonical_request_sha256_hex;
  return out;
}

}  // namespace coffer::core::auth
