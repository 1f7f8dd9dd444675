// libFuzzer target for the S3 request-body parsers of the object handlers
// (appliance/src/core/s3/xml_bodies.h): the DeleteObjects <Delete> document,
// the <Tagging> document and the x-amz-tagging query form. Byte 0 picks the
// parser, the rest is the body. Properties: no crash, no sanitizer report,
// every error carries an S3 code (a bad body is never a 500), an accepted
// delete list has 1..1000 entries, an accepted tag set passes ValidateTags
// and survives the encode/parse round trip unchanged, and the Tagging answer
// built from it parses back to a set of the same size.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "coffer/core/auth/s3_errors.h"

#include "../../appliance/src/core/s3/xml_bodies.h"

namespace {

namespace s3 = coffer::core::s3;

void Require(bool condition) {
  if (!condition) std::abort();
}

void RequireS3Code(const coffer::base::Error& error) {
  Require(coffer::core::auth::S3ErrorCodeOf(error).has_value());
}

void CheckTags(const s3::TagSet& tags) {
  Require(s3::ValidateTags(tags).has_value());
  Require(tags.size() <= s3::kMaxObjectTags);
  const std::string encoded = s3::EncodeTagQuery(tags);
  Require(s3::CountTags(encoded) == tags.size());
  auto again = s3::ParseTagQuery(encoded);
  Require(again.has_value() && *again == tags);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto r = s3::ParseDeleteXml(body);
      if (!r.has_value()) {
        RequireS3Code(r.error());
        break;
      }
      Require(!r->objects.empty() && r->objects.size() <= s3::kMaxDeleteKeys);
      break;
    }
    case 1: {
      auto r = s3::ParseTaggingXml(body);
      if (!r.has_value()) {
        RequireS3Code(r.error());
        break;
      }
      CheckTags(*r);
      // What GetObjectTagging would answer is well-formed XML of the same
      // size (a whitespace-only text node may read back empty, so a key made
      // only of escaped spaces may not parse again; sizes must still agree).
      auto back = s3::ParseTaggingXml(s3::TaggingXml(*r));
      if (back.has_value()) Require(back->size() == r->size());
      break;
    }
    default: {
      auto r = s3::ParseTagQuery(body);
      if (!r.has_value()) {
        RequireS3Code(r.error());
        break;
      }
      CheckTags(*r);
      break;
    }
  }
  return 0;
}
