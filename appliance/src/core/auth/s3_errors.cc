#include "coffer/core/auth/s3_errors.h"

#include <array>

#include "coffer/base/assert.h"

namespace coffer::core::auth {
namespace {

using base::ErrorCode;

// INVARIANT: rows are in S3ErrorCode order, so the enum value is the index.
constexpr std::array<S3ErrorInfo, 50> kTable = {{
    {S3ErrorCode::kAccessDenied, "AccessDenied", 403, "Access Denied.",
     ErrorCode::kPermissionDenied},
    {S3ErrorCode::kAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400,
     "The authorization header is malformed.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400,
     "Error parsing the query-string authentication parameters.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kBadDigest, "BadDigest", 400,
     "The checksum you specified did not match the calculated checksum.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kBucketAlreadyExists, "BucketAlreadyExists", 409,
     "The requested bucket name is not available. The bucket namespace is shared by all users of "
     "the system. Please select a different name and try again.",
     ErrorCode::kAlreadyExists},
    {S3ErrorCode::kBucketAlreadyOwnedByYou, "BucketAlreadyOwnedByYou", 409,
     "Your previous request to create the named bucket succeeded and you already own it.",
     ErrorCode::kAlreadyExists},
    {S3ErrorCode::kBucketNotEmpty, "BucketNotEmpty", 409,
     "The bucket you tried to delete is not empty.", ErrorCode::kFailedPrecondition},
    {S3ErrorCode::kEntityTooLarge, "EntityTooLarge", 400,
     "Your proposed upload exceeds the maximum allowed object size.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kEntityTooSmall, "EntityTooSmall", 400,
     "Your proposed upload is smaller than the minimum allowed object size.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kExpiredToken, "ExpiredToken", 400, "The provided token has expired.",
     ErrorCode::kUnauthenticated},
    {S3ErrorCode::kIllegalVersioningConfigurationException,
     "IllegalVersioningConfigurationException", 400,
     "The versioning configuration specified in the request is invalid.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kIncompleteBody, "IncompleteBody", 400,
     "You did not provide the number of bytes specified by the Content-Length HTTP header.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInsufficientStorage, "InsufficientStorage", 507,
     "Storage backend has reached its minimum free drive threshold. Please delete a few objects to "
     "proceed.",
     ErrorCode::kResourceExhausted},
    {S3ErrorCode::kInternalError, "InternalError", 500,
     "We encountered an internal error. Please try again.", ErrorCode::kInternal},
    {S3ErrorCode::kInvalidAccessKeyId, "InvalidAccessKeyId", 403,
     "The AWS Access Key Id you provided does not exist in our records.",
     ErrorCode::kUnauthenticated},
    {S3ErrorCode::kInvalidArgument, "InvalidArgument", 400, "Invalid Argument.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidBucketName, "InvalidBucketName", 400,
     "The specified bucket is not valid.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidChunkSizeError, "InvalidChunkSizeError", 400,
     "The chunk size in the aws-chunked body is invalid.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidDigest, "InvalidDigest", 400,
     "The Content-MD5 or checksum value you specified is not valid.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidPart, "InvalidPart", 400,
     "One or more of the specified parts could not be found. The part may not have been uploaded, "
     "or the specified entity tag may not match the part's entity tag.",
     ErrorCode::kFailedPrecondition},
    {S3ErrorCode::kInvalidPartOrder, "InvalidPartOrder", 400,
     "The list of parts was not in ascending order. The parts list must be specified in order by "
     "part number.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidRange, "InvalidRange", 416, "The requested range is not satisfiable.",
     ErrorCode::kOutOfRange},
    {S3ErrorCode::kInvalidRequest, "InvalidRequest", 400, "Invalid Request.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidTag, "InvalidTag", 400, "The tag provided was not a valid tag.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kInvalidToken, "InvalidToken", 400,
     "The provided token is malformed or otherwise invalid.", ErrorCode::kUnauthenticated},
    {S3ErrorCode::kInvalidUri, "InvalidURI", 400, "Couldn't parse the specified URI.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kKmsNotFoundException, "KMS.NotFoundException", 400, "Invalid keyId.",
     ErrorCode::kNotFound},
    {S3ErrorCode::kKeyTooLongError, "KeyTooLongError", 400, "Your key is too long.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMalformedPolicy, "MalformedPolicy", 400, "Policy has invalid resource.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMalformedTrailerError, "MalformedTrailerError", 400,
     "The request contained trailing data that was not well-formed or did not conform to our "
     "published schema.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMalformedXml, "MalformedXML", 400,
     "The XML you provided was not well-formed or did not validate against our published schema.",
     ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMethodNotAllowed, "MethodNotAllowed", 405,
     "The specified method is not allowed against this resource.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMissingContentLength, "MissingContentLength", 411,
     "You must provide the Content-Length HTTP header.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMissingRequestBodyError, "MissingRequestBodyError", 400,
     "Request body is empty.", ErrorCode::kInvalidArgument},
    {S3ErrorCode::kMissingSecurityHeader, "MissingSecurityHeader", 400,
     "Your request is missing a required header.", ErrorCode::kUnauthenticated},
    {S3ErrorCode::kNoSuchBucket, "NoSuchBucket", 404, "The specified bucket does not exist.",
     ErrorCode::kNotFound},
    {S3ErrorCode::kNoSuchBucketPolicy, "NoSuchBucketPolicy", 404,
     "The bucket policy does not exist.", ErrorCode::kNotFound},
    {S3ErrorCode::kNoSuchKey, "NoSuchKey", 404, "The specified key does not exist.",
     ErrorCode::kNotFound},
    {S3ErrorCode::kNoSuchUpload, "NoSuchUpload", 404,
     "The specified multipart upload does not exist. The upload ID may be invalid, or the upload "
     "may have been aborted or completed.",
     ErrorCode::kNotFound},
    {S3ErrorCode::kNoSuchVersion, "NoSuchVersion", 404, "The specified version does not exist.",
     ErrorCode::kNotFound},
    {S3ErrorCode::kNotImplemented, "NotImplemented", 501,
     "A header you provided implies functionality that is not implemented.",
     ErrorCode::kUnimplemented},
    {S3ErrorCode::kNotModified, "NotModified", 304, "Not Modified.",
     ErrorCode::kFailedPrecondition},
    {S3ErrorCode::kPreconditionFailed, "PreconditionFailed", 412,
     "At least one of the pre-conditions you specified did not hold.",
     ErrorCode::kFailedPrecondition},
    {S3ErrorCode::kRequestTimeTooSkewed, "RequestTimeTooSkewed", 403,
     "The difference between the request time and the server's time is too large.",
     ErrorCode::kUnauthenticated},
    {S3ErrorCode::kRequestTimeout, "RequestTimeout", 400,
     "Your socket connection to the server was not read from or written to within the timeout "
     "period.",
     ErrorCode::kDeadlineExceeded},
    {S3ErrorCode::kServerSideEncryptionConfigurationNotFoundError,
     "ServerSideEncryptionConfigurationNotFoundError", 404,
     "The server side encryption configuration was not found.", ErrorCode::kNotFound},
    {S3ErrorCode::kServiceUnavailable, "ServiceUnavailable", 503,
     "The service is unavailable. Please retry.", ErrorCode::kUnavailable},
    {S3ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", 403,
     "The request signature we calculated does not match the signature you provided. Check your "
     "key and signing method.",
     ErrorCode::kUnauthenticated},
    {S3ErrorCode::kSlowDown, "SlowDown", 503,
     "Resource requested is unreadable, please reduce your request rate.", ErrorCode::kUnavailable},
    {S3ErrorCode::kXAmzContentSha256Mismatch, "XAmzContentSHA256Mismatch", 400,
     "The provided 'x-amz-content-sha256' header does not match what was computed.",
     ErrorCode::kInvalidArgument},
}};

constexpr bool TableIsInEnumOrder() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].code) != i) return false;
    if (kTable[i].default_message.empty()) return false;
  }
  return true;
}
static_assert(TableIsInEnumOrder(), "kTable must follow S3ErrorCode order, messages non-empty");

}  // namespace

const S3ErrorInfo& S3ErrorInfoFor(S3ErrorCode code) {
  const auto index = static_cast<std::size_t>(code);
  COFFER_ASSERT(index < kTable.size());
  return kTable[index];
}

std::span<const S3ErrorInfo> AllS3Errors() { return kTable; }

base::Error MakeS3Error(S3ErrorCode code, std::string_view detail) {
  const S3ErrorInfo& info = S3ErrorInfoFor(code);
  std::string message(info.name);
  message += ": ";
  message += detail.empty() ? info.default_message : detail;
  return base::Error(info.error_code, std::move(message));
}

std::optional<S3ErrorCode> S3ErrorCodeOf(const base::Error& error) {
  std::string_view message = error.message();
  const std::size_t colon = message.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view name = message.substr(0, colon);
  for (const S3ErrorInfo& info : kTable) {
    // The canonical code must agree too, so an unrelated message that happens
    // to start with a code name is not mistaken for an S3 error.
    if (info.name == name && info.error_code == error.code()) return info.code;
  }
  return std::nullopt;
}

S3ErrorReply ToS3ErrorReply(const base::Error& error) {
  const std::optional<S3ErrorCode> code = S3ErrorCodeOf(error);
  if (!code.has_value()) {
    const S3ErrorInfo& internal = S3ErrorInfoFor(S3ErrorCode::kInternalError);
    return {&internal, std::string(internal.default_message)};
  }
  const S3ErrorInfo& info = S3ErrorInfoFor(*code);
  std::string_view message = error.message();
  message.remove_prefix(info.name.size() + 1);
  while (!message.empty() && message.front() == ' ') message.remove_prefix(1);
  if (message.empty()) message = info.default_message;
  return {&info, std::string(message)};
}

}  // namespace coffer::core::auth
