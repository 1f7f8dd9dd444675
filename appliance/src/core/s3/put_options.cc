#include "put_options.h"

#include <string>

#include "coffer/core/auth/s3_errors.h"

#include "xml_bodies.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

// S3's limit on user metadata.
constexpr std::size_t kMaxUserMetadataBytes = 2048;

constexpr std::string_view kMetaPrefix = "x-amz-meta-";

// The stored response headers a PUT may set (ObjectInfo::headers).
constexpr std::string_view kStoredHeaders[] = {"content-encoding", "content-disposition",
                                               "content-language", "cache-control", "expires"};

// Content-Encoding without the aws-chunked token.
std::string StoredContentEncoding(std::string_view value) {
  std::string out;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view token = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty() || token == "aws-chunked") continue;
    if (!out.empty()) out += ",";
    out += token;
  }
  return out;
}

}  // namespace

base::Status ValidateTagging(std::string_view tagging) {
  if (tagging.empty()) return base::Ok();
  // One set of tag rules for headers and documents alike (xml_bodies.h).
  COFFER_RETURN_IF_ERROR(ParseTagQuery(tagging));
  return base::Ok();
}

base::Result<storage::PutOptions> PutOptionsFromHeaders(const HttpRequest& http) {
  storage::PutOptions out;
  std::size_t metadata_bytes = 0;
  for (const auto& [name, value] : http.headers) {
    // x-amz-server-side-encryption* headers are read by sse_request.h.
    if (name == "content-type") {
      out.content_type = value;
    } else if (name.starts_with(kMetaPrefix) && name.size() > kMetaPrefix.size()) {
      const std::string meta = name.substr(kMetaPrefix.size());
      metadata_bytes += meta.size() + value.size();
      // A repeated header joins its values with a comma, as HTTP folds them.
      auto [it, inserted] = out.user_metadata.emplace(meta, value);
      if (!inserted) it->second += "," + value;
    } else {
      for (std::string_view stored : kStoredHeaders) {
        if (name != stored) continue;
        const std::string kept = name == "content-encoding" ? StoredContentEncoding(value) : value;
        if (!kept.empty()) out.headers[name] = kept;
      }
    }
  }
  if (out.content_type.empty()) out.content_type = "binary/octet-stream";
  if (metadata_bytes > kMaxUserMetadataBytes) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "Your metadata headers exceed the maximum allowed metadata size.");
  }
  const std::string_view tagging = http.Header("x-amz-tagging");
  COFFER_RETURN_IF_ERROR(ValidateTagging(tagging));
  out.tags = std::string(tagging);
  return out;
}

}  // namespace coffer::core::s3
