#include "coffer/core/sse/metadata.h"

#include "coffer/base/assert.h"

namespace coffer::core::sse {
namespace {

constexpr std::string_view kMagic = "sse";
constexpr std::uint8_t kRecordVersion = 1;
constexpr std::uint8_t kHasPlaintextBytes = 0x01;

void PutU16(std::string& out, std::size_t v) {
  COFFER_ASSERT(v <= 0xffff);
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void PutStr(std::string& out, std::string_view s, std::size_t max) {
  COFFER_ASSERT(s.size() <= max);
  PutU16(out, s.size());
  out.append(s);
}

// A bounds-checked reader: every read past the end fails the record.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return in_.empty(); }

  std::uint8_t U8(std::string_view field) {
    if (!Need(1, field)) return 0;
    const auto v = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  std::uint64_t U64(std::string_view field) {
    if (!Need(8, field)) return 0;
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(8);
    return v;
  }
  std::string Str(std::string_view field, std::size_t max) {
    if (!Need(2, field)) return {};
    const std::size_t n =
        static_cast<std::uint8_t>(in_[0]) | (static_cast<std::size_t>(in_[1] & 0xff) << 8);
    in_.remove_prefix(2);
    if (n > max) {
      Fail(field, "is longer than allowed");
      return {};
    }
    if (!Need(n, field)) return {};
    std::string v(in_.substr(0, n));
    in_.remove_prefix(n);
    return v;
  }
  void Fail(std::string_view field, std::string_view why) {
    if (ok()) error_ = std::string(field) + " " + std::string(why);
  }

 private:
  bool Need(std::size_t n, std::string_view field) {
    if (!ok()) return false;
    if (in_.size() < n) {
      Fail(field, "is cut short");
      return false;
    }
    return true;
  }
  std::string_view in_;
  std::string error_;
};

bool KnownMode(std::uint8_t v) {
  return v == static_cast<std::uint8_t>(Mode::kSseS3) ||
         v == static_cast<std::uint8_t>(Mode::kSseKms) ||
         v == static_cast<std::uint8_t>(Mode::kSseC);
}

bool KnownAlgorithm(std::uint8_t v) {
  return v == static_cast<std::uint8_t>(Algorithm::kAes256Gcm) ||
         v == static_cast<std::uint8_t>(Algorithm::kChaCha20Poly1305);
}

// The per-mode rules; returns the first violation or "" when none.
std::string_view ModeRuleViolation(const Metadata& m) {
  if (m.sealed_object_key.size() != kSealedObjectKeyBytes) return "sealed object key size";
  if (m.mode == Mode::kSseC) {
    if (!m.key_name.empty() || !m.data_key_ciphertext.empty() || !m.context.empty()) {
      return "SSE-C record with key service fields";
    }
    if (m.customer_key_salt.size() != kCustomerKeySaltBytes ||
        m.customer_key_hmac.size() != kCustomerKeyHmacBytes) {
      return "SSE-C record without its key check";
    }
    return {};
  }
  if (m.key_name.empty() || m.data_key_ciphertext.empty()) return "record without its data key";
  if (!m.customer_key_salt.empty() || !m.customer_key_hmac.empty()) {
    return "record with an SSE-C key check";
  }
  if (m.mode == Mode::kSseS3 && !m.context.empty()) return "SSE-S3 record with a context";
  return {};
}

}  // namespace

std::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kSseS3:
      return "SSE-S3";
    case Mode::kSseKms:
      return "SSE-KMS";
    case Mode::kSseC:
      return "SSE-C";
  }
  return "unknown";
}

std::string SerializeMetadata(const Metadata& m) {
  COFFER_ASSERT(KnownMode(static_cast<std::uint8_t>(m.mode)));
  COFFER_ASSERT(KnownAlgorithm(static_cast<std::uint8_t>(m.algorithm)));
  COFFER_ASSERT(ModeRuleViolation(m).empty());
  std::string out(kMagic);
  out.push_back(static_cast<char>(kRecordVersion));
  out.push_back(static_cast<char>(m.mode));
  out.push_back(static_cast<char>(m.algorithm));
  out.push_back(static_cast<char>(m.plaintext_bytes.has_value() ? kHasPlaintextBytes : 0));
  PutStr(out, m.key_name, kMaxKeyNameBytes);
  PutStr(out, m.data_key_ciphertext, kMaxDataKeyCiphertextBytes);
  PutStr(out, m.sealed_object_key, kSealedObjectKeyBytes);
  PutStr(out, m.customer_key_salt, kCustomerKeySaltBytes);
  PutStr(out, m.customer_key_hmac, kCustomerKeyHmacBytes);
  PutStr(out, m.context, kMaxContextBytes);
  PutStr(out, m.plaintext_etag, kMaxEtagBytes);
  if (m.plaintext_bytes.has_value()) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(*m.plaintext_bytes >> (8 * i)));
  }
  return out;
}

bool IsSseRecord(std::string_view record) { return record.starts_with(kMagic); }

base::Result<Metadata> ParseMetadata(std::string_view record) {
  if (!IsSseRecord(record)) return base::DataLoss("sse record: bad magic");
  Reader r(record.substr(kMagic.size()));
  if (r.U8("version") != kRecordVersion) r.Fail("version", "is unknown");
  Metadata m;
  const std::uint8_t mode = r.U8("mode");
  if (!KnownMode(mode)) r.Fail("mode", "is unknown");
  m.mode = static_cast<Mode>(mode);
  const std::uint8_t algorithm = r.U8("algorithm");
  if (!KnownAlgorithm(algorithm)) r.Fail("algorithm", "is unknown");
  m.algorithm = static_cast<Algorithm>(algorithm);
  const std::uint8_t flags = r.U8("flags");
  if ((flags & ~kHasPlaintextBytes) != 0) r.Fail("flags", "are unknown");
  m.key_name = r.Str("key name", kMaxKeyNameBytes);
  m.data_key_ciphertext = r.Str("data key", kMaxDataKeyCiphertextBytes);
  m.sealed_object_key = r.Str("sealed object key", kSealedObjectKeyBytes);
  m.customer_key_salt = r.Str("customer key salt", kCustomerKeySaltBytes);
  m.customer_key_hmac = r.Str("customer key hmac", kCustomerKeyHmacBytes);
  m.context = r.Str("context", kMaxContextBytes);
  m.plaintext_etag = r.Str("plaintext etag", kMaxEtagBytes);
  if ((flags & kHasPlaintextBytes) != 0) m.plaintext_bytes = r.U64("plaintext size");
  if (r.ok() && !r.at_end()) r.Fail("record", "has trailing bytes");
  if (!r.ok()) return base::DataLoss("sse record: " + r.error());
  if (const std::string_view violation = ModeRuleViolation(m); !violation.empty()) {
    return base::DataLoss("sse record: " + std::string(violation));
  }
  return m;
}

}  // namespace coffer::core::sse
