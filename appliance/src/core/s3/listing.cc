// Object listings: ListObjects (V1), ListObjectsV2, ListObjectVersions and
// ListMultipartUploads. The object layer pages by "keys strictly after a
// marker"; this file maps S3's markers, continuation tokens and limits onto
// that, and renders the XML (with encoding-type=url when asked, so keys that
// XML 1.0 cannot carry still round-trip).

#include <algorithm>
#include <charconv>
#include <string>

#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/state/crypto.h"

#include "call.h"
#include "put_options.h"
#include "xml.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

constexpr std::uint32_t kMaxKeys = 1000;
// Marks our continuation tokens, so a token from elsewhere is refused rather
// than taken as a marker.
constexpr std::string_view kTokenTag = "coffer1:";

// Parses a max-keys style limit: a non-negative decimal, clamped to 1000 as
// S3 does. Absent: 1000.
base::Result<std::uint32_t> ParseLimit(const Call& call, std::string_view name) {
  const auto text = call.s3.Query(name);
  if (!text.has_value()) return kMaxKeys;
  const bool digits = !text->empty() && std::all_of(text->begin(), text->end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "Argument " + std::string(name) + " must be a non-negative integer.");
  }
  std::uint64_t value = 0;
  const auto parsed = std::from_chars(text->data(), text->data() + text->size(), value);
  // Digits that overflow are still "a lot": clamp like any limit over 1000.
  if (parsed.ec != std::errc()) return kMaxKeys;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(value, kMaxKeys));
}

// Whether names are URL-encoded in the answer. Errors: InvalidArgument for
// any encoding but "url".
base::Result<bool> ParseEncoding(const Call& call) {
  const auto type = call.s3.Query("encoding-type");
  if (!type.has_value()) return false;
  if (*type != "url") {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "Invalid Encoding Method specified in Request");
  }
  return true;
}

std::string Quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

XmlWriter& AppendOwner(XmlWriter& xml, std::string_view element = "Owner") {
  return xml.Open(element)
      .Element("ID", kOwnerId)
      .Element("DisplayName", kOwnerDisplayName)
      .Close(element);
}

// Writes names through UrlEncodeKey when encoding-type=url was asked for.
struct Names {
  bool url = false;
  std::string operator()(std::string_view name) const {
    return url ? UrlEncodeKey(name) : std::string(name);
  }
};

void AppendContents(XmlWriter& xml, const storage::ObjectInfo& stored, const Names& names,
                    bool owner) {
  // An encrypted object shows its plaintext size and ETag (sse_object.h).
  storage::ObjectInfo presented;
  const storage::ObjectInfo& o = IsEncrypted(stored) ? (presented = PresentedInfo(stored)) : stored;
  xml.Open("Contents")
      .Element("Key", names(o.key))
      .Element("LastModified", FormatIso8601Millis(o.mod_time))
      .Element("ETag", Quoted(o.etag))
      .Element("Size", o.size_bytes);
  if (owner) AppendOwner(xml);
  xml.Element("StorageClass", "STANDARD").Close("Contents");
}

void AppendPrefixes(XmlWriter& xml, const std::vector<std::string>& prefixes, const Names& names) {
  for (const std::string& p : prefixes) {
    xml.Open("CommonPrefixes").Element("Prefix", names(p)).Close("CommonPrefixes");
  }
}

// The listing, or an empty one when max-keys is 0 (S3 answers that without
// looking at the keys, but still for an existing bucket only).
base::Result<storage::ListResult> List(const Call& call, const storage::ListOptions& options) {
  if (options.max_keys == 0) {
    auto info = call.objects.GetBucketInfo(call.bucket());
    if (!info.has_value()) return ToS3Error(info.error());
    return storage::ListResult{};
  }
  auto listed = call.objects.ListObjects(call.bucket(), options);
  if (!listed.has_value()) return ToS3Error(listed.error());
  return listed;
}

}  // namespace

base::Status ListObjects(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const bool url, ParseEncoding(call));
  storage::ListOptions options;
  options.prefix = call.s3.Query("prefix").value_or("");
  options.delimiter = call.s3.Query("delimiter").value_or("");
  options.marker = call.s3.Query("marker").value_or("");
  COFFER_ASSIGN_OR_RETURN(options.max_keys, ParseLimit(call, "max-keys"));
  COFFER_ASSIGN_OR_RETURN(const storage::ListResult listed, List(call, options));
  const Names names{url};
  XmlWriter xml("ListBucketResult");
  xml.Element("Name", call.bucket())
      .Element("Prefix", names(options.prefix))
      .Element("Marker", names(options.marker));
  // V1 names the next marker only with a delimiter; without one, clients
  // continue from the last key.
  if (listed.is_truncated && !options.delimiter.empty()) {
    xml.Element("NextMarker", names(listed.next_marker));
  }
  xml.Element("MaxKeys", options.max_keys);
  if (!options.delimiter.empty()) xml.Element("Delimiter", names(options.delimiter));
  xml.Bool("IsTruncated", listed.is_truncated);
  if (url) xml.Element("EncodingType", "url");
  for (const storage::ObjectInfo& o : listed.objects) AppendContents(xml, o, names, true);
  AppendPrefixes(xml, listed.common_prefixes, names);
  return call.SendXml(200, std::move(xml).Finish());
}

base::Status ListObjectsV2(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const bool url, ParseEncoding(call));
  storage::ListOptions options;
  options.prefix = call.s3.Query("prefix").value_or("");
  options.delimiter = call.s3.Query("delimiter").value_or("");
  COFFER_ASSIGN_OR_RETURN(options.max_keys, ParseLimit(call, "max-keys"));
  const std::string start_after(call.s3.Query("start-after").value_or(""));
  const auto token = call.s3.Query("continuation-token");
  if (token.has_value()) {
    // The token is opaque to clients: base64 of our tag and the marker.
    const auto decoded = state::Base64Decode(*token);
    if (!decoded.has_value() || !decoded->starts_with(kTokenTag)) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "The continuation token provided is incorrect");
    }
    options.marker = decoded->substr(kTokenTag.size());
  } else {
    options.marker = start_after;
  }
  const bool fetch_owner = call.s3.Query("fetch-owner") == "true";
  COFFER_ASSIGN_OR_RETURN(const storage::ListResult listed, List(call, options));
  const Names names{url};
  XmlWriter xml("ListBucketResult");
  xml.Element("Name", call.bucket()).Element("Prefix", names(options.prefix));
  if (!start_after.empty()) xml.Element("StartAfter", names(start_after));
  if (token.has_value()) xml.Element("ContinuationToken", *token);
  xml.Element("KeyCount", listed.objects.size() + listed.common_prefixes.size())
      .Element("MaxKeys", options.max_keys);
  if (!options.delimiter.empty()) xml.Element("Delimiter", names(options.delimiter));
  xml.Bool("IsTruncated", listed.is_truncated);
  if (listed.is_truncated) {
    xml.Element("NextContinuationToken",
                auth::Base64Encode(std::string(kTokenTag) + listed.next_marker));
  }
  if (url) xml.Element("EncodingType", "url");
  for (const storage::ObjectInfo& o : listed.objects) AppendContents(xml, o, names, fetch_owner);
  AppendPrefixes(xml, listed.common_prefixes, names);
  return call.SendXml(200, std::move(xml).Finish());
}

base::Status ListObjectVersions(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const bool url, ParseEncoding(call));
  storage::ListVersionsOptions options;
  options.prefix = call.s3.Query("prefix").value_or("");
  options.delimiter = call.s3.Query("delimiter").value_or("");
  options.key_marker = call.s3.Query("key-marker").value_or("");
  options.version_id_marker = call.s3.Query("version-id-marker").value_or("");
  if (!options.version_id_marker.empty() && options.key_marker.empty()) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "A version-id marker cannot be specified without a key marker.");
  }
  COFFER_ASSIGN_OR_RETURN(options.max_keys, ParseLimit(call, "max-keys"));
  storage::ListVersionsResult listed;
  if (options.max_keys == 0) {
    auto info = call.objects.GetBucketInfo(call.bucket());
    if (!info.has_value()) return ToS3Error(info.error());
  } else {
    auto result = call.objects.ListObjectVersions(call.bucket(), options);
    if (!result.has_value()) return ToS3Error(result.error());
    listed = std::move(*result);
  }
  const Names names{url};
  XmlWriter xml("ListVersionsResult");
  xml.Element("Name", call.bucket())
      .Element("Prefix", names(options.prefix))
      .Element("KeyMarker", names(options.key_marker))
      .Element("VersionIdMarker", options.version_id_marker);
  if (listed.is_truncated) {
    xml.Element("NextKeyMarker", names(listed.next_key_marker));
    xml.Element("NextVersionIdMarker", listed.next_version_id_marker);
  }
  xml.Element("MaxKeys", options.max_keys);
  if (!options.delimiter.empty()) xml.Element("Delimiter", names(options.delimiter));
  xml.Bool("IsTruncated", listed.is_truncated);
  if (url) xml.Element("EncodingType", "url");
  for (const storage::ObjectInfo& stored : listed.versions) {
    storage::ObjectInfo presented;
    const storage::ObjectInfo& v =
        IsEncrypted(stored) ? (presented = PresentedInfo(stored)) : stored;
    const std::string_view element = v.delete_marker ? "DeleteMarker" : "Version";
    xml.Open(element)
        .Element("Key", names(v.key))
        .Element("VersionId", v.version_id.empty() ? storage::kNullVersionId : v.version_id)
        .Bool("IsLatest", v.is_latest)
        .Element("LastModified", FormatIso8601Millis(v.mod_time));
    if (!v.delete_marker) {
      xml.Element("ETag", Quoted(v.etag)).Element("Size", v.size_bytes);
    }
    AppendOwner(xml);
    if (!v.delete_marker) xml.Element("StorageClass", "STANDARD");
    xml.Close(element);
  }
  AppendPrefixes(xml, listed.common_prefixes, names);
  return call.SendXml(200, std::move(xml).Finish());
}

namespace {

struct UploadPage {
  std::vector<storage::UploadInfo> uploads;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

// Pages the uploads the object layer returned (sorted by key, then start
// time): skips up to the markers, rolls keys up by delimiter, stops at the
// limit. S3 counts uploads and common prefixes together against the limit.
UploadPage PageUploads(const std::vector<storage::UploadInfo>& all, std::string_view prefix,
                       std::string_view delimiter, std::string_view key_marker,
                       std::string_view upload_id_marker, std::uint32_t limit) {
  std::size_t begin = 0;
  if (!key_marker.empty()) {
    // After (key-marker, upload-id-marker) when that upload exists; else after
    // every upload of key-marker.
    while (begin < all.size() && all[begin].key < key_marker) ++begin;
    std::size_t after_key = begin;
    while (after_key < all.size() && all[after_key].key == key_marker) ++after_key;
    std::size_t at = after_key;
    if (!upload_id_marker.empty()) {
      for (std::size_t i = begin; i < after_key; ++i) {
        if (all[i].upload_id == upload_id_marker) at = i + 1;
      }
    }
    begin = at;
  }
  UploadPage page;
  std::uint32_t count = 0;
  for (std::size_t i = begin; i < all.size(); ++i) {
    const storage::UploadInfo& u = all[i];
    std::string cp;
    if (!delimiter.empty()) {
      const std::size_t at = u.key.find(delimiter, prefix.size());
      if (at != std::string::npos) cp = u.key.substr(0, at + delimiter.size());
    }
    if (!cp.empty() &&
        ((!page.prefixes.empty() && page.prefixes.back() == cp) || key_marker.starts_with(cp))) {
      continue;
    }
    if (count == limit) {
      page.truncated = true;
      break;
    }
    ++count;
    if (cp.empty()) {
      page.uploads.push_back(u);
      page.next_key_marker = u.key;
      page.next_upload_id_marker = u.upload_id;
    } else {
      page.prefixes.push_back(cp);
      page.next_key_marker = cp;
      page.next_upload_id_marker.clear();
    }
  }
  return page;
}

}  // namespace

base::Status ListMultipartUploads(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const bool url, ParseEncoding(call));
  const std::string prefix(call.s3.Query("prefix").value_or(""));
  const std::string delimiter(call.s3.Query("delimiter").value_or(""));
  const std::string key_marker(call.s3.Query("key-marker").value_or(""));
  const std::string upload_id_marker(call.s3.Query("upload-id-marker").value_or(""));
  COFFER_ASSIGN_OR_RETURN(const std::uint32_t limit, ParseLimit(call, "max-uploads"));
  auto all = call.objects.ListMultipartUploads(call.bucket(), prefix);
  if (!all.has_value()) return ToS3Error(all.error());
  const UploadPage page = PageUploads(*all, prefix, delimiter, key_marker, upload_id_marker, limit);
  const Names names{url};
  XmlWriter xml("ListMultipartUploadsResult");
  xml.Element("Bucket", call.bucket())
      .Element("KeyMarker", names(key_marker))
      .Element("UploadIdMarker", upload_id_marker)
      .Element("NextKeyMarker", page.truncated ? names(page.next_key_marker) : "")
      .Element("NextUploadIdMarker", page.truncated ? page.next_upload_id_marker : "");
  if (!delimiter.empty()) xml.Element("Delimiter", names(delimiter));
  xml.Element("Prefix", names(prefix))
      .Element("MaxUploads", limit)
      .Bool("IsTruncated", page.truncated);
  if (url) xml.Element("EncodingType", "url");
  for (const storage::UploadInfo& u : page.uploads) {
    xml.Open("Upload").Element("Key", names(u.key)).Element("UploadId", u.upload_id);
    AppendOwner(xml, "Initiator");
    AppendOwner(xml);
    xml.Element("StorageClass", "STANDARD")
        .Element("Initiated", FormatIso8601Millis(u.initiated))
        .Close("Upload");
  }
  AppendPrefixes(xml, page.prefixes, names);
  return call.SendXml(200, std::move(xml).Finish());
}

}  // namespace coffer::core::s3
