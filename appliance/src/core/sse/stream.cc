#include "coffer/core/sse/stream.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <openssl/evp.h>

#include "primitives.h"

namespace coffer::core::sse {
namespace {

unsigned char* U8(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }
const unsigned char* U8(const std::byte* p) { return reinterpret_cast<const unsigned char*>(p); }

void PutU32Le(std::byte* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

std::uint32_t GetU32Le(const std::byte* in) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint32_t>(in[i]);
  return v;
}

// nonce = stream id (8) || sequence number, big-endian (4).
void MakeNonce(const std::byte* stream_id, std::uint64_t sequence, unsigned char* nonce) {
  std::memcpy(nonce, stream_id, 8);
  for (int i = 0; i < 4; ++i) nonce[8 + i] = static_cast<unsigned char>(sequence >> (24 - 8 * i));
}

// A cipher context keyed for one stream of `key`.
base::Result<EVP_CIPHER_CTX*> KeyedContext(const Engine::Primitives& primitives,
                                           EVP_CIPHER_CTX* reuse, std::string_view object_key,
                                           Algorithm algorithm, std::uint32_t part_number,
                                           bool encrypt) {
  const EVP_CIPHER* cipher = primitives.Cipher(algorithm);
  if (cipher == nullptr) return base::DataLoss("sse: unknown package algorithm");
  ObjectKey key{base::Secret(std::string(object_key))};
  COFFER_ASSIGN_OR_RETURN(base::Secret stream_key, DeriveStreamKey(primitives, key, part_number));
  EVP_CIPHER_CTX* ctx = reuse != nullptr ? reuse : EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return base::Internal("sse: OpenSSL cannot allocate a cipher context");
  const auto* k = reinterpret_cast<const unsigned char*>(stream_key.Reveal().data());
  if (EVP_CipherInit_ex2(ctx, cipher, k, nullptr, encrypt ? 1 : 0, nullptr) != 1) {
    if (reuse == nullptr) EVP_CIPHER_CTX_free(ctx);
    return base::Internal("sse: OpenSSL cannot key the package cipher");
  }
  return ctx;
}

}  // namespace

// ---------------------------------------------------------------------------
// EncryptingSource

EncryptingSource::EncryptingSource(storage::BodySource& body, Algorithm algorithm,
                                   evp_cipher_ctx_st* ctx)
    : body_(body), algorithm_(algorithm), ctx_(ctx), buffer_(kPackageBytes) {}

EncryptingSource::~EncryptingSource() { EVP_CIPHER_CTX_free(ctx_); }

base::Result<std::unique_ptr<EncryptingSource>> EncryptingSource::Create(
    const Engine& engine, const ObjectKey& key, Algorithm algorithm, std::uint32_t part_number,
    storage::BodySource& body, base::Random& random) {
  COFFER_ASSIGN_OR_RETURN(EVP_CIPHER_CTX * ctx,
                          KeyedContext(engine.primitives(), nullptr, key.secret().Reveal(),
                                       algorithm, part_number, true));
  std::unique_ptr<EncryptingSource> source(new EncryptingSource(body, algorithm, ctx));
  random.Fill(source->stream_id_);
  return source;
}

base::Result<std::size_t> EncryptingSource::Read(std::span<std::byte> out) {
  std::size_t copied = 0;
  while (copied < out.size()) {
    if (buffer_begin_ == buffer_end_) {
      if (done_) break;
      if (out.size() - copied >= kPackageBytes) {
        // Room for a whole package: seal it in the caller's buffer, saving a
        // copy of every byte on the PUT path.
        COFFER_ASSIGN_OR_RETURN(const std::size_t n, SealPackage(out.data() + copied));
        copied += n;
        continue;
      }
      COFFER_ASSIGN_OR_RETURN(buffer_end_, SealPackage(buffer_.data()));
      buffer_begin_ = 0;
    }
    const std::size_t n = std::min(out.size() - copied, buffer_end_ - buffer_begin_);
    std::memcpy(out.data() + copied, buffer_.data() + buffer_begin_, n);
    buffer_begin_ += n;
    copied += n;
  }
  return copied;
}

base::Result<std::size_t> EncryptingSource::SealPackage(std::byte* package) {
  std::byte* header = package;
  std::byte* payload = header + kPackageHeaderBytes;
  std::size_t n = 0;
  if (has_lookahead_) {
    payload[n++] = lookahead_;
    has_lookahead_ = false;
  }
  bool end_of_body = false;
  while (n < kPackagePlaintextBytes) {
    COFFER_ASSIGN_OR_RETURN(const std::size_t got,
                            body_.Read({payload + n, kPackagePlaintextBytes - n}));
    if (got == 0) {
      end_of_body = true;
      break;
    }
    n += got;
  }
  // A full package is final only if the body has nothing more: peek one byte.
  while (!end_of_body && !has_lookahead_) {
    COFFER_ASSIGN_OR_RETURN(const std::size_t got, body_.Read({&lookahead_, 1}));
    if (got == 0) end_of_body = true;
    has_lookahead_ = got == 1;
  }
  plaintext_bytes_ += n;
  if (plaintext_bytes_ > kMaxStreamPlaintextBytes) {
    return base::InvalidArgument("sse: the body is larger than one encrypted stream allows");
  }
  header[0] = std::byte{kFormatVersion};
  header[1] = static_cast<std::byte>(algorithm_);
  header[2] = end_of_body ? std::byte{kFinalFlag} : std::byte{0};
  header[3] = std::byte{0};
  PutU32Le(header + 4, static_cast<std::uint32_t>(n));
  std::memcpy(header + 8, stream_id_, 8);
  unsigned char nonce[kNonceBytes];
  MakeNonce(stream_id_, sequence_, nonce);
  int len = 0;
  unsigned char scratch[16];
  if (EVP_EncryptInit_ex2(ctx_, nullptr, nullptr, nonce, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx_, nullptr, &len, U8(header), kPackageHeaderBytes) != 1 ||
      (n > 0 &&
       EVP_EncryptUpdate(ctx_, U8(payload), &len, U8(payload), static_cast<int>(n)) != 1) ||
      EVP_EncryptFinal_ex(ctx_, scratch, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kTagBytes, payload + n) != 1) {
    return base::Internal("sse: OpenSSL failed to encrypt a package");
  }
  ++sequence_;
  done_ = end_of_body;
  return kPackageOverheadBytes + n;
}

// ---------------------------------------------------------------------------
// DecryptingSink

// Plaintext collects in a stage of up to this many bytes before it goes to
// the sink, so the response sees writes as large as the stored ones instead
// of one per 64 KiB package (each sink write may be a trip to the network).
constexpr std::size_t kStageBytes = 8 * kPackagePlaintextBytes;

struct DecryptingSink::State {
  const Engine::Primitives& primitives;
  base::Secret object_key;
  Algorithm algorithm;
  const ObjectLayout& layout;
  RangePlan plan;
  storage::ObjectSink& out;
  EVP_CIPHER_CTX* ctx = nullptr;
  std::vector<std::byte> buffer = std::vector<std::byte>(kPackageBytes);
  std::size_t filled = 0;
  // Verified plaintext not yet written to `out`: stage[0, staged).
  std::vector<std::byte> stage = std::vector<std::byte>();
  std::size_t staged = 0;
  // The stored offset of the next byte expected, and the end of the plan.
  std::uint64_t position = 0;
  std::uint64_t end = 0;
  std::size_t stream_index = 0;
  std::size_t keyed_stream = SIZE_MAX;
  std::byte stream_id[8] = {};
  bool failed = false;

  ~State() { EVP_CIPHER_CTX_free(ctx); }
  const StreamLayout& stream() const { return layout.streams()[stream_index]; }
  // The stored size of the package starting at `position`.
  std::uint64_t PackageSize() const {
    const StreamLayout& s = stream();
    return std::min<std::uint64_t>(kPackageBytes,
                                   s.ciphertext_offset + s.ciphertext_bytes - position);
  }
};

DecryptingSink::DecryptingSink(std::unique_ptr<State> state) : state_(std::move(state)) {}
DecryptingSink::~DecryptingSink() = default;

base::Result<std::unique_ptr<DecryptingSink>> DecryptingSink::Create(
    const Engine& engine, const ObjectKey& key, Algorithm algorithm, const ObjectLayout& layout,
    const RangePlan& plan, storage::ObjectSink& out) {
  auto state = std::unique_ptr<State>(
      new State{engine.primitives(), key.secret(), algorithm, layout, plan, out});
  if (engine.primitives().Cipher(algorithm) == nullptr) {
    return base::DataLoss("sse: unknown package algorithm");
  }
  state->ctx = EVP_CIPHER_CTX_new();
  if (state->ctx == nullptr) return base::Internal("sse: OpenSSL cannot allocate a context");
  state->position = plan.ciphertext_offset;
  state->end = plan.ciphertext_offset + plan.ciphertext_length;
  // Room for one package at least, and no more than the range needs.
  state->stage.resize(static_cast<std::size_t>(
      std::clamp<std::uint64_t>(plan.ciphertext_length, kPackagePlaintextBytes, kStageBytes)));
  COFFER_ASSERT(state->end <= layout.ciphertext_bytes());
  return std::unique_ptr<DecryptingSink>(new DecryptingSink(std::move(state)));
}

base::Status DecryptingSink::Write(std::span<const std::byte> data) {
  State& s = *state_;
  if (s.failed) return base::DataLoss("sse: the object failed to decrypt");
  while (!data.empty()) {
    if (s.position >= s.end) {
      s.failed = true;
      return base::DataLoss("sse: more stored bytes than the range holds");
    }
    if (s.filled == 0) {
      // A new package: find its stream (streams are whole packages).
      while (s.position >= s.stream().ciphertext_offset + s.stream().ciphertext_bytes) {
        ++s.stream_index;
      }
    }
    const std::size_t size = s.PackageSize();
    std::span<const std::byte> package;
    if (s.filled == 0 && data.size() >= size) {
      // A whole package in the caller's bytes: decrypt it from there,
      // saving a copy of every byte on the GET path.
      package = data.first(size);
      data = data.subspan(size);
    } else {
      const std::size_t n = std::min(size - s.filled, data.size());
      std::memcpy(s.buffer.data() + s.filled, data.data(), n);
      s.filled += n;
      data = data.subspan(n);
      if (s.filled < size) break;
      package = std::span<const std::byte>(s.buffer.data(), size);
    }
    if (base::Status opened = OpenPackage(package); !opened.has_value()) {
      s.failed = true;
      return opened;
    }
  }
  return Flush();
}

base::Status DecryptingSink::Flush() {
  State& s = *state_;
  if (s.staged == 0) return base::Ok();
  const std::size_t n = s.staged;
  s.staged = 0;
  if (base::Status written = s.out.Write({s.stage.data(), n}); !written.has_value()) {
    s.failed = true;
    return written;
  }
  return base::Ok();
}

base::Status DecryptingSink::OpenPackage(std::span<const std::byte> package) {
  State& s = *state_;
  const StreamLayout& stream = s.stream();
  const std::uint64_t size = package.size();
  const std::uint64_t sequence = (s.position - stream.ciphertext_offset) / kPackageBytes;
  const bool last = s.position + size == stream.ciphertext_offset + stream.ciphertext_bytes;
  const std::uint64_t payload = size - kPackageOverheadBytes;
  const std::byte* header = package.data();
  const auto where = [&] {
    return "sse: package " + std::to_string(sequence) + " of part " +
           std::to_string(stream.part_number);
  };
  if (header[0] != std::byte{kFormatVersion} || header[1] != static_cast<std::byte>(s.algorithm) ||
      header[2] != (last ? std::byte{kFinalFlag} : std::byte{0}) || header[3] != std::byte{0} ||
      GetU32Le(header + 4) != payload) {
    return base::DataLoss(where() + " has an unexpected header");
  }
  if (s.keyed_stream != s.stream_index) {
    COFFER_ASSIGN_OR_RETURN(s.ctx, KeyedContext(s.primitives, s.ctx, s.object_key.Reveal(),
                                                s.algorithm, stream.part_number, false));
    s.keyed_stream = s.stream_index;
    std::memcpy(s.stream_id, header + 8, 8);
  } else if (std::memcmp(s.stream_id, header + 8, 8) != 0) {
    return base::DataLoss(where() + " belongs to another stream");
  }
  unsigned char nonce[kNonceBytes];
  MakeNonce(s.stream_id, sequence, nonce);
  const std::byte* body_in = header + kPackageHeaderBytes;
  // Decrypted straight into the stage, after what it holds already.
  if (s.staged + payload > s.stage.size()) COFFER_RETURN_IF_ERROR(Flush());
  std::byte* body = s.stage.data() + s.staged;
  unsigned char tag[kTagBytes];
  std::memcpy(tag, body_in + payload, kTagBytes);
  int len = 0;
  unsigned char scratch[16];
  if (EVP_DecryptInit_ex2(s.ctx, nullptr, nullptr, nonce, nullptr) != 1 ||
      EVP_DecryptUpdate(s.ctx, nullptr, &len, U8(header), kPackageHeaderBytes) != 1 ||
      (payload > 0 &&
       EVP_DecryptUpdate(s.ctx, U8(body), &len, U8(body_in), static_cast<int>(payload)) != 1) ||
      EVP_CIPHER_CTX_ctrl(s.ctx, EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(s.ctx, scratch, &len) != 1) {
    // SECURITY: the plaintext of a package that failed is never emitted;
    // wipe it anyway.
    std::memset(body, 0, payload);
    return base::DataLoss(where() + " does not authenticate");
  }
  // Emit the part of this package's plaintext that the plan asks for.
  const std::uint64_t first = stream.plaintext_offset + sequence * kPackagePlaintextBytes;
  const std::uint64_t want_begin = std::max(first, s.plan.plaintext_offset);
  const std::uint64_t want_end =
      std::min(first + payload, s.plan.plaintext_offset + s.plan.plaintext_length);
  s.position += size;
  s.filled = 0;
  if (want_begin < want_end) {
    // Only the planned part of the package stays staged (the first and last
    // package of a range may hold bytes outside it).
    if (want_begin != first) std::memmove(body, body + (want_begin - first), want_end - want_begin);
    s.staged += want_end - want_begin;
  }
  return base::Ok();
}

base::Status DecryptingSink::Finish() {
  const State& s = *state_;
  if (s.failed) return base::DataLoss("sse: the object failed to decrypt");
  COFFER_RETURN_IF_ERROR(Flush());  // Write() flushes; nothing should be left.
  if (s.position != s.end || s.filled != 0) {
    return base::DataLoss("sse: the stored object ended " + std::to_string(s.end - s.position) +
                          " bytes early");
  }
  return base::Ok();
}

}  // namespace coffer::core::sse
