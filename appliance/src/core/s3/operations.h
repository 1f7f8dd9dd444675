#pragma once
// The S3 operations Coffer serves, and THE table that maps each to the IAM
// action it needs and the resource that action names (the README's
// "Authorization" table is this table). Routing (Classify) and authorization
// both read it, so an operation cannot be served without an action.

#include <cstdint>
#include <span>
#include <string_view>

#include "coffer/core/http.h"

#include "request.h"

namespace coffer::core::s3 {

enum class Op : std::uint8_t {
  kListBuckets,
  kCreateBucket,
  kDeleteBucket,
  kHeadBucket,
  kGetBucketLocation,
  kGetBucketVersioning,
  kPutBucketVersioning,
  kGetBucketPolicy,
  kPutBucketPolicy,
  kDeleteBucketPolicy,
  kGetBucketEncryption,
  kPutBucketEncryption,
  kDeleteBucketEncryption,
  kGetBucketAcl,
  kListObjects,
  kListObjectsV2,
  kListObjectVersions,
  kListMultipartUploads,
  kDeleteObjects,
  kPutObject,
  kCopyObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kGetObjectAcl,
  kGetObjectTagging,
  kPutObjectTagging,
  kDeleteObjectTagging,
  kCreateMultipartUpload,
  kUploadPart,
  kUploadPartCopy,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListParts,
};

// What an action's resource names.
enum class ResourceKind : std::uint8_t {
  kAll,     // "arn:aws:s3:::*" (ListBuckets).
  kBucket,  // "arn:aws:s3:::bucket".
  kObject,  // "arn:aws:s3:::bucket/key".
  kPerKey,  // Checked by the handler for each key it touches (DeleteObjects).
};

struct OpSpec {
  Op op;
  std::string_view name;    // The S3 API name, as audit entries show it.
  std::string_view action;  // The IAM action checked before the handler runs.
  // The action when the request names a version (?versionId=), or empty.
  std::string_view version_action;
  ResourceKind resource;
  // A second action the handler checks on the copy source (CopyObject,
  // UploadPartCopy), or empty.
  std::string_view source_action;
};

// Every row, in Op order.
std::span<const OpSpec> AllOps();
const OpSpec& SpecOf(Op op);

// Picks the operation for a parsed request, or fails: MethodNotAllowed for a
// method the resource does not take, NotImplemented for S3 sub-resources
// Coffer does not serve (?lifecycle, ?cors, ...).
base::Result<Op> Classify(const HttpRequest& request, const S3Request& s3);

}  // namespace coffer::core::s3
