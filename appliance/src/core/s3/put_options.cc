#include "put_options.h"

#include <set>
#include <string>

#include "coffer/core/auth/s3_errors.h"

#include "request.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

// S3's limits on a tag set and on user metadata.
constexpr std::size_t kMaxTags = 10;
constexpr std::size_t kMaxTagKeyChars = 128;
constexpr std::size_t kMaxTagValueChars = 256;
constexpr std::size_t kMaxUserMetadataBytes = 2048;

constexpr std::string_view kMetaPrefix = "x-amz-meta-";

// The stored response headers a PUT may set (ObjectInfo::headers).
constexpr std::string_view kStoredHeaders[] = {"content-encoding", "content-disposition",
                                               "content-language", "cache-control", "expires"};

// Counts UTF-8 characters, as S3 measures tag lengths in characters.
std::size_t Utf8Chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

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
  std::set<std::string> keys;
  std::size_t start = 0;
  while (start <= tagging.size()) {
    std::size_t end = tagging.find('&', start);
    if (end == std::string_view::npos) end = tagging.size();
    const std::string_view pair = tagging.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    const auto key = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    const auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value || key->empty()) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The tag set is not well-formed.");
    }
    if (Utf8Chars(*key) > kMaxTagKeyChars) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The TagKey you have provided is too long.");
    }
    if (Utf8Chars(*value) > kMaxTagValueChars) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The TagValue you have provided is too long.");
    }
    if (key->starts_with("aws:")) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "Tag keys may not start with aws:.");
    }
    if (!keys.insert(*key).second) {
      return MakeS3Error(S3ErrorCode::kInvalidTag,
                         "Cannot provide multiple Tags with the same key.");
    }
    if (keys.size() > kMaxTags) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "Object tags cannot be greater than 10.");
    }
    start = end + 1;
  }
  return base::Ok();
}

base::Result<storage::PutOptions> PutOptionsFromHeaders(const HttpRequest& http) {
  storage::PutOptions out;
  std::size_t metadata_bytes = 0;
  for (const auto& [name, value] : http.headers) {
    if (name.starts_with("x-amz-server-side-encryption")) {
      return MakeS3Error(S3ErrorCode::kNotImplemented,
                         "Server-side encryption is not implemented yet.");
    }
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
