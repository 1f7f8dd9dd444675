#pragma once
// The request bodies and tag sets of the object handlers, parsed and checked
// here apart from the handlers so that unit tests and the fuzzer
// (conformance/fuzz/s3_xml_fuzz.cc) reach them with arbitrary bytes.
//
// Tag sets travel in two forms: the Tagging XML document (PutObjectTagging,
// GetObjectTagging) and the URL-encoded query form of the x-amz-tagging
// header ("k1=v1&k2=v2"), which is also how the object layer stores them.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::core::s3 {

// Key, value pairs in the order given.
using TagSet = std::vector<std::pair<std::string, std::string>>;

// S3's limits on object tags.
inline constexpr std::size_t kMaxObjectTags = 10;
inline constexpr std::size_t kMaxTagKeyChars = 128;
inline constexpr std::size_t kMaxTagValueChars = 256;
// DeleteObjects takes at most this many keys.
inline constexpr std::size_t kMaxDeleteKeys = 1000;

// Checks S3's rules: at most 10 tags, keys of 1..128 and values of at most 256
// characters (UTF-8 code points), valid UTF-8, unique keys, no "aws:" prefix.
// Errors: InvalidTag.
base::Status ValidateTags(const TagSet& tags);

// Parses the x-amz-tagging form (percent-encoded, '+' is a space) and
// validates it. Errors: InvalidTag (also for a malformed encoding).
base::Result<TagSet> ParseTagQuery(std::string_view query);
// The x-amz-tagging form of `tags`, percent-encoded; "" for no tags.
std::string EncodeTagQuery(const TagSet& tags);
// The number of tags in a stored x-amz-tagging form.
std::size_t CountTags(std::string_view query);

// Parses a <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>
// document and validates the set. Errors: MalformedXML, InvalidTag.
base::Result<TagSet> ParseTaggingXml(std::string_view body);
// The GetObjectTagging answer for `tags`.
std::string TaggingXml(const TagSet& tags);

struct DeleteEntry {
  std::string key;
  std::string version_id;  // Empty: no version named.
};

struct DeleteRequest {
  bool quiet = false;
  std::vector<DeleteEntry> objects;
};

// Parses a DeleteObjects <Delete> document: 1..1000 <Object> entries, each
// with a <Key> and an optional <VersionId>, and an optional <Quiet>.
// Errors: MalformedXML.
base::Result<DeleteRequest> ParseDeleteXml(std::string_view body);

}  // namespace coffer::core::s3
