#pragma once
// Streaming encryption and decryption of object data in packages (format.h),
// as wrappers around the object layer's body interfaces:
//
//   PUT:  layer.PutObject(..., EncryptingSource(plaintext body), ...)
//   GET:  layer.GetObject(..., plan's ciphertext range, DecryptingSink(out))
//
// Each stream is keyed by HKDF-SHA256(object key, info = "coffer-sse-v1
// stream" || part number, big-endian u32): part 0 for a single PUT, the upload
// part number for a multipart part. Both wrappers hold one package buffer,
// allocated when they are created; nothing is allocated per package.
//
// Neither class is thread-safe; each lives for one request. Both borrow the
// Engine, the key bytes' owner (ObjectKey, copied into the cipher context at
// creation, so the ObjectKey may go away after Create) is not kept.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/format.h"
#include "coffer/core/storage/object_layer.h"

struct evp_cipher_ctx_st;

namespace coffer::core::sse {

// A BodySource that yields the packages of the plaintext read from `body`.
// Its total output is CiphertextSize(plaintext size). Errors from `body` are
// returned as they are; kInvalidArgument when the plaintext exceeds
// kMaxStreamPlaintextBytes; kInternal when OpenSSL fails.
class EncryptingSource final : public storage::BodySource {
 public:
  // `engine` and `body` are borrowed and must outlive the source. The stream
  // id is drawn from `random` now.
  static base::Result<std::unique_ptr<EncryptingSource>> Create(
      const Engine& engine, const ObjectKey& key, Algorithm algorithm, std::uint32_t part_number,
      storage::BodySource& body, base::Random& random);
  ~EncryptingSource() override;
  EncryptingSource(const EncryptingSource&) = delete;
  EncryptingSource& operator=(const EncryptingSource&) = delete;

  base::Result<std::size_t> Read(std::span<std::byte> out) override;

  // Plaintext bytes consumed from `body` so far (the object's size once Read
  // has returned 0).
  std::uint64_t plaintext_bytes() const { return plaintext_bytes_; }

 private:
  EncryptingSource(storage::BodySource& body, Algorithm algorithm, evp_cipher_ctx_st* ctx);
  // Reads the next package's plaintext and seals it at `package` (room for
  // kPackageBytes); returns its stored size.
  base::Result<std::size_t> SealPackage(std::byte* package);

  storage::BodySource& body_;
  Algorithm algorithm_;
  evp_cipher_ctx_st* ctx_;
  std::vector<std::byte> buffer_;  // One package.
  std::byte stream_id_[8] = {};
  std::size_t buffer_begin_ = 0;
  std::size_t buffer_end_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t plaintext_bytes_ = 0;
  bool has_lookahead_ = false;
  std::byte lookahead_{};
  bool done_ = false;
};

// An ObjectSink that receives the ciphertext range of a RangePlan, checks and
// decrypts each package as soon as it is complete, and writes exactly the
// planned plaintext range to `out`.
//
// Plaintext reaches `out` at the end of each Write() (or sooner, every 512
// KiB), as one write per call rather than one per package.
//
// SECURITY: no byte of a package reaches `out` before its tag verified, and
// every package header must match what the layout predicts at that position
// (version, algorithm, final flag, payload size, and the same stream id as
// the stream's other packages in the range). So on any tampering `out` holds
// a correct prefix of the range and the error is kDataLoss, never wrong data.
class DecryptingSink final : public storage::ObjectSink {
 public:
  // `engine`, `layout` and `out` are borrowed and must outlive the sink.
  // `plan` must come from PlanRange(layout, ...). kInternal when OpenSSL
  // fails.
  static base::Result<std::unique_ptr<DecryptingSink>> Create(
      const Engine& engine, const ObjectKey& key, Algorithm algorithm, const ObjectLayout& layout,
      const RangePlan& plan, storage::ObjectSink& out);
  ~DecryptingSink() override;
  DecryptingSink(const DecryptingSink&) = delete;
  DecryptingSink& operator=(const DecryptingSink&) = delete;

  // kDataLoss for a package that fails its checks or more bytes than the
  // plan; errors from `out` as they are. After an error the sink refuses
  // further writes.
  base::Status Write(std::span<const std::byte> data) override;

  // Call once after the object layer returned: kDataLoss unless exactly the
  // planned ciphertext arrived and verified.
  base::Status Finish();

 private:
  struct State;
  explicit DecryptingSink(std::unique_ptr<State> state);
  // Checks and decrypts one whole stored package (in the buffer, or straight
  // from the caller's bytes) and stages its planned plaintext.
  base::Status OpenPackage(std::span<const std::byte> package);
  // Writes the staged plaintext to `out` (every Write() ends with it).
  base::Status Flush();
  std::unique_ptr<State> state_;
};

}  // namespace coffer::core::sse
