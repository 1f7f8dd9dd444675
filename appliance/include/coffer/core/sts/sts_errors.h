#pragma once
// STS errors: one table of every code the STS API answers with, its HTTP
// status, its Type (Sender or Receiver) and a default message, as AWS STS has
// them. Errors travel as base::Error ("Code: message") like S3's
// (auth/s3_errors.h), and become ErrorResponse XML at the edge.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "coffer/base/error.h"

namespace coffer::core::sts {

enum class StsErrorCode : std::uint8_t {
  kAccessDenied,
  kExpiredToken,
  kIdpCommunicationError,
  kIdpRejectedClaim,
  kInternalError,
  kInvalidAction,
  kInvalidClientTokenId,
  kInvalidIdentityToken,
  kInvalidParameterValue,
  kMalformedPolicyDocument,
  kMissingAuthenticationToken,
  kMissingParameter,
  kPackedPolicyTooLarge,
  kSignatureDoesNotMatch,
  kServiceUnavailable,
};

struct StsErrorInfo {
  StsErrorCode code;
  std::string_view name;  // <Code>
  std::uint16_t http_status;
  std::string_view type;             // <Type>: "Sender" or "Receiver".
  std::string_view default_message;  // Never empty.
  base::ErrorCode error_code;
};

// The row of `code`. Thread-safe (constant table).
const StsErrorInfo& StsErrorInfoFor(StsErrorCode code);
// Every row, in enum order.
std::span<const StsErrorInfo> AllStsErrors();

// The error for an STS failure; `detail` (never a secret or a token) replaces
// the default message when non-empty.
base::Error MakeStsError(StsErrorCode code, std::string_view detail = {});

// What to answer for any error: its STS row when it was made by MakeStsError;
// otherwise by canonical code (identity.h's contract for verifiers):
// kUnauthenticated → AccessDenied, kInvalidArgument/kNotFound →
// InvalidParameterValue, kDeadlineExceeded → ExpiredToken, kUnavailable →
// IDPCommunicationError, kPermissionDenied → AccessDenied, else InternalError
// (with the default message: an unknown error's text is not shown).
struct StsErrorReply {
  const StsErrorInfo* info;
  std::string message;
};
StsErrorReply ToStsErrorReply(const base::Error& error);

}  // namespace coffer::core::sts
