#pragma once
// Server-side encryption of object data for the S3 handlers: the glue between
// what a request asks (sse_request.h), the key service (env::KeyService) and
// the package crypto of coffer/core/sse. Handlers see three things:
//
//   - SseWriter: seals a fresh object key for a new object (PutObject,
//     CopyObject's target, CreateMultipartUpload) or reopens an upload's key
//     (UploadPart), wraps the plaintext body into ciphertext, and yields the
//     record for storage::PutOptions::encryption and the response headers;
//   - SseReader: opens an existing object's key (GET, HEAD, copy sources),
//     plans and decrypts plaintext ranges, and reports the plaintext size
//     and ETag the client should see;
//   - PresentInfo: the plaintext size and ETag of a listed object, without
//     opening any key.
//
// Errors (as S3 answers them): ServiceUnavailable (503) when the key service
// is down or absent, InvalidArgument for an unknown KMS key, InvalidRequest
// (400) for an SSE-C object read without its key or a key sent for an object
// that is not SSE-C, AccessDenied (403) for a wrong SSE-C key, InternalError
// for a record or ciphertext that does not open (tampering, bitrot): never
// wrong bytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/core/http.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/storage/object_layer.h"
#include "coffer/env/env.h"
#include "coffer/env/key_service.h"

#include "sse_request.h"

namespace coffer::core::s3 {

// What SSE needs from the API, borrowed for one request.
struct SseEnv {
  env::Env& env;
  const sse::Engine& engine;
  env::KeyService* key_service;  // Null: SSE-S3/SSE-KMS answer 503.
  std::string_view master_key;   // S3ApiOptions::sse_master_key.
};

inline SseEnv MakeSseEnv(env::Env& env, const sse::Engine& engine, const S3ApiOptions& options) {
  return SseEnv{env, engine, options.key_service, options.sse_master_key};
}

class SseWriter {
 public:
  // Seals a new object key for bucket/key in `request`'s mode (not kNone).
  static base::Result<std::unique_ptr<SseWriter>> Seal(const SseEnv& env, const SseRequest& request,
                                                       std::string_view bucket,
                                                       std::string_view key);
  // Reopens the key of a multipart upload from its record (UploadPart);
  // `customer` is the part request's SSE-C key (required for SSE-C uploads).
  static base::Result<std::unique_ptr<SseWriter>> ForUpload(
      const SseEnv& env, std::string_view record, std::string_view bucket, std::string_view key,
      const std::optional<CustomerKey>& customer);
  ~SseWriter();

  // A BodySource of the ciphertext of `plain`, as stream `part_number` (0:
  // a single PUT). The returned source borrows `plain` and this writer.
  // While it is read it hashes the plaintext (for SSE-S3's ETag).
  base::Result<std::unique_ptr<storage::BodySource>> Encrypt(storage::BodySource& plain,
                                                             std::uint32_t part_number);
  // The record for PutOptions::encryption. After the encrypted body has been
  // read to its end it carries the plaintext size and (SSE-S3) the plaintext
  // ETag: storage reads PutOptions::encryption once the body is consumed, so
  // the caller refreshes it through RecordSink below.
  std::string Record() const;
  // Where Encrypt's source writes the final record when the body ends (the
  // handler points it at its PutOptions::encryption). May stay null.
  void set_record_sink(std::string* sink);
  // The ETag S3 shows for what was written: the plaintext MD5 for SSE-S3,
  // `stored_etag` (the ciphertext's) otherwise.
  std::string Etag(std::string_view stored_etag) const;
  // x-amz-server-side-encryption* response headers of this write.
  void AddResponseHeaders(HeaderList& headers) const;
  // The plaintext bytes the last Encrypt source consumed.
  std::uint64_t plaintext_bytes() const;
  SseMode mode() const;

  struct State;

 private:
  explicit SseWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class SseReader {
 public:
  // Opens the object key of `info` (which must be encrypted:
  // IsEncrypted(info)). `customer` is the request's SSE-C key, or for a copy
  // source the x-amz-copy-source-...-customer-* key.
  static base::Result<std::unique_ptr<SseReader>> Open(const SseEnv& env,
                                                       const storage::ObjectInfo& info,
                                                       const std::optional<CustomerKey>& customer);
  ~SseReader();

  std::uint64_t plaintext_size() const;
  // The ETag S3 shows (unquoted).
  const std::string& etag() const;
  SseMode mode() const;

  // Streams plaintext [offset, offset + length) of the object to `out`,
  // reading the ciphertext packages it needs through `objects` (the version
  // pinned by info). Fails, after a prefix at most, on any tampering.
  base::Status Read(storage::ObjectLayer& objects, std::uint64_t offset, std::uint64_t length,
                    storage::ObjectSink& out);

  struct State;

 private:
  explicit SseReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// True when the object version is server-side encrypted.
bool IsEncrypted(const storage::ObjectInfo& info);
// The mode of an SSE record (kNone when empty or unparseable).
SseMode RecordMode(std::string_view record);

// Rewrites size_bytes and etag of an encrypted object's info to what S3
// shows (plaintext size, plaintext ETag for SSE-S3), from its record alone.
// Leaves other infos alone; a record that does not parse leaves it too.
void PresentInfo(storage::ObjectInfo& info);
// PresentInfo on a copy.
storage::ObjectInfo PresentedInfo(const storage::ObjectInfo& info);

// The x-amz-server-side-encryption* response headers of an object with SSE
// record `record` (GET, HEAD, CompleteMultipartUpload): the mode, the KMS key
// id, and for SSE-C the algorithm and the key MD5 the client sent
// (`customer_key_md5`, may be empty). Nothing for an unencrypted object.
void AddSseResponseHeaders(std::string_view record, std::string_view customer_key_md5,
                           HeaderList& headers);

// Maps a key-service or crypto error to the S3 error to answer with.
base::Error SseError(const base::Error& error);

}  // namespace coffer::core::s3
