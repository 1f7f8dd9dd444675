// Object tagging: GetObjectTagging, PutObjectTagging, DeleteObjectTagging.
// Tags are stored in the object's x-amz-tagging form (xml_bodies.h) and
// replaced without touching the data (ObjectLayer::PutObjectTags).

#include "coffer/core/auth/s3_errors.h"

#include "call.h"
#include "xml_bodies.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

base::Result<std::string> VersionId(const Call& call) {
  const auto v = call.s3.Query("versionId");
  if (!v.has_value()) return std::string();
  if (v->empty()) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument, "Version id cannot be the empty string");
  }
  return std::string(*v);
}

HeaderList VersionHeader(const storage::ObjectInfo& info, std::string_view requested) {
  HeaderList extra;
  if (info.version_id != storage::kNullVersionId || !requested.empty()) {
    extra.emplace_back("x-amz-version-id", info.version_id);
  }
  return extra;
}

// A tag request naming a delete-marker version: S3 answers 405 (a marker
// has no tags). The object layer says so with kInvalidArgument.
base::Error TagError(const base::Error& error, std::string_view version_id) {
  if (error.code() == base::ErrorCode::kInvalidArgument && !version_id.empty() &&
      !auth::S3ErrorCodeOf(error).has_value()) {
    return MakeS3Error(S3ErrorCode::kMethodNotAllowed,
                       "The specified method is not allowed against a delete marker.");
  }
  return ToS3Error(error);
}

}  // namespace

base::Status GetObjectTagging(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::string version_id, VersionId(call));
  auto stat = call.objects.StatObject(call.bucket(), call.key(), version_id);
  if (!stat.has_value()) return ToS3Error(stat.error());
  if (stat->delete_marker) {
    return MakeS3Error(S3ErrorCode::kMethodNotAllowed,
                       "The specified method is not allowed against a delete marker.");
  }
  // Stored tags were validated on the way in; decode without the limits so
  // an object written by an older rule still answers.
  TagSet tags;
  auto parsed = ParseTagQuery(stat->tags);
  if (parsed.has_value()) {
    tags = std::move(parsed).value();
  } else if (!stat->tags.empty()) {
    return MakeS3Error(S3ErrorCode::kInternalError, "The stored tag set is not readable.");
  }
  return call.SendXml(200, TaggingXml(tags), VersionHeader(*stat, version_id));
}

base::Status PutObjectTagging(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::string version_id, VersionId(call));
  COFFER_ASSIGN_OR_RETURN(const std::string body, call.ReadXmlBody());
  COFFER_ASSIGN_OR_RETURN(const TagSet tags, ParseTaggingXml(body));
  auto info =
      call.objects.PutObjectTags(call.bucket(), call.key(), version_id, EncodeTagQuery(tags));
  if (!info.has_value()) return TagError(info.error(), version_id);
  return call.SendEmpty(200, VersionHeader(*info, version_id));
}

base::Status DeleteObjectTagging(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::string version_id, VersionId(call));
  auto info = call.objects.PutObjectTags(call.bucket(), call.key(), version_id, "");
  if (!info.has_value()) return TagError(info.error(), version_id);
  return call.SendEmpty(204, VersionHeader(*info, version_id));
}

}  // namespace coffer::core::s3
