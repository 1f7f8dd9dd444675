// The object handlers: PutObject, GetObject, HeadObject, DeleteObject,
// DeleteObjects, CopyObject and GetObjectAcl, with S3's header, range,
// condition and error behaviour.

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/s3_errors.h"

#include "call.h"
#include "put_options.h"
#include "sse_request.h"
#include "xml.h"
#include "xml_bodies.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

// GetObject's response-* query overrides and the header each replaces.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kResponseOverrides = {{
    {"response-content-type", "content-type"},
    {"response-content-language", "content-language"},
    {"response-expires", "expires"},
    {"response-cache-control", "cache-control"},
    {"response-content-disposition", "content-disposition"},
    {"response-content-encoding", "content-encoding"},
}};

// Bytes per GetObject call while copying: bounds a copy's memory whatever
// the object size.
constexpr std::uint64_t kCopyWindowBytes = 1u << 20;

std::string Quote(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

bool IsNotFound(const base::Error& e) { return e.code() == base::ErrorCode::kNotFound; }
bool IsNoSuchBucket(const base::Error& e) {
  return IsNotFound(e) && e.message().starts_with("no such bucket");
}

// The ETags of an If-Match / If-None-Match list, unquoted ("*" kept).
bool EtagListMatches(std::string_view list, std::string_view etag) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') {
      item = item.substr(1, item.size() - 2);
    }
    if (item == "*" || item == etag) return true;
  }
  return false;
}

// HTTP dates have whole seconds, so comparisons use the object's time
// truncated to the second.
base::WallTime Seconds(base::WallTime t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

enum class Verdict { kProceed, kNotModified, kPreconditionFailed };

// RFC 7232 section 6 as S3 applies it: If-Match decides alone when present
// (If-Unmodified-Since is then ignored), likewise If-None-Match over
// If-Modified-Since. A failed If-Match/If-Unmodified-Since beats the
// not-modified answers. Unparseable dates are ignored.
Verdict EvaluateConditions(std::string_view if_match, std::string_view if_none_match,
                           std::string_view if_modified_since, std::string_view if_unmodified_since,
                           const storage::ObjectInfo& info) {
  const base::WallTime modified = Seconds(info.mod_time);
  if (!if_match.empty()) {
    if (!EtagListMatches(if_match, info.etag)) return Verdict::kPreconditionFailed;
  } else if (!if_unmodified_since.empty()) {
    if (auto t = ParseHttpDate(if_unmodified_since); t.has_value() && modified > *t) {
      return Verdict::kPreconditionFailed;
    }
  }
  if (!if_none_match.empty()) {
    if (EtagListMatches(if_none_match, info.etag)) return Verdict::kNotModified;
  } else if (!if_modified_since.empty()) {
    if (auto t = ParseHttpDate(if_modified_since); t.has_value() && modified <= *t) {
      return Verdict::kNotModified;
    }
  }
  return Verdict::kProceed;
}

std::optional<std::uint64_t> ParseUint(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // Inclusive.
};

// A Range header against an object of `size` bytes. nullopt: serve the whole
// object (no header, not "bytes=", several ranges or a malformed one: S3,
// like RFC 7233, ignores what it does not serve). Unsatisfiable: InvalidRange.
base::Result<std::optional<ByteRange>> ResolveRange(std::string_view header, std::uint64_t size) {
  if (!header.starts_with("bytes=")) return std::optional<ByteRange>();
  const std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  const auto unsatisfiable = [] {
    return MakeS3Error(S3ErrorCode::kInvalidRange, "The requested range is not satisfiable");
  };
  if (a.empty()) {  // bytes=-n: the last n bytes.
    const auto n = ParseUint(b);
    if (!n.has_value()) return std::optional<ByteRange>();
    if (*n == 0 || size == 0) return unsatisfiable();
    return std::optional<ByteRange>(ByteRange{size - std::min(*n, size), size - 1});
  }
  const auto first = ParseUint(a);
  if (!first.has_value()) return std::optional<ByteRange>();
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const auto l = ParseUint(b);
    if (!l.has_value() || *l < *first) return std::optional<ByteRange>();
    last = std::min(*l, last);
  }
  if (*first >= size) return unsatisfiable();
  return std::optional<ByteRange>(ByteRange{*first, last});
}

// An S3 error document sent by the handler itself, for the errors S3
// answers with extra headers (Content-Range, x-amz-delete-marker, ETag).
base::Status SendErrorWith(const Call& call, S3ErrorCode code, std::string_view message,
                           HeaderList extra,
                           std::vector<std::pair<std::string, std::string>> fields = {}) {
  const auth::S3ErrorInfo& info = auth::S3ErrorInfoFor(code);
  if (call.http.method == "HEAD" || info.http_status == 304) {
    // HEAD answers carry no body; neither does 304.
    return call.SendEmpty(info.http_status, std::move(extra));
  }
  XmlWriter xml("Error", /*with_namespace=*/false);
  xml.Element("Code", info.name)
      .Element("Message", message.empty() ? info.default_message : message);
  for (const auto& [name, value] : fields) xml.Element(name, value);
  xml.Element("Resource", call.s3.path).Element("RequestId", call.http.request_id);
  return call.SendXml(info.http_status, std::move(xml).Finish(), std::move(extra));
}

// The version id from ?versionId=, which S3 refuses when empty.
base::Result<std::string> VersionIdQuery(const Call& call) {
  const auto v = call.s3.Query("versionId");
  if (!v.has_value()) return std::string();
  if (v->empty()) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument, "Version id cannot be the empty string");
  }
  return std::string(*v);
}

// The 403-instead-of-404 rule: who may not list the bucket learns nothing
// about which keys exist.
base::Error HideMissingKey(const Call& call, const base::Error& error) {
  const base::Error s3 = ToS3Error(error);
  if (auth::S3ErrorCodeOf(s3) == S3ErrorCode::kNoSuchKey &&
      !call.Allowed("s3:ListBucket", call.bucket(), "")) {
    return MakeS3Error(S3ErrorCode::kAccessDenied);
  }
  return s3;
}

// Writes a GetObject's bytes straight into the response.
class ResponseSink final : public storage::ObjectSink {
 public:
  explicit ResponseSink(ResponseWriter& response) : response_(response) {}
  base::Status Write(std::span<const std::byte> data) override {
    written_ += data.size();
    return response_.Write(data);
  }
  std::uint64_t written() const { return written_; }

 private:
  ResponseWriter& response_;
  std::uint64_t written_ = 0;
};

// Server-side encryption of a GET/HEAD: checks the SSE headers, opens the
// object key when the body is needed or an SSE-C key must be verified (a HEAD
// of an SSE-S3 object needs no key service), and turns `info` into what S3
// shows (plaintext size and ETag). Null reader: send the stored bytes.
base::Result<std::unique_ptr<SseReader>> OpenForRead(const Call& call, storage::ObjectInfo& info,
                                                     bool head) {
  COFFER_RETURN_IF_ERROR(RefuseSseWriteHeaders(call.http));
  COFFER_ASSIGN_OR_RETURN(const std::optional<CustomerKey> customer,
                          ParseCustomerKey(call.http, kCustomerPrefix, call.env.random().LibCtx()));
  std::unique_ptr<SseReader> reader;
  if (!IsEncrypted(info)) {
    if (customer.has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "The encryption parameters are not applicable to this object.");
    }
    return reader;
  }
  if (!head || customer.has_value() || RecordMode(info.encryption) == SseMode::kCustomer) {
    COFFER_ASSIGN_OR_RETURN(reader, SseReader::Open(call.Sse(), info, customer));
  }
  PresentInfo(info);
  return reader;
}

base::Status ServeObject(Call& call, bool head) {
  COFFER_ASSIGN_OR_RETURN(const std::string version_id, VersionIdQuery(call));
  const HttpRequest& http = call.http;
  const bool anonymous = call.auth.kind == auth::AuthKind::kAnonymous;

  std::optional<std::uint32_t> part_number;
  if (const auto p = call.s3.Query("partNumber"); p.has_value()) {
    const auto n = ParseUint(*p);
    if (!n.has_value() || *n < 1 || *n > 10000) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "Part number must be an integer between 1 and 10000, inclusive");
    }
    if (!http.Header("range").empty()) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "Cannot specify both Range header and partNumber query parameter");
    }
    part_number = static_cast<std::uint32_t>(*n);
  }
  for (const auto& [param, header] : kResponseOverrides) {
    if (call.s3.Has(param) && anonymous) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "Request specific response headers cannot be used for anonymous GET "
                         "requests.");
    }
  }

  auto stat = call.objects.StatObject(call.bucket(), call.key(), version_id);
  if (!stat.has_value()) {
    const base::Error error = HideMissingKey(call, stat.error());
    // A key whose latest version is a delete marker: S3 says so in a header
    // (to those who may know the key exists).
    if (auth::S3ErrorCodeOf(error) == S3ErrorCode::kNoSuchKey &&
        stat.error().message().starts_with("delete marker")) {
      return SendErrorWith(call, S3ErrorCode::kNoSuchKey, "", {{"x-amz-delete-marker", "true"}});
    }
    return error;
  }
  storage::ObjectInfo info = std::move(stat).value();
  const bool show_version = info.version_id != storage::kNullVersionId || !version_id.empty();
  const std::string last_modified = FormatHttpDate(info.mod_time);

  if (info.delete_marker) {
    // Only reachable with an explicit version id: S3 answers 405 and says
    // what the version is.
    HeaderList extra = {{"x-amz-delete-marker", "true"},
                        {"x-amz-version-id", info.version_id},
                        {"last-modified", last_modified}};
    return SendErrorWith(call, S3ErrorCode::kMethodNotAllowed,
                         "The specified method is not allowed against this resource.",
                         std::move(extra));
  }

  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SseReader> reader, OpenForRead(call, info, head));

  switch (EvaluateConditions(http.Header("if-match"), http.Header("if-none-match"),
                             http.Header("if-modified-since"), http.Header("if-unmodified-since"),
                             info)) {
    case Verdict::kProceed:
      break;
    case Verdict::kNotModified: {
      HeaderList extra = {{"etag", Quote(info.etag)}, {"last-modified", last_modified}};
      if (show_version) extra.emplace_back("x-amz-version-id", info.version_id);
      return call.SendEmpty(304, std::move(extra));
    }
    case Verdict::kPreconditionFailed:
      return SendErrorWith(
          call, S3ErrorCode::kPreconditionFailed,
          "At least one of the pre-conditions you specified did not hold", {},
          {{"Condition", !http.Header("if-match").empty() ? "If-Match" : "If-Unmodified-Since"}});
  }

  // What to send: the whole object, a range or one part.
  std::optional<ByteRange> range;
  if (part_number.has_value()) {
    if (info.part_count == 0) {
      if (*part_number != 1) {
        return SendErrorWith(call, S3ErrorCode::kInvalidRange,
                             "The requested partnumber is not satisfiable",
                             {{"content-range", "bytes */" + std::to_string(info.size_bytes)}});
      }
    } else {
      if (*part_number > info.part_count || info.part_sizes.size() != info.part_count) {
        return SendErrorWith(call, S3ErrorCode::kInvalidRange,
                             "The requested partnumber is not satisfiable",
                             {{"content-range", "bytes */" + std::to_string(info.size_bytes)}});
      }
      std::uint64_t first = 0;
      for (std::uint32_t i = 0; i + 1 < *part_number; ++i) first += info.part_sizes[i];
      const std::uint64_t size = info.part_sizes[*part_number - 1];
      if (size > 0) range = ByteRange{first, first + size - 1};
    }
  } else {
    auto resolved = ResolveRange(http.Header("range"), info.size_bytes);
    if (!resolved.has_value()) {
      return SendErrorWith(call, S3ErrorCode::kInvalidRange, resolved.error().message(),
                           {{"content-range", "bytes */" + std::to_string(info.size_bytes)}},
                           {{"RangeRequested", std::string(http.Header("range"))},
                            {"ActualObjectSize", std::to_string(info.size_bytes)}});
    }
    range = *resolved;
  }

  HeaderList headers;
  headers.emplace_back("last-modified", last_modified);
  headers.emplace_back("etag", Quote(info.etag));
  headers.emplace_back("accept-ranges", "bytes");
  headers.emplace_back("content-type",
                       info.content_type.empty() ? "binary/octet-stream" : info.content_type);
  if (show_version) headers.emplace_back("x-amz-version-id", info.version_id);
  AddSseResponseHeaders(info.encryption,
                        http.Header("x-amz-server-side-encryption-customer-key-md5"), headers);
  for (const auto& [name, value] : info.headers) {
    // Checksums describe the whole object; S3 sends them only when asked
    // (x-amz-checksum-mode: ENABLED) and not for a range.
    if (name.starts_with("x-amz-checksum-")) {
      if (http.Header("x-amz-checksum-mode") != "ENABLED" || range.has_value()) continue;
    }
    headers.emplace_back(name, value);
  }
  for (const auto& [name, value] : info.user_metadata) {
    headers.emplace_back("x-amz-meta-" + name, value);
  }
  if (!head && !info.tags.empty()) {
    headers.emplace_back("x-amz-tagging-count", std::to_string(CountTags(info.tags)));
  }
  if (info.part_count > 0 && part_number.has_value()) {
    headers.emplace_back("x-amz-mp-parts-count", std::to_string(info.part_count));
  }
  for (const auto& [param, header] : kResponseOverrides) {
    const auto value = call.s3.Query(param);
    if (!value.has_value()) continue;
    // clang 14 cannot capture a structured binding.
    const std::string_view replaced = header;
    std::erase_if(headers, [&](const auto& h) { return h.first == replaced; });
    headers.emplace_back(std::string(header), std::string(*value));
  }

  unsigned status = 200;
  std::uint64_t length = info.size_bytes;
  if (range.has_value()) {
    status = 206;
    length = range->last - range->first + 1;
    headers.emplace_back("content-range", "bytes " + std::to_string(range->first) + "-" +
                                              std::to_string(range->last) + "/" +
                                              std::to_string(info.size_bytes));
  } else if (part_number.has_value() && info.part_count > 0) {
    // A zero-byte part: S3 still answers a part request with 206.
    status = 206;
    length = 0;
  }

  COFFER_RETURN_IF_ERROR(
      call.response.Start(status, call.ResponseHeaders(std::move(headers)), length));
  if (head || length == 0) return call.response.Finish();

  if (reader != nullptr) {
    ResponseSink sink(call.response);
    COFFER_RETURN_IF_ERROR(
        reader->Read(call.objects, range.has_value() ? range->first : 0, length, sink));
    if (sink.written() != length) return base::Aborted("object changed while it was being read");
    return call.response.Finish();
  }
  storage::GetOptions get;
  get.version_id = info.version_id;
  if (range.has_value()) {
    get.offset = range->first;
    get.length = length;
  }
  ResponseSink sink(call.response);
  auto got = call.objects.GetObject(call.bucket(), call.key(), get, sink);
  if (!got.has_value()) return got.error();  // Started: the shell closes the connection.
  // A null version can be overwritten in place between the stat and the
  // read; the bytes sent then belong to another object, so the response
  // must not end as if it were whole.
  if (got->etag != info.etag || sink.written() != length) {
    return base::Aborted("object changed while it was being read");
  }
  return call.response.Finish();
}

// --- CopyObject ---

struct CopySource {
  std::string bucket;
  std::string key;
  std::string version_id;
};

// x-amz-copy-source: "[/]bucket/key[?versionId=id]", the key URL-encoded.
base::Result<CopySource> ParseCopySource(std::string_view header) {
  const auto invalid = [] {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "Copy Source must mention the source bucket and key: "
                       "sourcebucket/sourcekey");
  };
  std::string_view raw = header;
  CopySource source;
  if (const std::size_t q = raw.find('?'); q != std::string_view::npos) {
    const std::string_view query = raw.substr(q + 1);
    raw = raw.substr(0, q);
    if (!query.starts_with("versionId=")) return invalid();
    auto v = PercentDecode(query.substr(10), /*plus_is_space=*/false);
    if (!v.has_value() || v->empty()) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument, "Invalid version id specified");
    }
    source.version_id = std::move(*v);
  }
  auto decoded = PercentDecode(raw, /*plus_is_space=*/false);
  if (!decoded.has_value()) return invalid();
  std::string_view path = *decoded;
  if (path.starts_with('/')) path.remove_prefix(1);
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) return invalid();
  source.bucket = std::string(path.substr(0, slash));
  source.key = std::string(path.substr(slash + 1));
  if (!IsValidBucketName(source.bucket)) return MakeS3Error(S3ErrorCode::kInvalidBucketName);
  return source;
}

// Reads a pinned source version window by window (bounded memory for any
// size) and fails if what it reads is no longer that version.
class CopyBodySource final : public storage::BodySource {
 public:
  // `reader` (may be null) decrypts an encrypted source; `info` is then the
  // presented (plaintext) info.
  CopyBodySource(storage::ObjectLayer& objects, const CopySource& source,
                 const storage::ObjectInfo& info, SseReader* reader)
      : objects_(objects), source_(source), info_(info), reader_(reader) {}

  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    if (window_offset_ == window_.size()) {
      if (next_ >= info_.size_bytes) return std::size_t{0};
      storage::GetOptions get;
      get.version_id = info_.version_id;
      get.offset = next_;
      get.length = std::min<std::uint64_t>(kCopyWindowBytes, info_.size_bytes - next_);
      storage::StringSink sink;
      std::string etag = info_.etag;
      if (reader_ != nullptr) {
        COFFER_RETURN_IF_ERROR(reader_->Read(objects_, get.offset, *get.length, sink));
      } else {
        COFFER_ASSIGN_OR_RETURN(const storage::ObjectInfo got,
                                objects_.GetObject(source_.bucket, source_.key, get, sink));
        etag = got.etag;
      }
      if (etag != info_.etag || sink.data().size() != *get.length) {
        return MakeS3Error(S3ErrorCode::kInternalError,
                           "The copy source changed while it was being copied.");
      }
      window_ = sink.data();
      window_offset_ = 0;
      next_ += window_.size();
    }
    const std::size_t n = std::min(out.size(), window_.size() - window_offset_);
    std::memcpy(out.data(), window_.data() + window_offset_, n);
    window_offset_ += n;
    return n;
  }

 private:
  storage::ObjectLayer& objects_;
  const CopySource& source_;
  const storage::ObjectInfo& info_;
  SseReader* reader_;
  std::string window_;
  std::size_t window_offset_ = 0;
  std::uint64_t next_ = 0;
};

base::Result<std::string> Directive(const HttpRequest& http, std::string_view header) {
  const std::string_view value = http.Header(header);
  if (value.empty() || value == "COPY") return std::string("COPY");
  if (value == "REPLACE") return std::string("REPLACE");
  return MakeS3Error(S3ErrorCode::kInvalidArgument, header == "x-amz-metadata-directive"
                                                        ? "Unknown metadata directive."
                                                        : "Unknown tagging directive.");
}

// The put-side result headers shared by PutObject and CopyObject.
base::Result<bool> BucketVersioned(const Call& call) {
  COFFER_ASSIGN_OR_RETURN(const storage::BucketInfo bucket,
                          call.objects.GetBucketInfo(call.bucket()));
  return bucket.versioning == storage::VersioningState::kEnabled;
}

// A tag set given with the object needs s3:PutObjectTagging as well (S3
// checks both actions).
base::Status AuthorizeTags(const Call& call, std::string_view tags) {
  if (tags.empty()) return base::Ok();
  return call.Authorize("s3:PutObjectTagging", call.bucket(), call.key());
}

}  // namespace

base::Status PutObject(Call& call) {
  COFFER_ASSIGN_OR_RETURN(SseRequest sse, ParseSseWrite(call.http, call.env.random().LibCtx()));
  sse = WithBucketDefault(std::move(sse), call.BucketSettings(call.bucket()));
  COFFER_ASSIGN_OR_RETURN(storage::PutOptions options, PutOptionsFromHeaders(call.http));
  COFFER_RETURN_IF_ERROR(AuthorizeTags(call, options.tags));
  COFFER_ASSIGN_OR_RETURN(const bool versioned, BucketVersioned(call));
  // Sealed before the body is read: a key service that is down refuses the
  // request before the client sends megabytes.
  std::unique_ptr<SseWriter> sealer;
  if (sse.mode != SseMode::kNone) {
    COFFER_ASSIGN_OR_RETURN(sealer, SseWriter::Seal(call.Sse(), sse, call.bucket(), call.key()));
  }
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SignedBody> body,
                          call.OpenBody(call.options.max_put_size_bytes));
  HeaderList extra;
  if (!body->checksum_name().empty()) {
    // Verified before the body ends (body.h), so stored only for a body
    // that matched it.
    options.headers[std::string(body->checksum_name())] = std::string(body->checksum_value());
    extra.emplace_back(std::string(body->checksum_name()), std::string(body->checksum_value()));
  }
  options.size_bytes = body->declared_size();
  storage::BodySource* source = body.get();
  std::unique_ptr<storage::BodySource> ciphertext;
  if (sealer != nullptr) {
    COFFER_ASSIGN_OR_RETURN(ciphertext, sealer->Encrypt(*body, /*part_number=*/0));
    source = ciphertext.get();
    if (options.size_bytes.has_value()) {
      options.size_bytes = sse::CiphertextSize(*options.size_bytes);
    }
    options.encryption = sealer->Record();
    sealer->set_record_sink(&options.encryption);
  }
  COFFER_ASSIGN_OR_RETURN(const storage::ObjectInfo info,
                          call.objects.PutObject(call.bucket(), call.key(), *source, options));
  extra.emplace_back("etag", Quote(sealer != nullptr ? sealer->Etag(info.etag) : info.etag));
  if (versioned) extra.emplace_back("x-amz-version-id", info.version_id);
  if (sealer != nullptr) sealer->AddResponseHeaders(extra);
  return call.SendEmpty(200, std::move(extra));
}

base::Status GetObject(Call& call) { return ServeObject(call, /*head=*/false); }
base::Status HeadObject(Call& call) { return ServeObject(call, /*head=*/true); }

base::Status DeleteObject(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::string version_id, VersionIdQuery(call));
  auto deleted = call.objects.DeleteObject(call.bucket(), call.key(), version_id);
  HeaderList extra;
  if (!deleted.has_value()) {
    // Deleting what is not there succeeds in S3; a missing bucket does not.
    if (!IsNotFound(deleted.error()) || IsNoSuchBucket(deleted.error())) {
      return deleted.error();
    }
    if (!version_id.empty()) extra.emplace_back("x-amz-version-id", version_id);
    return call.SendEmpty(204, std::move(extra));
  }
  if (deleted->delete_marker) extra.emplace_back("x-amz-delete-marker", "true");
  if (deleted->delete_marker || !version_id.empty() ||
      deleted->version_id != storage::kNullVersionId) {
    if (!deleted->version_id.empty()) extra.emplace_back("x-amz-version-id", deleted->version_id);
  }
  return call.SendEmpty(204, std::move(extra));
}

base::Status DeleteObjects(Call& call) {
  // S3 refuses a multi-object delete without an integrity header: a
  // corrupted key list must not delete the wrong objects.
  bool has_integrity = !call.http.Header("content-md5").empty();
  for (const auto& [name, value] : call.http.headers) {
    if (auth::ChecksumAlgorithmFromHeader(name).has_value()) has_integrity = true;
    if (name == "x-amz-trailer" && auth::ChecksumAlgorithmFromHeader(value).has_value()) {
      has_integrity = true;
    }
  }
  if (!has_integrity) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "Missing required header for this request: Content-MD5");
  }
  COFFER_RETURN_IF_ERROR(call.objects.GetBucketInfo(call.bucket()));
  COFFER_ASSIGN_OR_RETURN(const std::string body, call.ReadXmlBody());
  COFFER_ASSIGN_OR_RETURN(const DeleteRequest request, ParseDeleteXml(body));

  XmlWriter xml("DeleteResult");
  for (const DeleteEntry& entry : request.objects) {
    const std::string_view action =
        entry.version_id.empty() ? "s3:DeleteObject" : "s3:DeleteObjectVersion";
    base::Status outcome = call.Authorize(action, call.bucket(), entry.key);
    std::optional<storage::DeleteResult> result;
    if (outcome.has_value()) {
      auto deleted = call.objects.DeleteObject(call.bucket(), entry.key, entry.version_id);
      if (deleted.has_value()) {
        result = std::move(deleted).value();
      } else if (!IsNotFound(deleted.error()) || IsNoSuchBucket(deleted.error())) {
        outcome = ToS3Error(deleted.error());
      }
      // A key or version that is not there counts as deleted, as in S3.
    }
    if (!outcome.has_value()) {
      const auth::S3ErrorReply reply = auth::ToS3ErrorReply(outcome.error());
      xml.Open("Error").Element("Key", entry.key);
      if (!entry.version_id.empty()) xml.Element("VersionId", entry.version_id);
      xml.Element("Code", reply.info->name).Element("Message", reply.message).Close("Error");
      continue;
    }
    if (request.quiet) continue;
    xml.Open("Deleted").Element("Key", entry.key);
    if (!entry.version_id.empty()) xml.Element("VersionId", entry.version_id);
    if (result.has_value() && result->delete_marker) {
      xml.Bool("DeleteMarker", true);
      xml.Element("DeleteMarkerVersionId", result->version_id);
    }
    xml.Close("Deleted");
  }
  return call.SendXml(200, std::move(xml).Finish());
}

base::Status CopyObject(Call& call) {
  const HttpRequest& http = call.http;
  ossl_lib_ctx_st* libctx = call.env.random().LibCtx();
  COFFER_ASSIGN_OR_RETURN(const SseRequest requested, ParseSseWrite(http, libctx));
  COFFER_ASSIGN_OR_RETURN(const std::optional<CustomerKey> source_key,
                          ParseCustomerKey(http, kCopySourceCustomerPrefix, libctx));
  COFFER_ASSIGN_OR_RETURN(const CopySource source,
                          ParseCopySource(http.Header("x-amz-copy-source")));
  const std::string_view source_action = !source.version_id.empty() ? "s3:GetObjectVersion"
                                         : call.op.source_action.empty()
                                             ? std::string_view("s3:GetObject")
                                             : call.op.source_action;
  COFFER_RETURN_IF_ERROR(call.Authorize(source_action, source.bucket, source.key));
  COFFER_ASSIGN_OR_RETURN(const std::string metadata_directive,
                          Directive(http, "x-amz-metadata-directive"));
  COFFER_ASSIGN_OR_RETURN(const std::string tagging_directive,
                          Directive(http, "x-amz-tagging-directive"));
  // Changing the encryption (SSE-C key rotation, SSE-S3 to SSE-KMS) is a
  // reason to copy an object onto itself.
  if (source.bucket == call.bucket() && source.key == call.key() && source.version_id.empty() &&
      metadata_directive != "REPLACE" && requested.mode == SseMode::kNone) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "This copy request is illegal because it is trying to copy an object to "
                       "itself without changing the object's metadata, storage class, website "
                       "redirect location or encryption attributes.");
  }

  auto stat = call.objects.StatObject(source.bucket, source.key, source.version_id);
  if (!stat.has_value()) return ToS3Error(stat.error());
  storage::ObjectInfo info = std::move(stat).value();
  if (info.delete_marker) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "The source of a copy request may not specifically refer to a delete "
                       "marker by version id.");
  }
  // An encrypted source is decrypted with its own key (the copy-source
  // SSE-C headers for SSE-C) and re-encrypted as the target asks.
  std::unique_ptr<SseReader> reader;
  if (IsEncrypted(info)) {
    COFFER_ASSIGN_OR_RETURN(reader, SseReader::Open(call.Sse(), info, source_key));
    PresentInfo(info);
  } else if (source_key.has_value()) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "The encryption parameters are not applicable to this object.");
  }
  if (info.size_bytes > call.options.max_put_size_bytes) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "The specified copy source is larger than the maximum allowable size "
                       "for a copy source: " +
                           std::to_string(call.options.max_put_size_bytes));
  }
  if (EvaluateConditions(
          http.Header("x-amz-copy-source-if-match"), http.Header("x-amz-copy-source-if-none-match"),
          http.Header("x-amz-copy-source-if-modified-since"),
          http.Header("x-amz-copy-source-if-unmodified-since"), info) != Verdict::kProceed) {
    // Every failed copy-source condition is 412 (there is no 304 for a copy).
    return MakeS3Error(S3ErrorCode::kPreconditionFailed,
                       "At least one of the pre-conditions you specified did not hold");
  }

  storage::PutOptions options;
  if (metadata_directive == "REPLACE") {
    COFFER_ASSIGN_OR_RETURN(options, PutOptionsFromHeaders(http));
    // The content is the source's, so its checksum still holds.
    for (const auto& [name, value] : info.headers) {
      if (name.starts_with("x-amz-checksum-")) options.headers[name] = value;
    }
  } else {
    options.content_type = info.content_type;
    options.user_metadata = info.user_metadata;
    options.headers = info.headers;
  }
  if (tagging_directive == "REPLACE") {
    const std::string_view tagging = http.Header("x-amz-tagging");
    COFFER_RETURN_IF_ERROR(ValidateTagging(tagging));
    options.tags = std::string(tagging);
    COFFER_RETURN_IF_ERROR(AuthorizeTags(call, options.tags));
  } else {
    options.tags = info.tags;
  }
  options.size_bytes = info.size_bytes;
  COFFER_ASSIGN_OR_RETURN(const bool versioned, BucketVersioned(call));

  CopyBodySource body(call.objects, source, info, reader.get());
  storage::BodySource* put_body = &body;
  std::unique_ptr<SseWriter> sealer;
  std::unique_ptr<storage::BodySource> ciphertext;
  const SseRequest target = WithBucketDefault(requested, call.BucketSettings(call.bucket()));
  if (target.mode != SseMode::kNone) {
    COFFER_ASSIGN_OR_RETURN(sealer, SseWriter::Seal(call.Sse(), target, call.bucket(), call.key()));
    COFFER_ASSIGN_OR_RETURN(ciphertext, sealer->Encrypt(body, /*part_number=*/0));
    put_body = ciphertext.get();
    options.size_bytes = sse::CiphertextSize(info.size_bytes);
    options.encryption = sealer->Record();
    sealer->set_record_sink(&options.encryption);
  }
  COFFER_ASSIGN_OR_RETURN(const storage::ObjectInfo copied,
                          call.objects.PutObject(call.bucket(), call.key(), *put_body, options));
  XmlWriter xml("CopyObjectResult");
  xml.Element("LastModified", FormatIso8601Millis(copied.mod_time))
      .Element("ETag", Quote(sealer != nullptr ? sealer->Etag(copied.etag) : copied.etag));
  HeaderList extra;
  if (sealer != nullptr) sealer->AddResponseHeaders(extra);
  if (info.version_id != storage::kNullVersionId || !source.version_id.empty()) {
    extra.emplace_back("x-amz-copy-source-version-id", info.version_id);
  }
  if (versioned) extra.emplace_back("x-amz-version-id", copied.version_id);
  return call.SendXml(200, std::move(xml).Finish(), std::move(extra));
}

base::Status GetObjectAcl(Call& call) {
  COFFER_ASSIGN_OR_RETURN(const std::string version_id, VersionIdQuery(call));
  auto stat = call.objects.StatObject(call.bucket(), call.key(), version_id);
  if (!stat.has_value()) return HideMissingKey(call, stat.error());
  // Coffer has no ACLs (policies decide); clients that read ACLs get the
  // canned private one: the owner has FULL_CONTROL.
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy xmlns=\"";
  doc += kS3Namespace;
  doc += "\"><Owner><ID>";
  doc += kOwnerId;
  doc += "</ID><DisplayName>";
  doc += kOwnerDisplayName;
  doc +=
      "</DisplayName></Owner><AccessControlList><Grant><Grantee "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>";
  doc += kOwnerId;
  doc += "</ID><DisplayName>";
  doc += kOwnerDisplayName;
  doc +=
      "</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
      "</AccessControlList></AccessControlPolicy>";
  HeaderList extra;
  if (!version_id.empty()) extra.emplace_back("x-amz-version-id", stat->version_id);
  return call.SendXml(200, doc, std::move(extra));
}

}  // namespace coffer::core::s3
