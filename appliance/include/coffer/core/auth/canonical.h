#pragma once
// SigV4 canonicalisation (AWS "Create a canonical request"): URI encoding,
// the canonical URI and query string, canonical headers, the canonical
// request and the string to sign. Pure functions over strings, shared by the
// verifier and the signer so that both sides canonicalise identically.
//
// S3 rules are the default: the path is neither normalised nor encoded twice.
// The generic-service rules of the AWS test suite (remove dot segments and
// duplicate slashes, encode the path as sent) are an option.

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/http.h"

namespace coffer::core::auth {

struct CanonicalOptions {
  // Generic services: remove "." and ".." segments and collapse "//". S3 never
  // normalises: "a//b" and "a/./b" are different object keys.
  bool normalize_path = false;
  // Generic services: encode the path as sent (so "%20" becomes "%2520").
  // S3 (false): decode the path once and encode it once, AWS-style.
  bool double_encode = false;
};

// Decoded query parameters in request order: (name, value), both decoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits a request-target at the first '?': (path, query), both still encoded.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// AWS UriEncode: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX with
// upper-case hex; '/' is kept when `keep_slash`.
std::string UriEncode(std::string_view in, bool keep_slash);

// Percent-decodes `in`. With `plus_is_space` (query strings), '+' decodes to
// a space. Errors: InvalidURI for a '%' not followed by two hex digits.
base::Result<std::string> UriDecode(std::string_view in, bool plus_is_space);

// Returns the canonical URI of an encoded request path ("" becomes "/").
// Errors: InvalidURI for malformed percent-encoding.
base::Result<std::string> CanonicalUri(std::string_view raw_path, const CanonicalOptions& options);

// Parses an encoded query string. Empty pieces ("a=1&&b") are skipped; a key
// without '=' has an empty value. Errors: InvalidURI.
base::Result<QueryParams> ParseQuery(std::string_view raw_query);

// The canonical query string: each name and value UriEncoded, sorted by name
// then value (byte order), joined with '&'. Parameters named `skip` (e.g.
// X-Amz-Signature for presigned URLs) are left out.
std::string CanonicalQueryString(const QueryParams& params, std::string_view skip = {});

// Trims leading and trailing spaces and tabs and folds each inner run of them
// into one space.
std::string CanonicalHeaderValue(std::string_view value);

// "name:v1,v2\n" for each of `signed_headers` in the given order, where the
// values are every occurrence of that header in `headers`, in request order.
// A signed "expect" header that the HTTP layer consumed canonicalises as
// "100-continue". Errors: SignatureDoesNotMatch when a signed header is absent.
base::Result<std::string> CanonicalHeaders(const HeaderList& headers,
                                           std::span<const std::string> signed_headers);

// "a;b;c".
std::string JoinSignedHeaders(std::span<const std::string> signed_headers);

struct CanonicalRequestParts {
  std::string_view method;
  std::string_view canonical_uri;
  std::string_view canonical_query;
  std::string_view canonical_headers;  // Each line ends with '\n'.
  std::string_view signed_headers;
  std::string_view payload_hash;
};
std::string CanonicalRequest(const CanonicalRequestParts& parts);

// "date/region/service/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex SHA-256 of the canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request_sha256_hex);

}  // namespace coffer::core::auth
