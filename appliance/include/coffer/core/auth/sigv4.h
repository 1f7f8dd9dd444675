#pragma once
// Parsers for the SigV4 vocabulary found in a request: the Authorization
// header, the presigned-URL query parameters, request dates and the
// x-amz-content-sha256 payload modes. Strict by design: each malformation has
// its own error message, and every error carries the S3 code to answer with
// (see s3_errors.h). Pure functions; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::auth {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayloadTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedPayloadTrailer =
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// The longest validity of a presigned URL: seven days.
inline constexpr std::chrono::seconds kPresignedExpiresMax{604800};

// "AK/20150830/us-east-1/s3/aws4_request", split.
struct CredentialScopeParts {
  std::string access_key;
  std::string date;  // yyyymmdd.
  std::string region;
  std::string service;

  std::string Scope() const { return CredentialScope(date, region, service); }
};

// Parses a Credential value. Errors carry `code` (AuthorizationHeaderMalformed
// for headers, AuthorizationQueryParametersError for presigned URLs).
base::Result<CredentialScopeParts> ParseCredential(std::string_view value, S3ErrorCode code);

// Parses "host;x-amz-date": non-empty, lower-case, no duplicates. The order is
// kept: the client signed its headers in this order.
base::Result<std::vector<std::string>> ParseSignedHeaders(std::string_view value, S3ErrorCode code);

struct AuthorizationHeader {
  CredentialScopeParts credential;
  std::vector<std::string> signed_headers;
  std::string signature;  // 64 lower-case hex digits.
};

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
// Errors (all AuthorizationHeaderMalformed, each with its own message): wrong
// algorithm, a missing, duplicated, unknown or empty component, a bad
// credential (date, terminator, missing parts), bad signed headers, a
// signature that is not 64 lower-case hex digits.
base::Result<AuthorizationHeader> ParseAuthorizationHeader(std::string_view value);

struct PresignedQuery {
  CredentialScopeParts credential;
  std::string amz_date;  // As sent, yyyymmddThhmmssZ.
  base::WallTime time;
  std::chrono::seconds expires;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::optional<std::string> security_token;
  std::optional<std::string> content_sha256;
};

// True when the query carries any SigV4 presigning parameter.
bool HasPresignedParameters(const QueryParams& params);

// Parses the X-Amz-* presigning parameters. Errors
// (AuthorizationQueryParametersError): a missing or duplicated parameter, an
// algorithm other than AWS4-HMAC-SHA256, a bad credential or date, X-Amz-Expires
// that is not an integer in 1..604800.
base::Result<PresignedQuery> ParsePresignedQuery(const QueryParams& params);

// Parses ISO 8601 basic "20150830T123600Z". Errors: InvalidArgument.
base::Result<base::WallTime> ParseAmzDate(std::string_view text);
// Parses an HTTP Date header (IMF-fixdate, "Sun, 30 Aug 2015 12:36:00 GMT"),
// or the ISO 8601 basic form. Errors: InvalidArgument.
base::Result<base::WallTime> ParseHttpDate(std::string_view text);
// Formats "20150830T123600Z" (seconds truncated).
std::string FormatAmzDate(base::WallTime time);

enum class PayloadMode {
  kSignedSha256,              // A hex SHA-256 of the whole body.
  kUnsigned,                  // UNSIGNED-PAYLOAD.
  kStreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD.
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER.
};

// True for the three aws-chunked modes.
bool IsStreaming(PayloadMode mode);

struct PayloadSpec {
  PayloadMode mode = PayloadMode::kUnsigned;
  std::string sha256_hex;  // For kSignedSha256 only.
  std::string value;       // The header value as signed.
};

// Parses an x-amz-content-sha256 value. Errors: InvalidArgument for anything
// but 64 hex digits or one of the four literal modes.
base::Result<PayloadSpec> ParseContentSha256(std::string_view value);

}  // namespace coffer::core::auth
