#include "sse_request.h"

#include <span>

#include <nlohmann/json.hpp>

#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/storage/md5.h"
#include "coffer/state/crypto.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

constexpr std::string_view kSseHeader = "x-amz-server-side-encryption";
constexpr std::string_view kKmsKeyHeader = "x-amz-server-side-encryption-aws-kms-key-id";
constexpr std::string_view kContextHeader = "x-amz-server-side-encryption-context";

base::Error InvalidArgument(std::string_view message) {
  return MakeS3Error(S3ErrorCode::kInvalidArgument, std::string(message));
}

std::string Header(const HttpRequest& http, std::string_view prefix, std::string_view suffix) {
  std::string name(prefix);
  name += suffix;
  return std::string(http.Header(name));
}

// Decodes x-amz-server-side-encryption-context: base64 of a JSON object whose
// values are strings, as S3 requires.
base::Result<std::string> DecodeContext(std::string_view value) {
  const base::Error bad = InvalidArgument(
      "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string "
      "holding JSON which represents a string-string map");
  const auto decoded = state::Base64Decode(value);
  if (!decoded.has_value()) return bad;
  const auto doc = nlohmann::json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return bad;
  for (const auto& [name, item] : doc.items()) {
    if (!item.is_string()) return bad;
  }
  // Canonical form (sorted keys, no spaces): the same context always binds
  // the same bytes.
  return doc.dump();
}

}  // namespace

base::Result<std::optional<CustomerKey>> ParseCustomerKey(const HttpRequest& http,
                                                          std::string_view prefix,
                                                          ossl_lib_ctx_st* libctx) {
  const std::string algorithm = Header(http, prefix, "algorithm");
  const std::string key = Header(http, prefix, "key");
  const std::string key_md5 = Header(http, prefix, "key-md5");
  if (algorithm.empty() && key.empty() && key_md5.empty()) return std::optional<CustomerKey>();
  if (algorithm.empty()) {
    return InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide a "
        "valid encryption algorithm.");
  }
  if (algorithm != "AES256") {
    return InvalidArgument("The encryption algorithm specified is not valid.");
  }
  if (key.empty()) {
    return InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide an "
        "appropriate secret key.");
  }
  auto raw = state::Base64Decode(key);
  if (!raw.has_value() || raw->size() != 32) {
    return InvalidArgument("The secret key was invalid for the specified algorithm.");
  }
  base::Secret secret(std::move(*raw));
  if (key_md5.empty()) {
    return InvalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the "
        "client calculated MD5 of the secret key.");
  }
  storage::Md5 md5(libctx);
  md5.Update(std::as_bytes(std::span(secret.Reveal().data(), secret.Reveal().size())));
  if (!auth::ConstantTimeEquals(auth::Base64Encode(md5.FinishRaw()), key_md5)) {
    return InvalidArgument(
        "The calculated MD5 hash of the key did not match the hash that was provided.");
  }
  // SECURITY: a customer key sent in clear text is as good as published.
  if (!http.secure) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "Requests specifying Server Side Encryption with Customer provided keys "
                       "must be made over a secure connection.");
  }
  return std::optional<CustomerKey>(CustomerKey{std::move(secret), key_md5});
}

base::Result<SseRequest> ParseSseWrite(const HttpRequest& http, ossl_lib_ctx_st* libctx) {
  SseRequest out;
  const std::string_view mode = http.Header(kSseHeader);
  const std::string_view kms_key = http.Header(kKmsKeyHeader);
  const std::string_view context = http.Header(kContextHeader);
  COFFER_ASSIGN_OR_RETURN(out.customer, ParseCustomerKey(http, kCustomerPrefix, libctx));
  if (out.customer.has_value()) {
    if (!mode.empty() || !kms_key.empty() || !context.empty()) {
      return InvalidArgument(
          "Server Side Encryption with Customer provided key is incompatible with the encryption "
          "method specified");
    }
    out.mode = SseMode::kCustomer;
    return out;
  }
  if (mode.empty()) {
    if (!kms_key.empty() || !context.empty()) {
      return InvalidArgument(
          "Server Side Encryption with AWS KMS managed key requires HTTP header "
          "x-amz-server-side-encryption : aws:kms");
    }
    return out;
  }
  if (mode == "AES256") {
    if (!kms_key.empty() || !context.empty()) {
      return InvalidArgument(
          "Server Side Encryption with AWS KMS managed key requires HTTP header "
          "x-amz-server-side-encryption : aws:kms");
    }
    out.mode = SseMode::kS3;
    return out;
  }
  if (mode != "aws:kms") {
    return InvalidArgument("The encryption method specified is not supported");
  }
  out.mode = SseMode::kKms;
  // S3 accepts the key as an ARN too; the key service knows plain names.
  std::string_view name = kms_key;
  if (name.starts_with("arn:aws:kms:")) {
    if (const std::size_t slash = name.rfind("key/"); slash != std::string_view::npos) {
      name.remove_prefix(slash + 4);
    }
  }
  out.kms_key = std::string(name);
  if (!context.empty()) {
    COFFER_ASSIGN_OR_RETURN(out.context, DecodeContext(context));
  }
  return out;
}

base::Status RefuseSseWriteHeaders(const HttpRequest& http) {
  for (std::string_view name : {kSseHeader, kKmsKeyHeader, kContextHeader}) {
    if (!http.Header(name).empty()) {
      return InvalidArgument("The header '" + std::string(name) +
                             "' is not supported for this operation.");
    }
  }
  return base::Ok();
}

SseRequest WithBucketDefault(SseRequest request, const state::BucketEntry* bucket) {
  if (request.mode != SseMode::kNone || bucket == nullptr) return request;
  switch (bucket->encryption) {
    case state::Encryption::kNone:
      break;
    case state::Encryption::kSseS3:
      request.mode = SseMode::kS3;
      break;
    case state::Encryption::kSseKms:
      request.mode = SseMode::kKms;
      request.kms_key = bucket->kms_key;
      break;
  }
  return request;
}

std::string_view SseHeaderValue(SseMode mode) {
  switch (mode) {
    case SseMode::kS3:
      return "AES256";
    case SseMode::kKms:
      return "aws:kms";
    default:
      return "";
  }
}

}  // namespace coffer::core::s3
