#pragma once
// The error vocabulary shared by every Coffer library. An Error is a code that
// tells the caller what to do next, plus a human message. Messages never hold
// secrets: callers build them from names and positions, never from key material.

#include <string>
#include <string_view>
#include <utility>

namespace coffer::base {

// Codes follow Abseil's canonical set, trimmed to the ones some caller reacts
// to differently. Pick by what the caller should do, not by what went wrong.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // Bad input: fix the request or the config.
  kNotFound,            // The named thing does not exist.
  kAlreadyExists,       // The named thing exists and must not be replaced.
  kFailedPrecondition,  // Do not retry until something is fixed.
  kUnavailable,         // Retry this call (backoff).
  kAborted,             // Retry the whole transaction.
  kUnauthenticated,     // The caller is unknown.
  kPermissionDenied,    // The caller is known and refused.
  kResourceExhausted,   // Disk full, queue full, quota.
  kDataLoss,            // Bitrot, torn write, failed checksum.
  kOutOfRange,          // Offset or range outside the data.
  kDeadlineExceeded,    // Timed out.
  kInternal,            // A bug: an invariant did not hold.
  kUnimplemented,       // Not supported (by design or yet).
};

// Returns the stable upper-snake name of a code, e.g. "PERMISSION_DENIED".
constexpr std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case ErrorCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kAborted:
      return "ABORTED";
    case ErrorCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case ErrorCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case ErrorCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case ErrorCode::kDataLoss:
      return "DATA_LOSS";
    case ErrorCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case ErrorCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kUnimplemented:
      return "UNIMPLEMENTED";
  }
  return "UNKNOWN";
}

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NOT_FOUND: drive 3: object.meta". For logs and CLI output.
  std::string ToString() const {
    std::string out(ErrorCodeName(code_));
    out += ": ";
    out += message_;
    return out;
  }

  // Returns a copy whose message is prefixed with `context` (e.g. a file name).
  Error WithContext(std::string_view context) const {
    std::string msg(context);
    msg += ": ";
    msg += message_;
    return Error(code_, std::move(msg));
  }

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
};

// Shorthands so call sites read as sentences: `return NotFound("no such user")`.
inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Error FailedPrecondition(std::string m) {
  return {ErrorCode::kFailedPrecondition, std::move(m)};
}
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Error Aborted(std::string m) { return {ErrorCode::kAborted, std::move(m)}; }
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error PermissionDenied(std::string m) {
  return {ErrorCode::kPermissionDenied, std::move(m)};
}
inline Error ResourceExhausted(std::string m) {
  return {ErrorCode::kResourceExhausted, std::move(m)};
}
inline Error DataLoss(std::string m) { return {ErrorCode::kDataLoss, std::move(m)}; }
inline Error OutOfRange(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
inline Error DeadlineExceeded(std::string m) {
  return {ErrorCode::kDeadlineExceeded, std::move(m)};
}
inline Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
inline Error Unimplemented(std::string m) { return {ErrorCode::kUnimplemented, std::move(m)}; }

}  // namespace coffer::base
