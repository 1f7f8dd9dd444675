#pragma once
// What PutObject, CreateMultipartUpload and CopyObject (with
// x-amz-metadata-directive: REPLACE) take from the request headers into the
// object they create, kept in one place so the three cannot drift apart; and
// the single owner every listing shows (Coffer is single-tenant: every bucket
// belongs to the appliance).

#include <string_view>

#include "coffer/base/result.h"
#include "coffer/core/http.h"
#include "coffer/core/storage/object_layer.h"

namespace coffer::core::s3 {

// The canonical owner shown in listings and ACLs (a fixed 64-hex id, as S3's
// canonical user ids are; MinIO answers with this same id).
inline constexpr std::string_view kOwnerId =
    "02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4";
inline constexpr std::string_view kOwnerDisplayName = "coffer";

// Collects Content-Type (binary/octet-stream when absent, as S3 stores it),
// x-amz-meta-* (user metadata, names without the prefix), Content-Encoding
// (without the aws-chunked token, which only frames the upload),
// Content-Disposition, Content-Language, Cache-Control and Expires
// (PutOptions::headers, lower-case names) and x-amz-tagging (PutOptions::tags,
// verbatim once validated). size_bytes and encryption are left to the caller
// (the SSE headers to sse_request.h), and so is the s3:PutObjectTagging check
// a tagging header needs. Errors: InvalidTag (a malformed tag
// set, more than 10 tags, a key over 128 or a value over 256 characters, a
// repeated key, an "aws:" key), InvalidArgument (user metadata over 2 KiB, as
// S3's limit).
base::Result<storage::PutOptions> PutOptionsFromHeaders(const HttpRequest& http);

// Validates a tag set in x-amz-tagging form ("k1=v1&k2=v2", URL-encoded) with
// ParseTagQuery's rules (xml_bodies.h).
// Errors: InvalidTag, as above.
base::Status ValidateTagging(std::string_view tagging);

}  // namespace coffer::core::s3
