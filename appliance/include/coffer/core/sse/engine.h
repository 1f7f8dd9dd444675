#pragma once
// The SSE facade the S3 layer calls: object keys and their protection.
//
// Every encrypted object version has its own random 256-bit object key, which
// encrypts the packages (format.h, stream.h). The object key is stored only
// sealed (AES-256-GCM) under a key-encryption key (KEK) derived for that one
// object:
//
//   KEK = HMAC-SHA256(root, "coffer-sse-v1 kek" || 0 || mode || 0 || bucket "/" object)
//
// where `root` is the 32-byte data key from the key service (SSE-S3, SSE-KMS)
// or the client's key (SSE-C). Bucket names hold no '/', so "bucket/object" is
// unambiguous.
//
// SECURITY: a sealed key (or a whole record) copied onto another object does
// not open, because the KEK differs; the key service binds SSE-KMS and SSE-S3
// data keys to the object too, through the encryption context. The client's
// SSE-C key is never stored: the record keeps a salted HMAC of it, so a wrong
// key answers AccessDenied instead of decrypting garbage. Nothing here logs;
// error messages name buckets, objects and key names, never key material.
//
// Typical use (single PUT, SSE-S3):
//   auto sealed = engine.Seal({.mode = Mode::kSseS3, .key_name = sse_s3_key},
//                             bucket, object, key_service, env.random());
//   options.encryption = SerializeMetadata(sealed->metadata);
//   auto source = EncryptingSource::Create(engine, sealed->key,
//                                          sealed->metadata.algorithm, 0, body, env.random());
//   layer.PutObject(bucket, object, **source, options);
// and on GET: ParseMetadata(info.encryption) -> Open -> ObjectLayout::FromObjectInfo
// -> PlanRange -> DecryptingSink::Create -> layer.GetObject(ciphertext range) -> Finish.
//
// An Engine is immutable after Create and thread-safe; create one per process.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/sse/format.h"
#include "coffer/core/sse/metadata.h"
#include "coffer/env/key_service.h"

struct ossl_lib_ctx_st;

namespace coffer::core::sse {

// The name under which the SSE-S3 master key is suggested to live in the key
// service. The S3 layer passes whatever name its configuration says.
inline constexpr std::string_view kDefaultSseS3KeyName = "coffer-sse-s3";

// An object's 256-bit key, in memory only for the span of one request. Move-
// only; the bytes are wiped on destruction.
class ObjectKey {
 public:
  explicit ObjectKey(base::Secret bytes) : bytes_(std::move(bytes)) {}
  ObjectKey(ObjectKey&&) noexcept = default;
  ObjectKey& operator=(ObjectKey&&) noexcept = default;
  ObjectKey(const ObjectKey&) = delete;
  ObjectKey& operator=(const ObjectKey&) = delete;

  // SECURITY: the raw 32 bytes; only the package ciphers should ask.
  const base::Secret& secret() const { return bytes_; }

 private:
  base::Secret bytes_;
};

// How a new object (or a resealed one) is to be protected.
struct SealRequest {
  Mode mode = Mode::kSseS3;
  // SSE-S3: the appliance's SSE-S3 master key name. SSE-KMS: the key the
  // client named (or the bucket default). Ignored for SSE-C. Required.
  std::string_view key_name;
  // SSE-KMS only: the client's encryption context as a JSON object of
  // strings (any key order; stored canonicalised), or empty. It must not set
  // "aws:s3:arn" to anything but this object's ARN.
  std::string_view context;
  // SSE-C only: the client's 32-byte key (already base64-decoded and MD5
  // checked by the S3 layer). Borrowed for the call.
  const base::Secret* customer_key = nullptr;
  // The package algorithm for a new object; nullopt: PreferredAlgorithm().
  // Reseal keeps the algorithm of the data it reseals and ignores this.
  std::optional<Algorithm> algorithm;
};

// A fresh object key and the record that protects it. Store
// SerializeMetadata(metadata) as the object's encryption bytes (the S3 layer
// may set the optional plaintext fields first).
struct Sealed {
  ObjectKey key;
  Metadata metadata;
};

class Engine {
 public:
  // Fetches AES-256-GCM, ChaCha20-Poly1305, HMAC and SHA-256 from `libctx`
  // (borrowed, never null, must outlive the engine: pass
  // env.random().LibCtx()). kInternal when the library context lacks them.
  static base::Result<std::unique_ptr<Engine>> Create(ossl_lib_ctx_st* libctx);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Draws a new object key for bucket/object and seals it as `request` says.
  // SSE-S3/SSE-KMS call key_service.GenerateKey(key_name, context) once.
  // Errors (S3 errors, auth::MakeS3Error):
  //   InvalidArgument      empty key_name (SSE-S3/KMS), missing or non-32-byte
  //                        customer key (SSE-C), a context that is not a JSON
  //                        object of strings or is too long;
  //   KMS.NotFoundException  the key service has no such key (400);
  //   AccessDenied         the key service refuses this appliance the key;
  //   ServiceUnavailable   the key service is down (503; retry);
  //   InternalError        anything else from the key service or OpenSSL.
  base::Result<Sealed> Seal(const SealRequest& request, std::string_view bucket,
                            std::string_view object, env::KeyService& key_service,
                            base::Random& random) const;

  // Recovers the object key of bucket/object from its record. For SSE-C,
  // `customer_key` is the key the client sent with this request (or null).
  // Errors:
  //   InvalidRequest (400)  SSE-C object without a customer key ("The object
  //                         was stored using a form of Server Side
  //                         Encryption..."), or a customer key for an object
  //                         that is not SSE-C;
  //   AccessDenied (403)    the customer key is not the one the object was
  //                         written with;
  //   ServiceUnavailable, AccessDenied, KMS.NotFoundException as for Seal;
  //   kDataLoss (base)      the record or data key does not open for this
  //                         bucket/object: tampered, or moved from another
  //                         object (the S3 layer answers InternalError).
  base::Result<ObjectKey> Open(const Metadata& metadata, std::string_view bucket,
                               std::string_view object, env::KeyService& key_service,
                               const base::Secret* customer_key) const;

  // Re-protects an existing object key without touching its data: opens it
  // as Open(from, from_bucket, from_object, ..., from_customer_key) does and
  // seals the same key for to_bucket/to_object as `to` says (SSE-C key
  // rotation by copying an object onto itself with a new key; SSE-S3 to
  // SSE-KMS; a copy whose stored bytes are copied verbatim, part layout
  // included). The result keeps from.algorithm. Errors: those of Open and
  // Seal.
  base::Result<Metadata> Reseal(const Metadata& from, std::string_view from_bucket,
                                std::string_view from_object, const base::Secret* from_customer_key,
                                const SealRequest& to, std::string_view to_bucket,
                                std::string_view to_object, env::KeyService& key_service,
                                base::Random& random) const;

  // Key rotation: asks the key service to re-seal the data-key ciphertext
  // under the newest version of its key (KeyService::Rewrap, same context);
  // the object key, the sealed key and the data stay as they are. Returns the
  // updated record, or nullopt for SSE-C (no key service key to rotate).
  // Errors: those of the key service, mapped as for Seal; kDataLoss when the
  // ciphertext does not open for bucket/object.
  base::Result<std::optional<Metadata>> Rewrap(const Metadata& metadata, std::string_view bucket,
                                               std::string_view object,
                                               env::KeyService& key_service) const;

  // The context the key service binds an SSE-S3/SSE-KMS data key to:
  // canonical JSON (sorted keys, no spaces) of the client context plus
  // {"aws:s3:arn": "arn:aws:s3:::bucket/object"}. InvalidArgument (S3 error)
  // when `client_context` is not empty and not a JSON object of strings, or
  // names another aws:s3:arn.
  static base::Result<std::string> KeyServiceContext(std::string_view bucket,
                                                     std::string_view object,
                                                     std::string_view client_context);

  // For the package ciphers (stream.h); opaque to callers.
  struct Primitives;
  const Primitives& primitives() const { return *primitives_; }

 private:
  explicit Engine(std::unique_ptr<Primitives> primitives);
  std::unique_ptr<Primitives> primitives_;
};

}  // namespace coffer::core::sse
