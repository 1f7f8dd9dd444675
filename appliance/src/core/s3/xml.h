#pragma once
// S3 XML in and out. XmlWriter builds response documents with every text node
// escaped; ParseXml reads request bodies (pugixml) and maps any malformation
// to MalformedXML, never a crash.

#include <memory>
#include <string>
#include <string_view>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"

namespace pugi {
class xml_document;
}

namespace coffer::core::s3 {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

class XmlWriter {
 public:
  // Starts a document whose root is `root` (with the S3 namespace when
  // `with_namespace`).
  explicit XmlWriter(std::string_view root, bool with_namespace = true);

  XmlWriter& Open(std::string_view name);
  XmlWriter& Close(std::string_view name);
  // <name>escaped text</name>
  XmlWriter& Element(std::string_view name, std::string_view text);
  XmlWriter& Element(std::string_view name, std::uint64_t value);
  XmlWriter& Bool(std::string_view name, bool value);
  // Closes the root and returns the document.
  std::string Finish() &&;

 private:
  std::string root_;
  std::string out_;
};

// Appends `text` with & < > " ' escaped.
void AppendXmlEscaped(std::string& out, std::string_view text);

// S3's timestamp format in listings: "2006-01-02T15:04:05.000Z".
std::string FormatIso8601Millis(base::WallTime t);
// RFC 7231 HTTP date: "Mon, 02 Jan 2006 15:04:05 GMT".
std::string FormatHttpDate(base::WallTime t);
// Parses an HTTP date (RFC 7231 IMF-fixdate; RFC 850 and asctime as well).
std::optional<base::WallTime> ParseHttpDate(std::string_view text);

// Parses a request body. Errors: MalformedXML. Entity expansion and DTDs are
// off (pugixml does not fetch external entities).
base::Result<std::unique_ptr<pugi::xml_document>> ParseXml(std::string_view body);

}  // namespace coffer::core::s3
