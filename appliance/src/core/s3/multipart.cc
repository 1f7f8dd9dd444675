// Multipart uploads: create, upload a part (from the body or copied from a
// range of another object), complete, abort and list parts. The object layer
// stores and joins the parts; this file validates what S3 validates before
// anything is stored (part numbers, the part list of a completion, copy-source
// preconditions) so the client gets S3's error codes.

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <string>

#include <pugixml.hpp>

#include "coffer/core/auth/s3_errors.h"

#include "call.h"
#include "put_options.h"
#include "sse_request.h"
#include "xml.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

constexpr std::uint32_t kMaxPartNumber = 10000;
constexpr std::uint32_t kMaxParts = 1000;
// UploadPartCopy reads its source in windows of this size, so a 5 GiB copy
// holds at most one window in memory (a multiple of the erasure block size).
constexpr std::uint64_t kCopyWindowBytes = 4u << 20;

std::string Quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

std::string_view Unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// Parses a decimal made of digits only (no sign, no spaces).
std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

base::Error BadPartNumber() {
  return MakeS3Error(S3ErrorCode::kInvalidArgument,
                     "Part number must be an integer between 1 and 10000, inclusive.");
}

base::Result<std::uint32_t> PartNumberOf(const Call& call) {
  const auto value = ParseDecimal(call.s3.Query("partNumber").value_or(""));
  if (!value.has_value() || *value < 1 || *value > kMaxPartNumber) return BadPartNumber();
  return static_cast<std::uint32_t>(*value);
}

base::Result<std::string> UploadIdOf(const Call& call) {
  const auto id = call.s3.Query("uploadId");
  if (!id.has_value() || id->empty()) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "This operation needs both partNumber and uploadId.");
  }
  return std::string(*id);
}

XmlWriter& AppendOwner(XmlWriter& xml, std::string_view element) {
  return xml.Open(element)
      .Element("ID", kOwnerId)
      .Element("DisplayName", kOwnerDisplayName)
      .Close(element);
}

// --- UploadPartCopy ---

struct CopySource {
  std::string bucket;
  std::string key;
  std::string version_id;  // Empty: the latest.
};

// Parses x-amz-copy-source: "[/]bucket/key[?versionId=id]", URL-encoded.
base::Result<CopySource> ParseCopySource(std::string_view header) {
  const base::Error bad =
      MakeS3Error(S3ErrorCode::kInvalidArgument,
                  "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.");
  std::string_view path = header;
  CopySource out;
  if (const std::size_t q = header.find('?'); q != std::string_view::npos) {
    path = header.substr(0, q);
    const std::string_view query = header.substr(q + 1);
    if (!query.starts_with("versionId=")) return bad;
    const auto id = PercentDecode(query.substr(10), /*plus_is_space=*/false);
    if (!id.has_value() || id->empty()) return bad;
    out.version_id = *id;
  }
  auto decoded = PercentDecode(path, /*plus_is_space=*/false);
  if (!decoded.has_value()) return bad;
  std::string_view rest = *decoded;
  if (rest.starts_with('/')) rest.remove_prefix(1);
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return bad;
  out.bucket = std::string(rest.substr(0, slash));
  out.key = std::string(rest.substr(slash + 1));
  if (!IsValidBucketName(out.bucket)) return bad;
  return out;
}

bool EtagMatches(std::string_view condition, std::string_view etag) {
  if (condition == "*") return true;
  return Unquoted(condition) == etag;
}

// S3's copy-source conditions: If-Match and If-Unmodified-Since pass
// together when If-Match holds; If-None-Match and If-Modified-Since fail
// together when If-None-Match fails.
base::Status CheckCopyConditions(const HttpRequest& http, const storage::ObjectInfo& src) {
  const base::Error failed = MakeS3Error(S3ErrorCode::kPreconditionFailed);
  const std::string_view if_match = http.Header("x-amz-copy-source-if-match");
  const std::string_view if_none = http.Header("x-amz-copy-source-if-none-match");
  const std::string_view unmodified = http.Header("x-amz-copy-source-if-unmodified-since");
  const std::string_view modified = http.Header("x-amz-copy-source-if-modified-since");
  if (!if_match.empty()) {
    if (!EtagMatches(if_match, src.etag)) return failed;
  } else if (!unmodified.empty()) {
    const auto t = ParseHttpDate(unmodified);
    if (t.has_value() && src.mod_time > *t + std::chrono::seconds(1)) return failed;
  }
  if (!if_none.empty()) {
    if (EtagMatches(if_none, src.etag)) return failed;
  } else if (!modified.empty()) {
    const auto t = ParseHttpDate(modified);
    if (t.has_value() && src.mod_time < *t + std::chrono::seconds(1)) return failed;
  }
  return base::Ok();
}

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// Parses x-amz-copy-source-range ("bytes=first-last", both given) against
// the source size; the whole object when absent.
base::Result<ByteRange> CopyRangeOf(std::string_view header, std::uint64_t size) {
  if (header.empty()) return ByteRange{0, size};
  const base::Error bad =
      MakeS3Error(S3ErrorCode::kInvalidArgument,
                  "The x-amz-copy-source-range value must be of the form bytes=first-last.");
  if (!header.starts_with("bytes=")) return bad;
  const std::string_view spec = header.substr(6);
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return bad;
  const auto first = ParseDecimal(spec.substr(0, dash));
  const auto last = ParseDecimal(spec.substr(dash + 1));
  if (!first.has_value() || !last.has_value() || *first > *last) return bad;
  if (*last >= size) {
    return MakeS3Error(
        S3ErrorCode::kInvalidRange,
        "Range specified is not valid for source object of size: " + std::to_string(size));
  }
  return ByteRange{*first, *last - *first + 1};
}

// A part body read from a range of another object, one window at a time.
// Every window is read from the same version; a null version rewritten
// mid-copy is caught by its ETag and fails the part rather than mixing two
// objects' bytes.
class RangeCopySource final : public storage::BodySource {
 public:
  // `reader` (may be null) decrypts an encrypted source; `info` is then its
  // presented (plaintext) info.
  RangeCopySource(storage::ObjectLayer& objects, const CopySource& src,
                  const storage::ObjectInfo& info, ByteRange range, SseReader* reader)
      : objects_(objects),
        src_(src),
        info_(info),
        reader_(reader),
        next_(range.offset),
        left_(range.length) {}

  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    if (at_ == window_.size()) {
      if (left_ == 0) return std::size_t{0};
      COFFER_RETURN_IF_ERROR(Fill());
    }
    const std::size_t n = std::min(out.size(), window_.size() - at_);
    std::memcpy(out.data(), window_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  class WindowSink final : public storage::ObjectSink {
   public:
    explicit WindowSink(std::string& out) : out_(out) {}
    base::Status Write(std::span<const std::byte> data) override {
      out_.append(reinterpret_cast<const char*>(data.data()), data.size());
      return base::Ok();
    }

   private:
    std::string& out_;
  };

  base::Status Fill() {
    window_.clear();
    at_ = 0;
    storage::GetOptions get;
    get.version_id = info_.version_id;
    get.offset = next_;
    get.length = std::min(left_, kCopyWindowBytes);
    WindowSink sink(window_);
    std::string etag = info_.etag;
    if (reader_ != nullptr) {
      COFFER_RETURN_IF_ERROR(reader_->Read(objects_, get.offset, *get.length, sink));
    } else {
      COFFER_ASSIGN_OR_RETURN(const storage::ObjectInfo got,
                              objects_.GetObject(src_.bucket, src_.key, get, sink));
      etag = got.etag;
    }
    if (etag != info_.etag || window_.size() != *get.length) {
      return MakeS3Error(S3ErrorCode::kPreconditionFailed,
                         "The copy source changed while it was being copied.");
    }
    next_ += window_.size();
    left_ -= window_.size();
    return base::Ok();
  }

  storage::ObjectLayer& objects_;
  const CopySource& src_;
  const storage::ObjectInfo& info_;
  SseReader* reader_;
  std::uint64_t next_;
  std::uint64_t left_;
  std::string window_;
  std::size_t at_ = 0;
};

}  // namespace

base::Status CreateMultipartUpload(Call& call) {
  COFFER_ASSIGN_OR_RETURN(SseRequest sse, ParseSseWrite(call.http, call.env.random().LibCtx()));
  sse = WithBucketDefault(std::move(sse), call.BucketSettings(call.bucket()));
  COFFER_ASSIGN_OR_RETURN(storage::PutOptions options, PutOptionsFromHeaders(call.http));
  // Tagging at upload time needs the tagging permission as well, as on S3.
  if (!options.tags.empty()) {
    COFFER_RETURN_IF_ERROR(call.Authorize("s3:PutObjectTagging", call.bucket(), call.key()));
  }
  // One object key for the whole upload, sealed now; each part is its own
  // stream under it, keyed by its part number (so parts do not swap).
  HeaderList headers;
  if (sse.mode != SseMode::kNone) {
    COFFER_ASSIGN_OR_RETURN(auto sealer,
                            SseWriter::Seal(call.Sse(), sse, call.bucket(), call.key()));
    options.encryption = sealer->Record();
    sealer->AddResponseHeaders(headers);
  }
  auto id = call.objects.NewMultipartUpload(call.bucket(), call.key(), options);
  if (!id.has_value()) return ToS3Error(id.error());
  XmlWriter xml("InitiateMultipartUploadResult");
  xml.Element("Bucket", call.bucket()).Element("Key", call.key()).Element("UploadId", *id);
  return call.SendXml(200, std::move(xml).Finish(), std::move(headers));
}

namespace {

// The upload's encryption for a part: null for an unencrypted upload.
// Errors: NoSuchUpload, the SSE-C errors (the part must carry the upload's
// key), ServiceUnavailable.
base::Result<std::unique_ptr<SseWriter>> PartSealer(const Call& call, std::string_view upload_id) {
  COFFER_RETURN_IF_ERROR(RefuseSseWriteHeaders(call.http));
  COFFER_ASSIGN_OR_RETURN(const std::optional<CustomerKey> customer,
                          ParseCustomerKey(call.http, kCustomerPrefix, call.env.random().LibCtx()));
  auto upload = call.objects.StatMultipartUpload(call.bucket(), call.key(), upload_id);
  if (!upload.has_value()) return ToS3Error(upload.error());
  if (upload->encryption.empty()) {
    if (customer.has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "The encryption parameters are not applicable to this upload.");
    }
    return std::unique_ptr<SseWriter>();
  }
  return SseWriter::ForUpload(call.Sse(), upload->encryption, call.bucket(), call.key(), customer);
}

}  // namespace

base::Status UploadPart(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::uint32_t number, PartNumberOf(call));
  COFFER_ASSIGN_OR_RETURN(const std::string upload_id, UploadIdOf(call));
  COFFER_ASSIGN_OR_RETURN(const std::unique_ptr<SseWriter> sealer, PartSealer(call, upload_id));
  COFFER_ASSIGN_OR_RETURN(auto body, call.OpenBody(call.options.max_put_size_bytes));
  storage::BodySource* source = body.get();
  std::unique_ptr<storage::BodySource> ciphertext;
  if (sealer != nullptr) {
    COFFER_ASSIGN_OR_RETURN(ciphertext, sealer->Encrypt(*body, number));
    source = ciphertext.get();
  }
  auto part = call.objects.PutObjectPart(call.bucket(), call.key(), upload_id, number, *source);
  if (!part.has_value()) return ToS3Error(part.error());
  HeaderList headers = {{"etag", Quoted(part->etag)}};
  if (!body->checksum_name().empty()) {
    headers.emplace_back(std::string(body->checksum_name()), std::string(body->checksum_value()));
  }
  if (sealer != nullptr) sealer->AddResponseHeaders(headers);
  return call.SendEmpty(200, std::move(headers));
}

base::Status UploadPartCopy(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::uint32_t number, PartNumberOf(call));
  COFFER_ASSIGN_OR_RETURN(const std::string upload_id, UploadIdOf(call));
  COFFER_ASSIGN_OR_RETURN(const CopySource src,
                          ParseCopySource(call.http.Header("x-amz-copy-source")));
  // SECURITY: the table authorized writing the part; reading the source is
  // a second permission, checked before anything about the source is told.
  COFFER_RETURN_IF_ERROR(call.Authorize(
      src.version_id.empty() ? call.op.source_action : "s3:GetObjectVersion", src.bucket, src.key));
  auto info = call.objects.StatObject(src.bucket, src.key, src.version_id);
  if (!info.has_value()) return ToS3Error(info.error());
  if (info->delete_marker) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "The source of a copy request may not refer to a delete marker.");
  }
  COFFER_ASSIGN_OR_RETURN(
      const std::optional<CustomerKey> source_key,
      ParseCustomerKey(call.http, kCopySourceCustomerPrefix, call.env.random().LibCtx()));
  std::unique_ptr<SseReader> reader;
  if (IsEncrypted(*info)) {
    COFFER_ASSIGN_OR_RETURN(reader, SseReader::Open(call.Sse(), *info, source_key));
    PresentInfo(*info);
  } else if (source_key.has_value()) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "The encryption parameters are not applicable to this object.");
  }
  COFFER_ASSIGN_OR_RETURN(const std::unique_ptr<SseWriter> sealer, PartSealer(call, upload_id));
  COFFER_RETURN_IF_ERROR(CheckCopyConditions(call.http, *info));
  COFFER_ASSIGN_OR_RETURN(
      const ByteRange range,
      CopyRangeOf(call.http.Header("x-amz-copy-source-range"), info->size_bytes));
  if (range.length > call.options.max_put_size_bytes) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "The specified copy source is larger than the largest part allowed.");
  }
  RangeCopySource source(call.objects, src, *info, range, reader.get());
  storage::BodySource* body = &source;
  std::unique_ptr<storage::BodySource> ciphertext;
  if (sealer != nullptr) {
    COFFER_ASSIGN_OR_RETURN(ciphertext, sealer->Encrypt(source, number));
    body = ciphertext.get();
  }
  auto part = call.objects.PutObjectPart(call.bucket(), call.key(), upload_id, number, *body);
  if (!part.has_value()) return ToS3Error(part.error());
  XmlWriter xml("CopyPartResult");
  xml.Element("LastModified", FormatIso8601Millis(part->mod_time))
      .Element("ETag", Quoted(part->etag));
  HeaderList headers;
  if (info->version_id != storage::kNullVersionId && !info->version_id.empty()) {
    headers.emplace_back("x-amz-copy-source-version-id", info->version_id);
  }
  if (sealer != nullptr) sealer->AddResponseHeaders(headers);
  return call.SendXml(200, std::move(xml).Finish(), std::move(headers));
}

namespace {

// Reads the CompleteMultipartUpload document. Errors: MalformedXML (not the
// document, no part, a part without a number or ETag), InvalidArgument (a
// part number outside 1..10000), InvalidPartOrder.
base::Result<std::vector<storage::CompletePart>> ParseCompleteBody(std::string_view body) {
  COFFER_ASSIGN_OR_RETURN(const auto doc, ParseXml(body));
  const pugi::xml_node root = doc->child("CompleteMultipartUpload");
  if (!root) return MakeS3Error(S3ErrorCode::kMalformedXml);
  std::vector<storage::CompletePart> parts;
  for (const pugi::xml_node part : root.children("Part")) {
    const pugi::xml_node number = part.child("PartNumber");
    const pugi::xml_node etag = part.child("ETag");
    if (!number || !etag) return MakeS3Error(S3ErrorCode::kMalformedXml);
    const auto value = ParseDecimal(number.text().as_string());
    if (!value.has_value()) return MakeS3Error(S3ErrorCode::kMalformedXml);
    if (*value < 1 || *value > kMaxPartNumber) return BadPartNumber();
    parts.push_back({static_cast<std::uint32_t>(*value), etag.text().as_string()});
  }
  if (parts.empty()) {
    return MakeS3Error(S3ErrorCode::kMalformedXml,
                       "The XML you provided was not well-formed or did not validate against "
                       "our published schema: a completion lists at least one part.");
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].number <= parts[i - 1].number) {
      return MakeS3Error(S3ErrorCode::kInvalidPartOrder);
    }
  }
  return parts;
}

// Checks the list against the uploaded parts with S3's minimum part size
// (S3ApiOptions::min_part_size_bytes). The object layer checks again with its
// own minimum (ErasureSetOptions::min_part_size_bytes); serve configures both
// from one value, and whichever is larger wins.
base::Status CheckCompleteParts(const Call& call, std::string_view upload_id,
                                const std::vector<storage::CompletePart>& parts) {
  auto uploaded = call.objects.ListParts(call.bucket(), call.key(), upload_id);
  if (!uploaded.has_value()) return ToS3Error(uploaded.error());
  std::map<std::uint32_t, const storage::PartInfo*> by_number;
  for (const storage::PartInfo& p : *uploaded) by_number[p.number] = &p;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto it = by_number.find(parts[i].number);
    if (it == by_number.end() || Unquoted(parts[i].etag) != it->second->etag) {
      return MakeS3Error(S3ErrorCode::kInvalidPart);
    }
    if (i + 1 < parts.size() && it->second->size_bytes < call.options.min_part_size_bytes) {
      return MakeS3Error(S3ErrorCode::kEntityTooSmall,
                         "Part " + std::to_string(parts[i].number) + " is smaller than " +
                             std::to_string(call.options.min_part_size_bytes) +
                             " bytes; every part but the last must be at least that big.");
    }
  }
  return base::Ok();
}

std::string ObjectUrl(const Call& call) {
  std::string url = call.http.secure ? "https://" : "http://";
  url += call.http.Header("host");
  url += '/';
  if (!call.s3.virtual_host) url += UrlEncodeKey(call.bucket()) + "/";
  url += UrlEncodeKey(call.key());
  return url;
}

}  // namespace

base::Status CompleteMultipartUpload(Call& call) {
  const auto upload_id = call.s3.Query("uploadId").value_or("");
  COFFER_ASSIGN_OR_RETURN(const std::string body, call.ReadXmlBody());
  COFFER_ASSIGN_OR_RETURN(const auto parts, ParseCompleteBody(body));
  COFFER_RETURN_IF_ERROR(CheckCompleteParts(call, upload_id, parts));
  auto done = call.objects.CompleteMultipartUpload(call.bucket(), call.key(), upload_id, parts);
  if (!done.has_value()) return ToS3Error(done.error());
  XmlWriter xml("CompleteMultipartUploadResult");
  xml.Element("Location", ObjectUrl(call))
      .Element("Bucket", call.bucket())
      .Element("Key", call.key())
      .Element("ETag", Quoted(done->etag));
  HeaderList headers;
  AddSseResponseHeaders(done->encryption, "", headers);
  if (!done->version_id.empty() && done->version_id != storage::kNullVersionId) {
    headers.emplace_back("x-amz-version-id", done->version_id);
  }
  return call.SendXml(200, std::move(xml).Finish(), std::move(headers));
}

base::Status AbortMultipartUpload(Call& call) {
  const auto upload_id = call.s3.Query("uploadId").value_or("");
  auto aborted = call.objects.AbortMultipartUpload(call.bucket(), call.key(), upload_id);
  if (!aborted.has_value()) return ToS3Error(aborted.error());
  return call.SendEmpty(204);
}

namespace {

// A non-negative integer query parameter, `absent` when not given. Errors:
// InvalidArgument.
base::Result<std::uint64_t> QueryNumber(const Call& call, std::string_view name,
                                        std::uint64_t absent) {
  const auto text = call.s3.Query(name);
  if (!text.has_value()) return absent;
  const auto value = ParseDecimal(*text);
  if (!value.has_value()) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "Argument " + std::string(name) + " must be a non-negative integer.");
  }
  return *value;
}

}  // namespace

base::Status ListParts(Call& call) {
  const std::string upload_id(call.s3.Query("uploadId").value_or(""));
  COFFER_ASSIGN_OR_RETURN(const std::uint64_t max_value, QueryNumber(call, "max-parts", kMaxParts));
  const auto max_parts = static_cast<std::uint32_t>(std::min<std::uint64_t>(max_value, kMaxParts));
  COFFER_ASSIGN_OR_RETURN(const std::uint64_t marker, QueryNumber(call, "part-number-marker", 0));
  auto parts = call.objects.ListParts(call.bucket(), call.key(), upload_id);
  if (!parts.has_value()) return ToS3Error(parts.error());
  // Parts of an encrypted upload show their plaintext size.
  auto upload = call.objects.StatMultipartUpload(call.bucket(), call.key(), upload_id);
  const bool encrypted = upload.has_value() && IsEncrypted(*upload);
  XmlWriter xml("ListPartsResult");
  xml.Element("Bucket", call.bucket()).Element("Key", call.key()).Element("UploadId", upload_id);
  AppendOwner(xml, "Initiator");
  AppendOwner(xml, "Owner");
  xml.Element("StorageClass", "STANDARD").Element("PartNumberMarker", marker);
  // The page is chosen first: NextPartNumberMarker precedes the parts.
  std::uint32_t shown = 0;
  std::uint32_t last = 0;
  bool truncated = false;
  std::vector<const storage::PartInfo*> page;
  for (const storage::PartInfo& p : *parts) {
    if (p.number <= marker) continue;
    if (shown == max_parts) {
      truncated = true;
      break;
    }
    page.push_back(&p);
    last = p.number;
    ++shown;
  }
  xml.Element("NextPartNumberMarker", last)
      .Element("MaxParts", max_parts)
      .Bool("IsTruncated", truncated);
  for (const storage::PartInfo* p : page) {
    xml.Open("Part")
        .Element("PartNumber", p->number)
        .Element("LastModified", FormatIso8601Millis(p->mod_time))
        .Element("ETag", Quoted(p->etag))
        .Element("Size", encrypted ? sse::PlaintextSize(p->size_bytes).value_or(p->size_bytes)
                                   : p->size_bytes)
        .Close("Part");
  }
  return call.SendXml(200, std::move(xml).Finish());
}

}  // namespace coffer::core::s3
