#pragma once
// One S3 request on its way through the core, and the handlers that serve
// each operation. The dispatcher (api.cc) has already parsed the target,
// authenticated the sender and authorized the operation's action from the
// table in operations.h before a handler runs; a handler only checks what the
// table cannot express (the copy source, each key of DeleteObjects, the
// "403 instead of 404" rule).
//
// A handler returns an error only before it has started the response; the
// dispatcher renders that error as S3 XML. After Start() an error can only
// close the connection.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/storage/object_layer.h"
#include "coffer/env/env.h"

#include "body.h"
#include "operations.h"
#include "request.h"
#include "sse_object.h"

namespace coffer::state {
class Snapshot;
struct BucketEntry;
}  // namespace coffer::state

namespace coffer::core::s3 {

class Authorizer;

// What every handler may use. Borrowed references, valid for one request.
struct Call {
  env::Env& env;
  storage::ObjectLayer& objects;
  const S3ApiOptions& options;
  const auth::Crypto& crypto;
  const HttpRequest& http;
  const S3Request& s3;
  const OpSpec& op;
  const auth::Authentication& auth;
  const state::Snapshot* snapshot;  // Null before the first reconcile.
  Authorizer& authorizer;
  RuntimeState& runtime;
  BodyReader& body;
  ResponseWriter& response;
  // Server-side encryption (sse_object.h): the package crypto, one per API.
  const sse::Engine& sse_engine;

  const std::string& bucket() const { return s3.bucket; }
  // What SSE needs for this request.
  SseEnv Sse() const { return MakeSseEnv(env, sse_engine, options); }
  const std::string& key() const { return s3.key; }

  // Fails with AccessDenied unless the requester may do `action` on
  // bucket/key (key empty: the bucket itself). Use for the checks the table
  // cannot make.
  base::Status Authorize(std::string_view action, std::string_view bucket,
                         std::string_view key) const;
  bool Allowed(std::string_view action, std::string_view bucket, std::string_view key) const;

  // The config repo's entry for `bucket` when the repo owns it, else null.
  const state::BucketEntry* RepoBucket(std::string_view bucket) const;
  // The bucket's settings (policy, encryption, anonymous access), repo-owned
  // or runtime, or null when it has none.
  const state::BucketEntry* BucketSettings(std::string_view bucket) const;

  // The streaming body for PutObject/UploadPart, with every check (body.h).
  base::Result<std::unique_ptr<SignedBody>> OpenBody(std::uint64_t max_bytes) const;
  // A whole small body (XML), at most options.max_xml_body_bytes.
  base::Result<std::string> ReadXmlBody() const;

  // The headers every response carries (x-amz-request-id, x-amz-id-2,
  // server) followed by `extra`.
  HeaderList ResponseHeaders(HeaderList extra = {}) const;
  // Sends a complete response.
  base::Status SendXml(unsigned status, std::string_view body, HeaderList extra = {}) const;
  base::Status SendEmpty(unsigned status, HeaderList extra = {}) const;
};

// Maps an object-layer error to the S3 error to answer with (NoSuchBucket,
// NoSuchKey, NoSuchVersion, NoSuchUpload, BucketNotEmpty,
// BucketAlreadyOwnedByYou, InvalidPart, InvalidPartOrder, EntityTooSmall,
// InvalidRange, SlowDown, InsufficientStorage, InternalError, ...). Errors
// that already carry an S3 code pass through. Internal details never reach
// the message.
base::Error ToS3Error(const base::Error& error);

// Handlers, one per operation (operations.h), grouped by file.
// buckets.cc
base::Status ListBuckets(Call& call);
base::Status CreateBucket(Call& call);
base::Status DeleteBucket(Call& call);
base::Status HeadBucket(Call& call);
base::Status GetBucketLocation(Call& call);
base::Status GetBucketVersioning(Call& call);
base::Status PutBucketVersioning(Call& call);
base::Status GetBucketAcl(Call& call);
// bucket_config.cc
base::Status GetBucketPolicy(Call& call);
base::Status PutBucketPolicy(Call& call);
base::Status DeleteBucketPolicy(Call& call);
base::Status GetBucketEncryption(Call& call);
base::Status PutBucketEncryption(Call& call);
base::Status DeleteBucketEncryption(Call& call);
// listing.cc
base::Status ListObjects(Call& call);
base::Status ListObjectsV2(Call& call);
base::Status ListObjectVersions(Call& call);
base::Status ListMultipartUploads(Call& call);
// objects.cc
base::Status PutObject(Call& call);
base::Status GetObject(Call& call);
base::Status HeadObject(Call& call);
base::Status DeleteObject(Call& call);
base::Status DeleteObjects(Call& call);
base::Status CopyObject(Call& call);
base::Status GetObjectAcl(Call& call);
// tagging.cc
base::Status GetObjectTagging(Call& call);
base::Status PutObjectTagging(Call& call);
base::Status DeleteObjectTagging(Call& call);
// multipart.cc
base::Status CreateMultipartUpload(Call& call);
base::Status UploadPart(Call& call);
base::Status UploadPartCopy(Call& call);
base::Status CompleteMultipartUpload(Call& call);
base::Status AbortMultipartUpload(Call& call);
base::Status ListParts(Call& call);

}  // namespace coffer::core::s3
