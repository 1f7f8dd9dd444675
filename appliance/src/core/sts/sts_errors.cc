#include "coffer/core/sts/sts_errors.h"

#include <array>

#include "coffer/base/assert.h"

namespace coffer::core::sts {
namespace {

using base::ErrorCode;

// INVARIANT: in StsErrorCode order (checked below).
constexpr std::array<StsErrorInfo, 15> kTable = {{
    {StsErrorCode::kAccessDenied, "AccessDenied", 403, "Sender", "Access denied.",
     ErrorCode::kPermissionDenied},
    {StsErrorCode::kExpiredToken, "ExpiredToken", 400, "Sender",
     "The security token included in the request is expired.", ErrorCode::kDeadlineExceeded},
    {StsErrorCode::kIdpCommunicationError, "IDPCommunicationError", 400, "Sender",
     "The identity provider could not be reached.", ErrorCode::kUnavailable},
    {StsErrorCode::kIdpRejectedClaim, "IDPRejectedClaim", 403, "Sender",
     "The identity provider rejected the claims of the token.", ErrorCode::kPermissionDenied},
    {StsErrorCode::kInternalError, "InternalError", 500, "Receiver",
     "We encountered an internal error, please try again.", ErrorCode::kInternal},
    {StsErrorCode::kInvalidAction, "InvalidAction", 400, "Sender",
     "The action or operation requested is invalid.", ErrorCode::kInvalidArgument},
    {StsErrorCode::kInvalidClientTokenId, "InvalidClientTokenId", 403, "Sender",
     "The security token included in the request is invalid.", ErrorCode::kUnauthenticated},
    {StsErrorCode::kInvalidIdentityToken, "InvalidIdentityToken", 400, "Sender",
     "The web identity token that was passed could not be validated.", ErrorCode::kUnauthenticated},
    {StsErrorCode::kInvalidParameterValue, "InvalidParameterValue", 400, "Sender",
     "An invalid or out-of-range value was supplied for the input parameter.",
     ErrorCode::kInvalidArgument},
    {StsErrorCode::kMalformedPolicyDocument, "MalformedPolicyDocument", 400, "Sender",
     "The request was rejected because the policy document was malformed.",
     ErrorCode::kInvalidArgument},
    {StsErrorCode::kMissingAuthenticationToken, "MissingAuthenticationToken", 403, "Sender",
     "The request must be signed with SigV4 (service sts).", ErrorCode::kUnauthenticated},
    {StsErrorCode::kMissingParameter, "MissingParameter", 400, "Sender",
     "A required parameter for the specified action is not supplied.", ErrorCode::kInvalidArgument},
    {StsErrorCode::kPackedPolicyTooLarge, "PackedPolicyTooLarge", 400, "Sender",
     "The session policy is larger than 2048 bytes.", ErrorCode::kInvalidArgument},
    {StsErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", 403, "Sender",
     "The request signature we calculated does not match the signature you provided.",
     ErrorCode::kUnauthenticated},
    {StsErrorCode::kServiceUnavailable, "ServiceUnavailable", 503, "Receiver",
     "The service is unavailable. Please retry.", ErrorCode::kUnavailable},
}};

constexpr bool InOrder() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].code) != i) return false;
  }
  return true;
}
static_assert(InOrder(), "kTable must follow StsErrorCode order");

constexpr std::string_view kMarker = "sts:";

}  // namespace

const StsErrorInfo& StsErrorInfoFor(StsErrorCode code) {
  const auto i = static_cast<std::size_t>(code);
  COFFER_ASSERT(i < kTable.size());
  return kTable[i];
}

std::span<const StsErrorInfo> AllStsErrors() { return kTable; }

base::Error MakeStsError(StsErrorCode code, std::string_view detail) {
  const StsErrorInfo& info = StsErrorInfoFor(code);
  std::string message(kMarker);
  message += info.name;
  message += ": ";
  message += detail.empty() ? info.default_message : detail;
  return base::Error(info.error_code, std::move(message));
}

StsErrorReply ToStsErrorReply(const base::Error& error) {
  std::string_view message = error.message();
  if (message.starts_with(kMarker)) {
    message.remove_prefix(kMarker.size());
    const std::size_t colon = message.find(": ");
    const std::string_view name = message.substr(0, colon);
    for (const StsErrorInfo& info : kTable) {
      if (info.name == name && colon != std::string_view::npos) {
        std::string text(message.substr(colon + 2));
        if (text.empty()) text = info.default_message;
        return {&info, std::move(text)};
      }
    }
  }
  auto row = [&](StsErrorCode code, bool show_message) {
    const StsErrorInfo& info = StsErrorInfoFor(code);
    std::string text = show_message && !error.message().empty() ? error.message()
                                                                : std::string(info.default_message);
    return StsErrorReply{&info, std::move(text)};
  };
  switch (error.code()) {
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return row(StsErrorCode::kAccessDenied, true);
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
      return row(StsErrorCode::kInvalidParameterValue, true);
    case ErrorCode::kDeadlineExceeded:
      return row(StsErrorCode::kExpiredToken, true);
    case ErrorCode::kUnavailable:
      return row(StsErrorCode::kIdpCommunicationError, true);
    default:
      return row(StsErrorCode::kInternalError, false);
  }
}

}  // namespace coffer::core::sts
