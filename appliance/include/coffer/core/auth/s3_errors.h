#pragma once
// The S3 error table: every S3 error code the request core can return, with
// its HTTP status and a default message. The S3 API renders errors from this
// table, so that the code string, the status and the message always agree.
//
// S3-facing failures travel as ordinary base::Error values. Their message
// starts with the S3 code and a colon ("SignatureDoesNotMatch: detail"), which
// S3ErrorCodeOf() recognises; the base::ErrorCode is chosen from the table, so
// callers that do not speak S3 still see a meaningful canonical code.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "coffer/base/error.h"

namespace coffer::core::auth {

enum class S3ErrorCode {
  kAccessDenied,
  kAuthorizationHeaderMalformed,
  kAuthorizationQueryParametersError,
  kBadDigest,
  kBucketAlreadyExists,
  kBucketAlreadyOwnedByYou,
  kBucketNotEmpty,
  kEntityTooLarge,
  kEntityTooSmall,
  kExpiredToken,
  kIllegalVersioningConfigurationException,
  kIncompleteBody,
  kInsufficientStorage,
  kInternalError,
  kInvalidAccessKeyId,
  kInvalidArgument,
  kInvalidBucketName,
  kInvalidChunkSizeError,
  kInvalidDigest,
  kInvalidPart,
  kInvalidPartOrder,
  kInvalidRange,
  kInvalidRequest,
  kInvalidTag,
  kInvalidToken,
  kInvalidUri,
  kKmsNotFoundException,  // SSE-KMS with a key the key service does not hold.
  kKeyTooLongError,
  kMalformedPolicy,
  kMalformedTrailerError,
  kMalformedXml,
  kMethodNotAllowed,
  kMissingContentLength,
  kMissingRequestBodyError,
  kMissingSecurityHeader,
  kNoSuchBucket,
  kNoSuchBucketPolicy,
  kNoSuchKey,
  kNoSuchUpload,
  kNoSuchVersion,
  kNotImplemented,
  kNotModified,
  kPreconditionFailed,
  kRequestTimeTooSkewed,
  kRequestTimeout,
  kServerSideEncryptionConfigurationNotFoundError,
  kServiceUnavailable,
  kSignatureDoesNotMatch,
  kSlowDown,
  kXAmzContentSha256Mismatch,
};

// One row of the table. `name` is the <Code> element; `default_message` is
// never empty (awscli crashes on an empty <Message>).
struct S3ErrorInfo {
  S3ErrorCode code;
  std::string_view name;
  std::uint16_t http_status;
  std::string_view default_message;
  base::ErrorCode error_code;  // The canonical code carried by the base::Error.
};

// Returns the row for `code`. Never fails; thread-safe (the table is constant).
const S3ErrorInfo& S3ErrorInfoFor(S3ErrorCode code);

// Returns every row, in the enum's order. For tests and for documentation.
std::span<const S3ErrorInfo> AllS3Errors();

// Builds the base::Error for an S3 failure. `detail` is the message shown to
// the client; when empty the table's default message is used. SECURITY: the
// detail must never hold key material (callers pass names and positions).
base::Error MakeS3Error(S3ErrorCode code, std::string_view detail = {});

// Returns the S3 code an error was built with by MakeS3Error, or nullopt for an
// error from elsewhere (which the S3 API should answer as InternalError).
std::optional<S3ErrorCode> S3ErrorCodeOf(const base::Error& error);

// What to send to an S3 client for any error: the row (InternalError for
// errors that carry no S3 code) and a non-empty message.
struct S3ErrorReply {
  const S3ErrorInfo* info;
  std::string message;
};
S3ErrorReply ToS3ErrorReply(const base::Error& error);

}  // namespace coffer::core::auth
