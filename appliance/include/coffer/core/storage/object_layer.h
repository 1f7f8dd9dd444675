#pragma once
// The object layer: what the S3 API calls to store and fetch objects. It speaks
// buckets, keys, versions, byte ranges and multipart uploads; nothing above it
// knows about drives, shards or erasure coding. The erasure-coded engine
// (erasure_set.h) is the production implementation.
//
// Bodies stream in both directions: PutObject pulls chunks from a BodySource
// and GetObject pushes chunks to an ObjectSink, so a 5 GiB object moves through
// a bounded buffer (one erasure block per drive set).
//
// Error codes, chosen by what the S3 layer should answer:
//   kNotFound            no such bucket, key, version or upload (NoSuchBucket,
//                        NoSuchKey, NoSuchVersion, NoSuchUpload; the message
//                        says which, and ObjectInfo::delete_marker is not
//                        available on errors, so GetObject of a key whose latest
//                        version is a delete marker returns kNotFound with a
//                        message starting "delete marker").
//   kAlreadyExists       MakeBucket of an existing bucket.
//   kFailedPrecondition  DeleteBucket of a non-empty bucket; a part list that
//                        does not match the uploaded parts (InvalidPart).
//   kInvalidArgument     bad bucket name, key, part number, part order, or a
//                        body whose length differs from the announced size.
//   kOutOfRange          a range that starts at or beyond the object size.
//   kUnavailable         not enough drives answered for a read or write quorum
//                        (S3: 503 SlowDown); the write was rolled back.
//   kDataLoss            fewer than the data-shard count of shards verify: the
//                        object cannot be reconstructed. Never wrong bytes.
//   kResourceExhausted   drives are full.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/bytes.h"
#include "coffer/base/clock.h"
#include "coffer/base/result.h"

namespace coffer::core::storage {

// Yields the body of a PutObject or PutObjectPart in chunks.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills a prefix of `out`; returns how many bytes were written, 0 at the end
  // of the body. An error aborts the upload and is returned to the caller.
  virtual base::Result<std::size_t> Read(std::span<std::byte> out) = 0;
};

// Receives the bytes of a GetObject in order.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // Consumes `data`. An error stops the read and is returned to the caller.
  virtual base::Status Write(std::span<const std::byte> data) = 0;
};

// A BodySource over a string the caller keeps alive.
class StringSource final : public BodySource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    const std::size_t n = std::min(out.size(), data_.size() - offset_);
    const auto bytes = base::AsBytes(data_.substr(offset_, n));
    std::copy(bytes.begin(), bytes.end(), out.begin());
    offset_ += n;
    return n;
  }

 private:
  std::string_view data_;
  std::size_t offset_ = 0;
};

// An ObjectSink that appends to a string.
class StringSink final : public ObjectSink {
 public:
  base::Status Write(std::span<const std::byte> data) override {
    out_.append(base::AsChars(data));
    return base::Ok();
  }
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

enum class VersioningState { kUnversioned = 0, kEnabled = 1, kSuspended = 2 };

struct BucketInfo {
  std::string name;
  base::WallTime created;
  VersioningState versioning = VersioningState::kUnversioned;
};

// The version id of objects written while versioning is off or suspended.
inline constexpr std::string_view kNullVersionId = "null";

struct ObjectInfo {
  std::string bucket;
  std::string key;
  // "null" for the null version, otherwise a UUID chosen at write time.
  std::string version_id;
  bool is_latest = false;
  bool delete_marker = false;
  std::uint64_t size_bytes = 0;
  // Lower-case hex without quotes: MD5 of the content for a single PUT,
  // md5-of-part-md5s "-N" for a multipart upload.
  std::string etag;
  base::WallTime mod_time;
  std::string content_type;
  // User metadata (x-amz-meta-*), keys as given, sorted.
  std::map<std::string, std::string> user_metadata;
  // Stored response headers, names lower-case: content-encoding,
  // content-disposition, content-language, cache-control, expires and the
  // x-amz-checksum-* value the client sent. Stored and returned verbatim.
  std::map<std::string, std::string> headers;
  // The object's tag set in x-amz-tagging form ("k1=v1&k2=v2", URL-encoded),
  // empty for none. Stored and returned verbatim; the S3 layer validates it.
  std::string tags;
  // Opaque bytes for server-side encryption (a later issue); stored and
  // returned verbatim.
  std::string encryption;
  // Number of multipart parts, 0 for a single PUT.
  std::uint32_t part_count = 0;
  // The parts' sizes in order (empty for a single PUT), so a reader can map a
  // part number to its byte range (GetObject ?partNumber=).
  std::vector<std::uint64_t> part_sizes;
  // The upload part numbers of those parts, same order (SSE keys each part
  // by its upload number).
  std::vector<std::uint32_t> part_numbers;
};

struct PutOptions {
  std::string content_type;
  std::map<std::string, std::string> user_metadata;
  std::map<std::string, std::string> headers;  // As ObjectInfo::headers.
  std::string tags;                            // As ObjectInfo::tags.
  std::string encryption;
  // When set, the body must have exactly this many bytes (else kInvalidArgument).
  std::optional<std::uint64_t> size_bytes;
};

struct GetOptions {
  // Empty: the latest version.
  std::string version_id;
  std::uint64_t offset = 0;
  // Bytes from `offset`; nullopt reads to the end. Clamped to the object size.
  std::optional<std::uint64_t> length;
};

struct DeleteResult {
  // The version that was removed, or the delete marker that was created.
  std::string version_id;
  bool delete_marker = false;
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  // Keys strictly after `marker` are listed (also the continuation token).
  std::string marker;
  std::uint32_t max_keys = 1000;
};

struct ListResult {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  // The marker that continues the listing when is_truncated.
  std::string next_marker;
};

struct ListVersionsOptions {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  std::uint32_t max_keys = 1000;
};

struct ListVersionsResult {
  // Sorted by key, then newest first.
  std::vector<ObjectInfo> versions;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

struct PartInfo {
  std::uint32_t number = 0;
  std::uint64_t size_bytes = 0;
  std::string etag;
  base::WallTime mod_time;
};

struct CompletePart {
  std::uint32_t number = 0;
  std::string etag;
};

struct UploadInfo {
  std::string key;
  std::string upload_id;
  base::WallTime initiated;
};

// The interface the S3 API uses. Implementations are thread-safe: calls may
// come from many request threads at once. Operations on one key are
// linearised; the S3 layer needs no locking of its own.
class ObjectLayer {
 public:
  virtual ~ObjectLayer() = default;

  // Buckets. Names follow S3's rules (3..63 of a-z 0-9 . -).
  virtual base::Status MakeBucket(std::string_view bucket) = 0;
  virtual base::Result<BucketInfo> GetBucketInfo(std::string_view bucket) = 0;
  // Returns the buckets sorted by name.
  virtual base::Result<std::vector<BucketInfo>> ListBuckets() = 0;
  // Fails with kFailedPrecondition unless the bucket holds no object version
  // and no multipart upload.
  virtual base::Status DeleteBucket(std::string_view bucket) = 0;
  virtual base::Status SetBucketVersioning(std::string_view bucket, VersioningState state) = 0;

  // Stores a new object (or a new version of it) from `body`.
  virtual base::Result<ObjectInfo> PutObject(std::string_view bucket, std::string_view key,
                                             BodySource& body, const PutOptions& options) = 0;
  // Streams the selected range of an object to `sink`; returns its info. On an
  // error after some bytes reached the sink, the sink holds a prefix of the
  // range, never wrong bytes.
  virtual base::Result<ObjectInfo> GetObject(std::string_view bucket, std::string_view key,
                                             const GetOptions& options, ObjectSink& sink) = 0;
  // Returns the info of a version (the latest when version_id is empty). A
  // latest delete marker is kNotFound; an explicit delete-marker version id
  // returns its info with delete_marker set.
  virtual base::Result<ObjectInfo> StatObject(std::string_view bucket, std::string_view key,
                                              std::string_view version_id) = 0;
  // Without a version id: removes the null version (unversioned bucket) or
  // adds a delete marker (versioned or suspended bucket). With one: removes
  // that version for good.
  virtual base::Result<DeleteResult> DeleteObject(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id) = 0;
  // Replaces the tag set of a version (the latest when version_id is empty)
  // without touching its data; returns the version's info with the new tags.
  // A delete marker has no tags: kNotFound (latest) or kInvalidArgument
  // (explicit version id).
  virtual base::Result<ObjectInfo> PutObjectTags(std::string_view bucket, std::string_view key,
                                                 std::string_view version_id,
                                                 std::string_view tags) = 0;
  virtual base::Result<ListResult> ListObjects(std::string_view bucket,
                                               const ListOptions& options) = 0;
  virtual base::Result<ListVersionsResult> ListObjectVersions(
      std::string_view bucket, const ListVersionsOptions& options) = 0;

  // Multipart uploads. Returns the new upload id.
  virtual base::Result<std::string> NewMultipartUpload(std::string_view bucket,
                                                       std::string_view key,
                                                       const PutOptions& options) = 0;
  // Stores part `number` (1..10000), replacing an earlier upload of it.
  virtual base::Result<PartInfo> PutObjectPart(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id, std::uint32_t number,
                                               BodySource& body) = 0;
  // Returns what an upload was created with (content type, metadata, tags,
  // encryption; size and ETag empty), so a part can be encrypted under the
  // upload's key (StatMultipartUpload). kNotFound (no such upload).
  virtual base::Result<ObjectInfo> StatMultipartUpload(std::string_view bucket,
                                                       std::string_view key,
                                                       std::string_view upload_id) = 0;
  // Returns the parts uploaded so far, by number.
  virtual base::Result<std::vector<PartInfo>> ListParts(std::string_view bucket,
                                                        std::string_view key,
                                                        std::string_view upload_id) = 0;
  // Joins the listed parts (ascending numbers, matching ETags) into an object.
  virtual base::Result<ObjectInfo> CompleteMultipartUpload(
      std::string_view bucket, std::string_view key, std::string_view upload_id,
      const std::vector<CompletePart>& parts) = 0;
  virtual base::Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                            std::string_view upload_id) = 0;
  // Returns the uploads in progress whose key starts with `prefix`, by key.
  virtual base::Result<std::vector<UploadInfo>> ListMultipartUploads(std::string_view bucket,
                                                                     std::string_view prefix) = 0;
};

}  // namespace coffer::core::storage
