#include "sse_object.h"

#include <functional>
#include <span>

#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/sse/format.h"
#include "coffer/core/sse/metadata.h"
#include "coffer/core/sse/stream.h"
#include "coffer/core/storage/md5.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

// Stands in for an absent key service: SSE-S3 and SSE-KMS fail as if it
// were down, and SSE-C (which never calls it) works.
class AbsentKeyService final : public env::KeyService {
 public:
  base::Status CreateKey(std::string_view) override { return Down(); }
  base::Status DeleteKey(std::string_view) override { return Down(); }
  base::Result<std::vector<env::KeyInfo>> ListKeys(std::string_view) override { return Down(); }
  base::Result<env::DataKey> GenerateKey(std::string_view, std::string_view) override {
    return Down();
  }
  base::Result<base::Secret> Decrypt(std::string_view, std::string_view,
                                     std::string_view) override {
    return Down();
  }
  base::Result<std::string> Encrypt(std::string_view, std::string_view, std::string_view) override {
    return Down();
  }
  base::Result<env::KeyInfo> RotateKey(std::string_view) override { return Down(); }
  base::Result<std::string> Rewrap(std::string_view, std::string_view, std::string_view) override {
    return Down();
  }
  base::Result<env::KeyServiceStatus> Status() override { return Down(); }

 private:
  static base::Error Down() { return base::Unavailable("no key service is configured"); }
};

env::KeyService& KeyServiceOf(const SseEnv& env) {
  static AbsentKeyService absent;
  return env.key_service != nullptr ? *env.key_service : absent;
}

SseMode ModeOf(sse::Mode mode) {
  switch (mode) {
    case sse::Mode::kSseS3:
      return SseMode::kS3;
    case sse::Mode::kSseKms:
      return SseMode::kKms;
    case sse::Mode::kSseC:
      return SseMode::kCustomer;
  }
  return SseMode::kNone;
}

bool IsKmsNotFound(const base::Error& error) {
  return auth::ToS3ErrorReply(error).info->name == std::string_view("KMS.NotFoundException") ||
         error.code() == base::ErrorCode::kNotFound;
}

// The hex MD5 of everything read through it, and its length: SSE-S3's ETag
// is the plaintext's MD5, which only the plaintext side of the cipher sees.
class HashingSource final : public storage::BodySource {
 public:
  HashingSource(storage::BodySource& body, ossl_lib_ctx_st* libctx, bool hash)
      : body_(body), md5_(hash ? std::make_unique<storage::Md5>(libctx) : nullptr) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    COFFER_ASSIGN_OR_RETURN(const std::size_t n, body_.Read(out));
    if (n > 0) {
      bytes_ += n;
      if (md5_ != nullptr) md5_->Update(out.first(n));
    } else if (!ended_) {
      ended_ = true;
      if (on_end_) on_end_();
    }
    return n;
  }
  std::string HexDigest() { return md5_ != nullptr ? auth::HexEncode(md5_->FinishRaw()) : ""; }
  std::uint64_t bytes() const { return bytes_; }
  std::function<void()> on_end_;

 private:
  storage::BodySource& body_;
  std::unique_ptr<storage::Md5> md5_;
  std::uint64_t bytes_ = 0;
  bool ended_ = false;
};

// The plaintext hasher and the cipher over it, as one source.
class SealingSource final : public storage::BodySource {
 public:
  base::Result<std::size_t> Read(std::span<std::byte> out) override { return cipher->Read(out); }
  std::unique_ptr<HashingSource> hashing;
  std::unique_ptr<sse::EncryptingSource> cipher;
};

}  // namespace

base::Error SseError(const base::Error& error) {
  if (auth::S3ErrorCodeOf(error).has_value()) return error;
  switch (error.code()) {
    case base::ErrorCode::kUnavailable:
    case base::ErrorCode::kDeadlineExceeded:
      return MakeS3Error(S3ErrorCode::kServiceUnavailable,
                         "The key service is unavailable; retry later.");
    case base::ErrorCode::kNotFound:
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "The key service has no such key for server-side encryption.");
    case base::ErrorCode::kPermissionDenied:
      return MakeS3Error(S3ErrorCode::kAccessDenied,
                         "The key service refused the key for server-side encryption.");
    default:
      // Tampered records or packages (kDataLoss) and anything unexpected:
      // never detail what failed to the client.
      return MakeS3Error(S3ErrorCode::kInternalError,
                         "The object's encrypted data or key does not open.");
  }
}

// --- SseWriter ---

struct SseWriter::State {
  SseEnv env;
  sse::ObjectKey key;
  sse::Metadata metadata;
  std::string customer_key_md5;
  std::string client_context;  // Base64 as sent, echoed on the write.
  std::string* record_sink = nullptr;
  std::uint64_t plaintext_bytes = 0;
  HashingSource* hashing = nullptr;  // Of the last Encrypt source.
};

SseWriter::SseWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
SseWriter::~SseWriter() = default;

base::Result<std::unique_ptr<SseWriter>> SseWriter::Seal(const SseEnv& env,
                                                         const SseRequest& request,
                                                         std::string_view bucket,
                                                         std::string_view key) {
  COFFER_ASSERT(request.mode != SseMode::kNone);
  sse::SealRequest seal;
  switch (request.mode) {
    case SseMode::kS3:
      seal.mode = sse::Mode::kSseS3;
      seal.key_name = env.master_key;
      break;
    case SseMode::kKms:
      seal.mode = sse::Mode::kSseKms;
      seal.key_name = request.kms_key.empty() ? env.master_key : request.kms_key;
      seal.context = request.context;
      break;
    default:
      seal.mode = sse::Mode::kSseC;
      seal.customer_key = &request.customer->key;
      break;
  }
  env::KeyService& kms = KeyServiceOf(env);
  auto sealed = env.engine.Seal(seal, bucket, key, kms, env.env.random());
  if (!sealed.has_value() && request.mode == SseMode::kS3 && IsKmsNotFound(sealed.error())) {
    // The SSE-S3 master key is the appliance's own: make it on first use.
    if (auto made = kms.CreateKey(env.master_key);
        made.has_value() || made.error().code() == base::ErrorCode::kAlreadyExists) {
      sealed = env.engine.Seal(seal, bucket, key, kms, env.env.random());
    }
  }
  if (!sealed.has_value()) return SseError(sealed.error());
  auto state = std::unique_ptr<State>(new State{
      env, std::move(sealed->key), std::move(sealed->metadata), "", "", nullptr, 0, nullptr});
  if (request.customer.has_value()) state->customer_key_md5 = request.customer->key_md5;
  return std::unique_ptr<SseWriter>(new SseWriter(std::move(state)));
}

base::Result<std::unique_ptr<SseWriter>> SseWriter::ForUpload(
    const SseEnv& env, std::string_view record, std::string_view bucket, std::string_view key,
    const std::optional<CustomerKey>& customer) {
  auto metadata = sse::ParseMetadata(record);
  if (!metadata.has_value()) return SseError(metadata.error());
  auto opened = env.engine.Open(*metadata, bucket, key, KeyServiceOf(env),
                                customer.has_value() ? &customer->key : nullptr);
  if (!opened.has_value()) return SseError(opened.error());
  auto state = std::unique_ptr<State>(new State{
      env, std::move(opened).value(), std::move(metadata).value(), "", "", nullptr, 0, nullptr});
  if (customer.has_value()) state->customer_key_md5 = customer->key_md5;
  return std::unique_ptr<SseWriter>(new SseWriter(std::move(state)));
}

base::Result<std::unique_ptr<storage::BodySource>> SseWriter::Encrypt(storage::BodySource& plain,
                                                                      std::uint32_t part_number) {
  auto source = std::make_unique<SealingSource>();
  // SSE-S3 shows the plaintext MD5 as the ETag of a single PUT.
  const bool hash = state_->metadata.mode == sse::Mode::kSseS3 && part_number == 0;
  source->hashing = std::make_unique<HashingSource>(plain, state_->env.env.random().LibCtx(), hash);
  HashingSource* hashing = source->hashing.get();
  State* state = state_.get();
  hashing->on_end_ = [state, hashing, hash] {
    state->plaintext_bytes = hashing->bytes();
    if (hash) state->metadata.plaintext_etag = hashing->HexDigest();
    // INVARIANT: the object layer reads PutOptions::encryption only after
    // the body has ended, so the record written here is the one stored.
    if (state->record_sink != nullptr)
      *state->record_sink = sse::SerializeMetadata(state->metadata);
  };
  state_->hashing = hashing;
  auto cipher =
      sse::EncryptingSource::Create(state_->env.engine, state_->key, state_->metadata.algorithm,
                                    part_number, *hashing, state_->env.env.random());
  if (!cipher.has_value()) return SseError(cipher.error());
  source->cipher = std::move(cipher).value();
  return std::unique_ptr<storage::BodySource>(std::move(source));
}

std::string SseWriter::Record() const { return sse::SerializeMetadata(state_->metadata); }

void SseWriter::set_record_sink(std::string* sink) { state_->record_sink = sink; }

std::string SseWriter::Etag(std::string_view stored_etag) const {
  if (!state_->metadata.plaintext_etag.empty()) return state_->metadata.plaintext_etag;
  return std::string(stored_etag);
}

void SseWriter::AddResponseHeaders(HeaderList& headers) const {
  AddSseResponseHeaders(Record(), state_->customer_key_md5, headers);
}

std::uint64_t SseWriter::plaintext_bytes() const { return state_->plaintext_bytes; }

SseMode SseWriter::mode() const { return ModeOf(state_->metadata.mode); }

// --- SseReader ---

struct SseReader::State {
  SseEnv env;
  storage::ObjectInfo info;  // As stored: ciphertext size and ETag.
  sse::Metadata metadata;
  sse::ObjectLayout layout;
  sse::ObjectKey key;
  std::string etag;
};

SseReader::SseReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
SseReader::~SseReader() = default;

base::Result<std::unique_ptr<SseReader>> SseReader::Open(
    const SseEnv& env, const storage::ObjectInfo& info,
    const std::optional<CustomerKey>& customer) {
  auto metadata = sse::ParseMetadata(info.encryption);
  if (!metadata.has_value()) return SseError(metadata.error());
  auto layout = sse::ObjectLayout::FromObjectInfo(info);
  if (!layout.has_value()) return SseError(layout.error());
  auto key = env.engine.Open(*metadata, info.bucket, info.key, KeyServiceOf(env),
                             customer.has_value() ? &customer->key : nullptr);
  if (!key.has_value()) return SseError(key.error());
  std::string etag = metadata->plaintext_etag.empty() ? info.etag : metadata->plaintext_etag;
  return std::unique_ptr<SseReader>(new SseReader(std::unique_ptr<State>(
      new State{env, info, std::move(metadata).value(), std::move(layout).value(),
                std::move(key).value(), std::move(etag)})));
}

std::uint64_t SseReader::plaintext_size() const { return state_->layout.plaintext_bytes(); }
const std::string& SseReader::etag() const { return state_->etag; }
SseMode SseReader::mode() const { return ModeOf(state_->metadata.mode); }

base::Status SseReader::Read(storage::ObjectLayer& objects, std::uint64_t offset,
                             std::uint64_t length, storage::ObjectSink& out) {
  auto plan = sse::PlanRange(state_->layout, offset, length);
  if (!plan.has_value()) return plan.error();
  auto sink = sse::DecryptingSink::Create(state_->env.engine, state_->key,
                                          state_->metadata.algorithm, state_->layout, *plan, out);
  if (!sink.has_value()) return SseError(sink.error());
  storage::GetOptions get;
  get.version_id = state_->info.version_id;
  get.offset = plan->ciphertext_offset;
  get.length = plan->ciphertext_length;
  COFFER_ASSIGN_OR_RETURN(const storage::ObjectInfo got,
                          objects.GetObject(state_->info.bucket, state_->info.key, get, **sink));
  // A null version rewritten between the open and the read holds other
  // ciphertext under another key: the packages would not open anyway, but
  // say what happened.
  if (got.etag != state_->info.etag) return base::Aborted("object changed while it was read");
  auto finished = (*sink)->Finish();
  if (!finished.has_value()) return SseError(finished.error());
  return base::Ok();
}

// --- Free functions ---

bool IsEncrypted(const storage::ObjectInfo& info) { return !info.encryption.empty(); }

SseMode RecordMode(std::string_view record) {
  if (record.empty()) return SseMode::kNone;
  auto metadata = sse::ParseMetadata(record);
  return metadata.has_value() ? ModeOf(metadata->mode) : SseMode::kNone;
}

void PresentInfo(storage::ObjectInfo& info) {
  if (!IsEncrypted(info) || info.delete_marker) return;
  auto layout = sse::ObjectLayout::FromObjectInfo(info);
  if (!layout.has_value()) return;
  info.size_bytes = layout->plaintext_bytes();
  if (info.part_count > 0 && layout->streams().size() == info.part_sizes.size()) {
    for (std::size_t i = 0; i < info.part_sizes.size(); ++i) {
      info.part_sizes[i] = layout->streams()[i].plaintext_bytes;
    }
  }
  auto metadata = sse::ParseMetadata(info.encryption);
  if (metadata.has_value() && !metadata->plaintext_etag.empty()) {
    info.etag = metadata->plaintext_etag;
  }
}

storage::ObjectInfo PresentedInfo(const storage::ObjectInfo& info) {
  storage::ObjectInfo out = info;
  PresentInfo(out);
  return out;
}

void AddSseResponseHeaders(std::string_view record, std::string_view customer_key_md5,
                           HeaderList& headers) {
  if (record.empty()) return;
  auto metadata = sse::ParseMetadata(record);
  if (!metadata.has_value()) return;
  switch (metadata->mode) {
    case sse::Mode::kSseS3:
      headers.emplace_back("x-amz-server-side-encryption", "AES256");
      break;
    case sse::Mode::kSseKms:
      headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
      headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", metadata->key_name);
      break;
    case sse::Mode::kSseC:
      headers.emplace_back("x-amz-server-side-encryption-customer-algorithm", "AES256");
      if (!customer_key_md5.empty()) {
        headers.emplace_back("x-amz-server-side-encryption-customer-key-md5",
                             std::string(customer_key_md5));
      }
      break;
  }
}

}  // namespace coffer::core::s3
