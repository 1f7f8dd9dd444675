#include "operations.h"

#include <array>

#include "coffer/base/assert.h"
#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {
namespace {

using auth::MakeS3Error;
using auth::S3ErrorCode;
using R = ResourceKind;

// INVARIANT: rows in Op order. Actions as AWS and MinIO map them.
constexpr std::array<OpSpec, 34> kOps = {{
    {Op::kListBuckets, "ListBuckets", "s3:ListAllMyBuckets", "", R::kAll, ""},
    {Op::kCreateBucket, "CreateBucket", "s3:CreateBucket", "", R::kBucket, ""},
    {Op::kDeleteBucket, "DeleteBucket", "s3:DeleteBucket", "", R::kBucket, ""},
    {Op::kHeadBucket, "HeadBucket", "s3:ListBucket", "", R::kBucket, ""},
    {Op::kGetBucketLocation, "GetBucketLocation", "s3:GetBucketLocation", "", R::kBucket, ""},
    {Op::kGetBucketVersioning, "GetBucketVersioning", "s3:GetBucketVersioning", "", R::kBucket, ""},
    {Op::kPutBucketVersioning, "PutBucketVersioning", "s3:PutBucketVersioning", "", R::kBucket, ""},
    {Op::kGetBucketPolicy, "GetBucketPolicy", "s3:GetBucketPolicy", "", R::kBucket, ""},
    {Op::kPutBucketPolicy, "PutBucketPolicy", "s3:PutBucketPolicy", "", R::kBucket, ""},
    {Op::kDeleteBucketPolicy, "DeleteBucketPolicy", "s3:DeleteBucketPolicy", "", R::kBucket, ""},
    {Op::kGetBucketEncryption, "GetBucketEncryption", "s3:GetEncryptionConfiguration", "",
     R::kBucket, ""},
    {Op::kPutBucketEncryption, "PutBucketEncryption", "s3:PutEncryptionConfiguration", "",
     R::kBucket, ""},
    {Op::kDeleteBucketEncryption, "DeleteBucketEncryption", "s3:PutEncryptionConfiguration", "",
     R::kBucket, ""},
    {Op::kGetBucketAcl, "GetBucketAcl", "s3:GetBucketAcl", "", R::kBucket, ""},
    {Op::kListObjects, "ListObjects", "s3:ListBucket", "", R::kBucket, ""},
    {Op::kListObjectsV2, "ListObjectsV2", "s3:ListBucket", "", R::kBucket, ""},
    {Op::kListObjectVersions, "ListObjectVersions", "s3:ListBucketVersions", "", R::kBucket, ""},
    {Op::kListMultipartUploads, "ListMultipartUploads", "s3:ListBucketMultipartUploads", "",
     R::kBucket, ""},
    {Op::kDeleteObjects, "DeleteObjects", "s3:DeleteObject", "s3:DeleteObjectVersion", R::kPerKey,
     ""},
    {Op::kPutObject, "PutObject", "s3:PutObject", "", R::kObject, ""},
    {Op::kCopyObject, "CopyObject", "s3:PutObject", "", R::kObject, "s3:GetObject"},
    {Op::kGetObject, "GetObject", "s3:GetObject", "s3:GetObjectVersion", R::kObject, ""},
    {Op::kHeadObject, "HeadObject", "s3:GetObject", "s3:GetObjectVersion", R::kObject, ""},
    {Op::kDeleteObject, "DeleteObject", "s3:DeleteObject", "s3:DeleteObjectVersion", R::kObject,
     ""},
    {Op::kGetObjectAcl, "GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl", R::kObject,
     ""},
    {Op::kGetObjectTagging, "GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging",
     R::kObject, ""},
    {Op::kPutObjectTagging, "PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
     R::kObject, ""},
    {Op::kDeleteObjectTagging, "DeleteObjectTagging", "s3:DeleteObjectTagging",
     "s3:DeleteObjectVersionTagging", R::kObject, ""},
    {Op::kCreateMultipartUpload, "CreateMultipartUpload", "s3:PutObject", "", R::kObject, ""},
    {Op::kUploadPart, "UploadPart", "s3:PutObject", "", R::kObject, ""},
    {Op::kUploadPartCopy, "UploadPartCopy", "s3:PutObject", "", R::kObject, "s3:GetObject"},
    {Op::kCompleteMultipartUpload, "CompleteMultipartUpload", "s3:PutObject", "", R::kObject, ""},
    {Op::kAbortMultipartUpload, "AbortMultipartUpload", "s3:AbortMultipartUpload", "", R::kObject,
     ""},
    {Op::kListParts, "ListParts", "s3:ListMultipartUploadParts", "", R::kObject, ""},
}};

constexpr bool InOrder() {
  for (std::size_t i = 0; i < kOps.size(); ++i) {
    if (static_cast<std::size_t>(kOps[i].op) != i || kOps[i].action.empty()) return false;
  }
  return true;
}
static_assert(InOrder(), "kOps must follow Op order and name an action for every operation");

// Bucket sub-resources S3 has and Coffer does not serve: answered NotImplemented
// rather than mistaken for a listing or a bucket creation.
constexpr std::array<std::string_view, 20> kUnservedBucketSubresources = {"accelerate",
                                                                          "analytics",
                                                                          "cors",
                                                                          "intelligent-tiering",
                                                                          "inventory",
                                                                          "lifecycle",
                                                                          "logging",
                                                                          "metrics",
                                                                          "notification",
                                                                          "object-lock",
                                                                          "ownershipControls",
                                                                          "policyStatus",
                                                                          "publicAccessBlock",
                                                                          "replication",
                                                                          "requestPayment",
                                                                          "tagging",
                                                                          "website",
                                                                          "legal-hold",
                                                                          "retention",
                                                                          "torrent"};

base::Error MethodNotAllowed() { return MakeS3Error(S3ErrorCode::kMethodNotAllowed); }

base::Result<Op> ClassifyBucket(std::string_view method, const S3Request& s3) {
  for (std::string_view sub : kUnservedBucketSubresources) {
    if (s3.Has(sub)) {
      return MakeS3Error(S3ErrorCode::kNotImplemented,
                         "The bucket sub-resource is not implemented.");
    }
  }
  if (method == "GET") {
    if (s3.Has("location")) return Op::kGetBucketLocation;
    if (s3.Has("versioning")) return Op::kGetBucketVersioning;
    if (s3.Has("policy")) return Op::kGetBucketPolicy;
    if (s3.Has("encryption")) return Op::kGetBucketEncryption;
    if (s3.Has("acl")) return Op::kGetBucketAcl;
    if (s3.Has("versions")) return Op::kListObjectVersions;
    if (s3.Has("uploads")) return Op::kListMultipartUploads;
    if (s3.Query("list-type") == "2") return Op::kListObjectsV2;
    return Op::kListObjects;
  }
  if (method == "HEAD") return Op::kHeadBucket;
  if (method == "PUT") {
    if (s3.Has("versioning")) return Op::kPutBucketVersioning;
    if (s3.Has("policy")) return Op::kPutBucketPolicy;
    if (s3.Has("encryption")) return Op::kPutBucketEncryption;
    if (s3.Has("acl")) {
      return MakeS3Error(S3ErrorCode::kNotImplemented, "ACLs are not supported; use policies.");
    }
    return Op::kCreateBucket;
  }
  if (method == "DELETE") {
    if (s3.Has("policy")) return Op::kDeleteBucketPolicy;
    if (s3.Has("encryption")) return Op::kDeleteBucketEncryption;
    return Op::kDeleteBucket;
  }
  if (method == "POST") {
    if (s3.Has("delete")) return Op::kDeleteObjects;
    return MakeS3Error(S3ErrorCode::kNotImplemented, "POST object uploads are not implemented.");
  }
  return MethodNotAllowed();
}

base::Result<Op> ClassifyObject(const HttpRequest& request, std::string_view method,
                                const S3Request& s3) {
  const bool copy = !request.Header("x-amz-copy-source").empty();
  for (std::string_view sub :
       {"retention", "legal-hold", "torrent", "restore", "select", "attributes"}) {
    if (s3.Has(sub)) {
      return MakeS3Error(S3ErrorCode::kNotImplemented,
                         "The object sub-resource is not implemented.");
    }
  }
  if (method == "GET") {
    if (s3.Has("uploadId")) return Op::kListParts;
    if (s3.Has("tagging")) return Op::kGetObjectTagging;
    if (s3.Has("acl")) return Op::kGetObjectAcl;
    return Op::kGetObject;
  }
  if (method == "HEAD") return Op::kHeadObject;
  if (method == "PUT") {
    if (s3.Has("tagging")) return Op::kPutObjectTagging;
    if (s3.Has("acl")) {
      return MakeS3Error(S3ErrorCode::kNotImplemented, "ACLs are not supported; use policies.");
    }
    if (s3.Has("uploadId") || s3.Has("partNumber")) {
      return copy ? Op::kUploadPartCopy : Op::kUploadPart;
    }
    return copy ? Op::kCopyObject : Op::kPutObject;
  }
  if (method == "DELETE") {
    if (s3.Has("uploadId")) return Op::kAbortMultipartUpload;
    if (s3.Has("tagging")) return Op::kDeleteObjectTagging;
    return Op::kDeleteObject;
  }
  if (method == "POST") {
    if (s3.Has("uploads")) return Op::kCreateMultipartUpload;
    if (s3.Has("uploadId")) return Op::kCompleteMultipartUpload;
    return MakeS3Error(S3ErrorCode::kNotImplemented, "The POST operation is not implemented.");
  }
  return MethodNotAllowed();
}

}  // namespace

std::span<const OpSpec> AllOps() { return kOps; }

const OpSpec& SpecOf(Op op) {
  const auto index = static_cast<std::size_t>(op);
  COFFER_ASSERT(index < kOps.size());
  return kOps[index];
}

base::Result<Op> Classify(const HttpRequest& request, const S3Request& s3) {
  const std::string_view method = request.method;
  if (s3.bucket.empty()) {
    if (method == "GET") return Op::kListBuckets;
    return MethodNotAllowed();
  }
  if (s3.key.empty()) return ClassifyBucket(method, s3);
  return ClassifyObject(request, method, s3);
}

}  // namespace coffer::core::s3
