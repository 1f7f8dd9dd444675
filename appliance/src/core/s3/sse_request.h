#pragma once
// What a request asks of server-side encryption, read from its headers with
// S3's rules and S3's error codes: the mode (SSE-S3, SSE-KMS with a key id and
// an encryption context, SSE-C with the client's key), the copy-source
// customer key of CopyObject/UploadPartCopy, and the bucket default that
// applies when a write names no mode. Pure functions: no key service, no
// crypto beyond the MD5 check of a customer key.

#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/http.h"

struct ossl_lib_ctx_st;

namespace coffer::state {
struct BucketEntry;
}

namespace coffer::core::s3 {

enum class SseMode { kNone, kS3, kKms, kCustomer };

// An SSE-C key as the client sent it: 32 raw bytes and the base64 MD5 it
// announced (checked), which responses echo.
struct CustomerKey {
  base::Secret key;
  std::string key_md5;
};

struct SseRequest {
  SseMode mode = SseMode::kNone;
  // SSE-KMS: the key the client named (empty: the appliance's default key).
  std::string kms_key;
  // SSE-KMS: x-amz-server-side-encryption-context decoded (a JSON object of
  // strings), empty when absent.
  std::string context;
  // SSE-C: set iff mode == kCustomer.
  std::optional<CustomerKey> customer;
};

// The prefix of the SSE-C headers: "x-amz-server-side-encryption-customer-"
// for the target, "x-amz-copy-source-server-side-encryption-customer-" for
// the copy source.
inline constexpr std::string_view kCustomerPrefix = "x-amz-server-side-encryption-customer-";
inline constexpr std::string_view kCopySourceCustomerPrefix =
    "x-amz-copy-source-server-side-encryption-customer-";

// Reads the SSE headers of a write (PutObject, CopyObject's target,
// CreateMultipartUpload). Errors (all 400): InvalidArgument for an unknown
// x-amz-server-side-encryption value, a KMS key id or context without
// aws:kms, a context that is not base64 of a JSON object, SSE-C mixed with
// another mode, an SSE-C algorithm other than AES256, a key that is not
// base64 of 32 bytes, a missing or wrong key MD5; InvalidRequest for SSE-C
// over plain HTTP.
base::Result<SseRequest> ParseSseWrite(const HttpRequest& http, ossl_lib_ctx_st* libctx);

// Reads the SSE-C headers with `prefix` (kCustomerPrefix or
// kCopySourceCustomerPrefix): nullopt when none is present. Errors as
// ParseSseWrite's for SSE-C.
base::Result<std::optional<CustomerKey>> ParseCustomerKey(const HttpRequest& http,
                                                          std::string_view prefix,
                                                          ossl_lib_ctx_st* libctx);

// Refuses x-amz-server-side-encryption and its KMS headers on a request that
// reads or names an existing object (GET, HEAD, UploadPart): S3 answers 400
// InvalidArgument.
base::Status RefuseSseWriteHeaders(const HttpRequest& http);

// The bucket's default encryption applied to a write that named no mode;
// `bucket` may be null (no settings).
SseRequest WithBucketDefault(SseRequest request, const state::BucketEntry* bucket);

// The canonical name of a mode in responses (x-amz-server-side-encryption):
// "AES256" for SSE-S3, "aws:kms" for SSE-KMS, "" otherwise.
std::string_view SseHeaderValue(SseMode mode);

}  // namespace coffer::core::s3
