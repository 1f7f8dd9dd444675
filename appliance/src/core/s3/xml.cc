#include "xml.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <pugixml.hpp>

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {

void AppendXmlEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters cannot appear in XML 1.0 even escaped as
        // entities; keys cannot hold them (request.cc refuses them).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "&#xFFFD;";
        } else {
          out.push_back(c);
        }
    }
  }
}

XmlWriter::XmlWriter(std::string_view root, bool with_namespace) : root_(root) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  out_ += root;
  if (with_namespace) {
    out_ += " xmlns=\"";
    out_ += kS3Namespace;
    out_ += '"';
  }
  out_ += '>';
}

XmlWriter& XmlWriter::Open(std::string_view name) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
  Open(name);
  AppendXmlEscaped(out_, text);
  return Close(name);
}

XmlWriter& XmlWriter::Element(std::string_view name, std::uint64_t value) {
  return Element(name, std::to_string(value));
}

XmlWriter& XmlWriter::Bool(std::string_view name, bool value) {
  return Element(name, value ? "true" : "false");
}

std::string XmlWriter::Finish() && {
  Close(root_);
  return std::move(out_);
}

namespace {

std::tm ToTm(base::WallTime t) {
  const std::time_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::string FormatIso8601Millis(base::WallTime t) {
  const std::tm tm = ToTm(t);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  // 80: at -O2 GCC sizes each %d for any int (-Wformat-truncation breaks the release build).
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis < 0 ? millis + 1000 : millis));
  return buf;
}

std::string FormatHttpDate(base::WallTime t) {
  const std::tm tm = ToTm(t);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<base::WallTime> ParseHttpDate(std::string_view text) {
  const std::string s(text);
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const std::time_t secs = timegm(&tm);
    return base::WallTime(std::chrono::seconds(secs));
  }
  return std::nullopt;
}

base::Result<std::unique_ptr<pugi::xml_document>> ParseXml(std::string_view body) {
  auto doc = std::make_unique<pugi::xml_document>();
  // parse_minimal: no entity expansion beyond the predefined five, no DOCTYPE
  // processing, no PIs.
  const unsigned options = pugi::parse_minimal | pugi::parse_escapes;
  const pugi::xml_parse_result result = doc->load_buffer(body.data(), body.size(), options);
  if (!result || doc->document_element().empty()) {
    return auth::MakeS3Error(auth::S3ErrorCode::kMalformedXml);
  }
  return doc;
}

}  // namespace coffer::core::s3
