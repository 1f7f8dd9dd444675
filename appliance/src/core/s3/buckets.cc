// Bucket-level operations: list, create, delete, head, location, versioning
// and the canned ACL. Buckets the config repo declares are the repo's: the
// S3 API refuses to delete them or change their versioning, since the next
// reconcile would undo either change (drift is reverted, not kept).

#include <string>

#include <pugixml.hpp>

#include "coffer/core/auth/s3_errors.h"
#include "coffer/state/snapshot.h"

#include "call.h"
#include "put_options.h"
#include "xml.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

constexpr std::string_view kUsEast1 = "us-east-1";

XmlWriter& AppendOwner(XmlWriter& xml, std::string_view element) {
  return xml.Open(element)
      .Element("ID", kOwnerId)
      .Element("DisplayName", kOwnerDisplayName)
      .Close(element);
}

base::Error RepoOwned(std::string_view bucket, std::string_view what) {
  return MakeS3Error(S3ErrorCode::kAccessDenied,
                     "Bucket " + std::string(bucket) +
                         " is managed by the config repo (buckets.toml); " + std::string(what) +
                         " in the repo instead.");
}

// Reads an optional CreateBucketConfiguration and checks its
// LocationConstraint against the appliance's region.
base::Status CheckLocationConstraint(const Call& call) {
  COFFER_ASSIGN_OR_RETURN(
      const std::string body,
      ReadSmallBody(call.crypto, call.env.random().LibCtx(), call.http, call.auth, call.body,
                    call.options.max_xml_body_bytes, /*required=*/false));
  if (body.empty()) return base::Ok();
  COFFER_ASSIGN_OR_RETURN(const auto doc, ParseXml(body));
  const pugi::xml_node root = doc->child("CreateBucketConfiguration");
  if (!root) return MakeS3Error(S3ErrorCode::kMalformedXml);
  const std::string_view constraint = root.child("LocationConstraint").text().as_string();
  const std::string& region = call.options.region;
  const bool ok = constraint == region ||
                  (region == kUsEast1 && (constraint.empty() || constraint == kUsEast1));
  if (!ok) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "The location constraint '" + std::string(constraint) +
                           "' is incompatible with this appliance's region '" + region + "'.");
  }
  return base::Ok();
}

}  // namespace

base::Status ListBuckets(Call& call) {
  // The dispatcher lets this handler run even when s3:ListAllMyBuckets was
  // denied: such a principal still sees the buckets it may list.
  const bool list_all = call.Allowed(call.op.action, "", "");
  // S3 never lists buckets for an anonymous caller: a bucket policy that lets
  // everyone list one bucket's objects does not reveal the other names.
  if (!list_all && call.auth.kind == auth::AuthKind::kAnonymous) {
    return MakeS3Error(S3ErrorCode::kAccessDenied);
  }
  COFFER_ASSIGN_OR_RETURN(const auto buckets, call.objects.ListBuckets());
  XmlWriter xml("ListAllMyBucketsResult");
  AppendOwner(xml, "Owner").Open("Buckets");
  std::size_t shown = 0;
  for (const storage::BucketInfo& b : buckets) {
    if (!list_all && !call.Allowed("s3:ListBucket", b.name, "")) continue;
    xml.Open("Bucket")
        .Element("Name", b.name)
        .Element("CreationDate", FormatIso8601Millis(b.created))
        .Close("Bucket");
    ++shown;
  }
  xml.Close("Buckets");
  if (!list_all && shown == 0) return MakeS3Error(S3ErrorCode::kAccessDenied);
  return call.SendXml(200, std::move(xml).Finish());
}

base::Status CreateBucket(Call& call) {
  if (call.http.Header("x-amz-bucket-object-lock-enabled") == "true") {
    return MakeS3Error(S3ErrorCode::kNotImplemented, "Object lock is not supported.");
  }
  COFFER_RETURN_IF_ERROR(CheckLocationConstraint(call));
  auto made = call.objects.MakeBucket(call.bucket());
  if (!made.has_value()) return ToS3Error(made.error());
  return call.SendEmpty(200, {{"location", "/" + call.bucket()}});
}

base::Status DeleteBucket(Call& call) {
  if (call.RepoBucket(call.bucket()) != nullptr) {
    return RepoOwned(call.bucket(), "remove it");
  }
  auto deleted = call.objects.DeleteBucket(call.bucket());
  if (!deleted.has_value()) return ToS3Error(deleted.error());
  return call.SendEmpty(204);
}

base::Status HeadBucket(Call& call) {
  auto info = call.objects.GetBucketInfo(call.bucket());
  if (!info.has_value()) return ToS3Error(info.error());
  return call.SendEmpty(200, {{"x-amz-bucket-region", call.options.region}});
}

base::Status GetBucketLocation(Call& call) {
  auto info = call.objects.GetBucketInfo(call.bucket());
  if (!info.has_value()) return ToS3Error(info.error());
  // S3 answers an empty constraint for us-east-1 (the "classic" region).
  const std::string_view region =
      call.options.region == kUsEast1 ? std::string_view() : call.options.region;
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"";
  doc += kS3Namespace;
  doc += "\">";
  AppendXmlEscaped(doc, region);
  doc += "</LocationConstraint>";
  return call.SendXml(200, doc);
}

base::Status GetBucketVersioning(Call& call) {
  auto info = call.objects.GetBucketInfo(call.bucket());
  if (!info.has_value()) return ToS3Error(info.error());
  XmlWriter xml("VersioningConfiguration");
  // A bucket that was never versioned has no Status element at all.
  if (info->versioning == storage::VersioningState::kEnabled) xml.Element("Status", "Enabled");
  if (info->versioning == storage::VersioningState::kSuspended) {
    xml.Element("Status", "Suspended");
  }
  return call.SendXml(200, std::move(xml).Finish());
}

base::Status PutBucketVersioning(Call& call) {
  if (call.RepoBucket(call.bucket()) != nullptr) {
    return RepoOwned(call.bucket(), "set its versioning");
  }
  COFFER_ASSIGN_OR_RETURN(const std::string body, call.ReadXmlBody());
  COFFER_ASSIGN_OR_RETURN(const auto doc, ParseXml(body));
  const pugi::xml_node root = doc->child("VersioningConfiguration");
  if (!root) return MakeS3Error(S3ErrorCode::kMalformedXml);
  const std::string_view mfa = root.child("MFADelete").text().as_string();
  if (mfa == "Enabled") {
    return MakeS3Error(S3ErrorCode::kNotImplemented, "MFA delete is not supported.");
  }
  if (!mfa.empty() && mfa != "Disabled") {
    return MakeS3Error(S3ErrorCode::kIllegalVersioningConfigurationException);
  }
  const std::string_view status = root.child("Status").text().as_string();
  storage::VersioningState state;
  if (status == "Enabled") {
    state = storage::VersioningState::kEnabled;
  } else if (status == "Suspended") {
    state = storage::VersioningState::kSuspended;
  } else {
    return MakeS3Error(S3ErrorCode::kIllegalVersioningConfigurationException,
                       "Status must be Enabled or Suspended.");
  }
  auto set = call.objects.SetBucketVersioning(call.bucket(), state);
  if (!set.has_value()) return ToS3Error(set.error());
  return call.SendEmpty(200);
}

base::Status GetBucketAcl(Call& call) {
  auto info = call.objects.GetBucketInfo(call.bucket());
  if (!info.has_value()) return ToS3Error(info.error());
  // Coffer authorizes with policies only; the ACL is S3's canned "private".
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy xmlns=\"";
  doc += kS3Namespace;
  doc += "\"><Owner><ID>";
  doc += kOwnerId;
  doc += "</ID><DisplayName>";
  doc += kOwnerDisplayName;
  doc +=
      "</DisplayName></Owner><AccessControlList><Grant><Grantee "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"CanonicalUser\"><ID>";
  doc += kOwnerId;
  doc += "</ID><DisplayName>";
  doc += kOwnerDisplayName;
  doc +=
      "</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
      "</AccessControlPolicy>";
  return call.SendXml(200, doc);
}

}  // namespace coffer::core::s3
