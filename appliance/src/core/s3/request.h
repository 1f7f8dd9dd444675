#pragma once
// Parsing an S3 request target: which bucket and key it names (path-style
// "/bucket/key" or virtual-host-style "bucket.domain/key") and its decoded
// query parameters. Names are validated here, before anything else reads them.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/http.h"

namespace coffer::core::s3 {

struct S3Request {
  std::string path;    // The decoded path, for the error's <Resource>.
  std::string bucket;  // Decoded; empty for service-level requests.
  std::string key;     // Decoded; empty for bucket-level requests.
  std::vector<std::pair<std::string, std::string>> query;  // Decoded, in order.
  bool virtual_host = false;

  bool Has(std::string_view name) const;
  // The first value of `name`, or nullopt when absent.
  std::optional<std::string_view> Query(std::string_view name) const;
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). Returns
// nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);
// Encodes for XML listings with encoding-type=url: everything except
// unreserved characters and '/'.
std::string UrlEncodeKey(std::string_view in);

// S3's bucket name rules: 3..63 of a-z 0-9 . -, starting and ending with a
// letter or digit, no "..", not an IP address.
bool IsValidBucketName(std::string_view name);

// Parses `request`'s target. Errors (S3 codes): InvalidURI (bad escapes, a
// target that is not a path), InvalidBucketName, KeyTooLongError (over 1024
// bytes), InvalidArgument (a key with control characters or "." / ".."
// segments).
base::Result<S3Request> ParseS3Request(const HttpRequest& request,
                                       std::span<const std::string> domains);

}  // namespace coffer::core::s3
