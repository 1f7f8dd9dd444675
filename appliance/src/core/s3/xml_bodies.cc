#include "xml_bodies.h"

#include <set>

#include <pugixml.hpp>

#include "coffer/core/auth/s3_errors.h"

#include "request.h"
#include "xml.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

// The number of UTF-8 code points in `s`, or nullopt when it is not valid
// UTF-8 (S3 counts characters, not bytes, against the tag limits).
std::optional<std::size_t> Utf8Length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) {
      n = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      n = 4;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return std::nullopt;
    }
    i += n;
    ++count;
  }
  return count;
}

// The named child elements of `node` (S3 documents are namespace-qualified
// by a default xmlns, which pugixml leaves out of names).
std::vector<pugi::xml_node> Children(pugi::xml_node node, const char* name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = node.child(name); c; c = c.next_sibling(name)) out.push_back(c);
  return out;
}

}  // namespace

base::Status ValidateTags(const TagSet& tags) {
  if (tags.size() > kMaxObjectTags) {
    return MakeS3Error(S3ErrorCode::kInvalidTag, "Object tags cannot be greater than 10");
  }
  std::set<std::string_view> seen;
  for (const auto& [key, value] : tags) {
    const auto key_chars = Utf8Length(key);
    const auto value_chars = Utf8Length(value);
    if (!key_chars.has_value() || !value_chars.has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The TagKey or TagValue is not valid UTF-8.");
    }
    if (*key_chars == 0 || *key_chars > kMaxTagKeyChars) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The TagKey you have provided is invalid");
    }
    if (*value_chars > kMaxTagValueChars) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The TagValue you have provided is invalid");
    }
    if (key.starts_with("aws:")) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "Your TagKey cannot be prefixed with aws:");
    }
    if (!seen.insert(key).second) {
      return MakeS3Error(S3ErrorCode::kInvalidTag,
                         "Cannot provide multiple Tags with the same key");
    }
  }
  return base::Ok();
}

base::Result<TagSet> ParseTagQuery(std::string_view query) {
  TagSet tags;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1),
                               /*plus_is_space=*/true);
    if (!key.has_value() || !value.has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidTag, "The tag set is not well-formed.");
    }
    tags.emplace_back(std::move(*key), std::move(*value));
  }
  COFFER_RETURN_IF_ERROR(ValidateTags(tags));
  return tags;
}

std::string EncodeTagQuery(const TagSet& tags) {
  std::string out;
  for (const auto& [key, value] : tags) {
    if (!out.empty()) out += '&';
    // UrlEncodeKey leaves '/' alone, which is safe inside a query value.
    out += UrlEncodeKey(key);
    out += '=';
    out += UrlEncodeKey(value);
  }
  return out;
}

std::size_t CountTags(std::string_view query) {
  std::size_t n = 0;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    if (amp != 0) ++n;
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return n;
}

base::Result<TagSet> ParseTaggingXml(std::string_view body) {
  COFFER_ASSIGN_OR_RETURN(auto doc, ParseXml(body));
  const pugi::xml_node root = doc->document_element();
  if (std::string_view(root.name()) != "Tagging") return MakeS3Error(S3ErrorCode::kMalformedXml);
  const auto sets = Children(root, "TagSet");
  if (sets.size() != 1) return MakeS3Error(S3ErrorCode::kMalformedXml);
  TagSet tags;
  for (const pugi::xml_node tag : Children(sets[0], "Tag")) {
    const auto keys = Children(tag, "Key");
    const auto values = Children(tag, "Value");
    if (keys.size() != 1 || values.size() != 1) return MakeS3Error(S3ErrorCode::kMalformedXml);
    tags.emplace_back(keys[0].child_value(), values[0].child_value());
    // Stop early: a huge document should not build a huge set before the
    // count check rejects it.
    if (tags.size() > kMaxObjectTags) break;
  }
  COFFER_RETURN_IF_ERROR(ValidateTags(tags));
  return tags;
}

std::string TaggingXml(const TagSet& tags) {
  XmlWriter xml("Tagging");
  xml.Open("TagSet");
  for (const auto& [key, value] : tags) {
    xml.Open("Tag").Element("Key", key).Element("Value", value).Close("Tag");
  }
  xml.Close("TagSet");
  return std::move(xml).Finish();
}

base::Result<DeleteRequest> ParseDeleteXml(std::string_view body) {
  COFFER_ASSIGN_OR_RETURN(auto doc, ParseXml(body));
  const pugi::xml_node root = doc->document_element();
  if (std::string_view(root.name()) != "Delete") return MakeS3Error(S3ErrorCode::kMalformedXml);
  DeleteRequest request;
  const auto quiet = Children(root, "Quiet");
  if (quiet.size() > 1) return MakeS3Error(S3ErrorCode::kMalformedXml);
  if (quiet.size() == 1) {
    const std::string_view q = quiet[0].child_value();
    if (q == "true") {
      request.quiet = true;
    } else if (q != "false") {
      return MakeS3Error(S3ErrorCode::kMalformedXml);
    }
  }
  for (pugi::xml_node object = root.child("Object"); object;
       object = object.next_sibling("Object")) {
    // S3 answers MalformedXML for more than 1,000 keys.
    if (request.objects.size() == kMaxDeleteKeys) return MakeS3Error(S3ErrorCode::kMalformedXml);
    const auto keys = Children(object, "Key");
    const auto versions = Children(object, "VersionId");
    if (keys.size() != 1 || versions.size() > 1) return MakeS3Error(S3ErrorCode::kMalformedXml);
    DeleteEntry entry;
    entry.key = keys[0].child_value();
    if (versions.size() == 1) entry.version_id = versions[0].child_value();
    request.objects.push_back(std::move(entry));
  }
  if (request.objects.empty()) return MakeS3Error(S3ErrorCode::kMalformedXml);
  return request;
}

}  // namespace coffer::core::s3
