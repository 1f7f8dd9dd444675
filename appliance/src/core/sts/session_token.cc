#include "coffer/core/sts/session_token.h"

#include <array>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "coffer/base/assert.h"
#include "coffer/state/crypto.h"

namespace coffer::core::sts {
namespace {

constexpr std::string_view kPrefix = "CST1";
constexpr std::string_view kAad = "coffer/sts/session-token/v1";
constexpr std::uint8_t kRecordVersion = 1;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kKeyBytes = 32;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                   (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (rest == 2) n |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    if (rest == 2) out += kB64[(n >> 6) & 63];
  }
  return out;
}

constexpr std::array<std::int8_t, 256> MakeDecodeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<std::uint8_t>(kB64[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr std::array<std::int8_t, 256> kDecode = MakeDecodeTable();

// Strict: no padding, no whitespace, canonical trailing bits (so one token has
// exactly one spelling).
bool Base64UrlDecode(std::string_view in, std::string& out) {
  if (in.size() % 4 == 1) return false;
  out.clear();
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const std::int8_t v = kDecode[static_cast<std::uint8_t>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutI64(std::string& out, std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((u >> (8 * i)) & 0xff);
}
void PutStr(std::string& out, std::string_view s) {
  PutU32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// Bounds-checked reader over the opened record.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(std::uint8_t& v) {
    if (in_.empty()) return false;
    v = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(std::uint32_t& v) {
    if (in_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t(std::uint8_t(in_[i])) << (8 * i);
    in_.remove_prefix(4);
    return true;
  }
  bool I64(std::int64_t& v) {
    if (in_.size() < 8) return false;
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u |= std::uint64_t(std::uint8_t(in_[i])) << (8 * i);
    v = static_cast<std::int64_t>(u);
    in_.remove_prefix(8);
    return true;
  }
  bool Str(std::string& s) {
    std::uint32_t n = 0;
    if (!U32(n) || n > in_.size()) return false;
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

std::int64_t Nanos(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
base::WallTime FromNanos(std::int64_t ns) {
  return base::WallTime(
      std::chrono::duration_cast<base::WallTime::duration>(std::chrono::nanoseconds(ns)));
}

std::string Serialize(const SessionClaims& c) {
  std::string out;
  out.reserve(128 + c.session_policy.size());
  out += static_cast<char>(kRecordVersion);
  out += static_cast<char>(c.parent_kind);
  PutStr(out, c.access_key);
  PutStr(out, c.secret_key.Reveal());
  PutStr(out, c.parent);
  PutStr(out, c.subject);
  PutStr(out, c.session_policy);
  PutI64(out, Nanos(c.issued_at));
  PutI64(out, Nanos(c.expires_at));
  PutU32(out, static_cast<std::uint32_t>(c.policies.size()));
  for (const std::string& p : c.policies) PutStr(out, p);
  PutU32(out, static_cast<std::uint32_t>(c.variables.size()));
  for (const auto& [k, v] : c.variables) {
    PutStr(out, k);
    PutStr(out, v);
  }
  return out;
}

bool Deserialize(std::string_view record, SessionClaims& c) {
  Reader r(record);
  std::uint8_t version = 0, kind = 0;
  if (!r.U8(version) || version != kRecordVersion || !r.U8(kind)) return false;
  if (kind < 1 || kind > 3) return false;
  c.parent_kind = static_cast<ParentKind>(kind);
  std::string secret;
  std::int64_t issued = 0, expires = 0;
  if (!r.Str(c.access_key) || !r.Str(secret) || !r.Str(c.parent) || !r.Str(c.subject) ||
      !r.Str(c.session_policy) || !r.I64(issued) || !r.I64(expires)) {
    return false;
  }
  c.secret_key = base::Secret(std::move(secret));
  c.issued_at = FromNanos(issued);
  c.expires_at = FromNanos(expires);
  std::uint32_t n = 0;
  if (!r.U32(n) || n > record.size()) return false;
  c.policies.resize(n);
  for (std::string& p : c.policies) {
    if (!r.Str(p)) return false;
  }
  if (!r.U32(n) || n > record.size()) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!r.Str(k) || !r.Str(v)) return false;
    c.variables.emplace(std::move(k), std::move(v));
  }
  return r.done();
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

base::Error Refused() { return base::Unauthenticated("session token is invalid"); }

}  // namespace

struct SessionTokenCodec::Impl {
  base::Secret key;
  ossl_lib_ctx_st* libctx = nullptr;
  EVP_CIPHER* cipher = nullptr;
  EVP_MD* sha256 = nullptr;

  ~Impl() {
    EVP_CIPHER_free(cipher);
    EVP_MD_free(sha256);
  }
};

SessionTokenCodec::SessionTokenCodec(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionTokenCodec::~SessionTokenCodec() = default;

base::Result<std::unique_ptr<SessionTokenCodec>> SessionTokenCodec::Create(
    const state::MasterKey& master, ossl_lib_ctx_st* libctx) {
  // SECURITY: a key of its own, derived one way from the master key, so a
  // token and a stored secret are never encrypted under the same key.
  const std::string hex = master.Digest("coffer/sts/session-token-key", "v1");
  COFFER_ASSERT(hex.size() == 2 * kKeyBytes);
  std::string bytes(kKeyBytes, '\0');
  for (std::size_t i = 0; i < kKeyBytes; ++i) {
    bytes[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return FromKeyBytes(base::Secret(std::move(bytes)), libctx);
}

base::Result<std::unique_ptr<SessionTokenCodec>> SessionTokenCodec::FromKeyBytes(
    const base::Secret& key, ossl_lib_ctx_st* libctx) {
  if (key.size() != kKeyBytes) return base::InvalidArgument("session token key must be 32 bytes");
  auto impl = std::make_unique<Impl>();
  impl->key = key;
  impl->libctx = libctx;
  impl->cipher = EVP_CIPHER_fetch(libctx, "AES-256-GCM", nullptr);
  impl->sha256 = EVP_MD_fetch(libctx, "SHA256", nullptr);
  if (impl->cipher == nullptr || impl->sha256 == nullptr) {
    return base::Internal("OpenSSL lacks AES-256-GCM or SHA-256");
  }
  return std::unique_ptr<SessionTokenCodec>(new SessionTokenCodec(std::move(impl)));
}

base::Result<std::string> SessionTokenCodec::Seal(const SessionClaims& claims,
                                                  base::Random& random) const {
  const std::string plain = Serialize(claims);
  std::string blob(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  random.Fill(std::as_writable_bytes(std::span(blob.data(), kNonceBytes)));
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(impl_->key.Reveal().data());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), impl_->cipher, key, out, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          out + kNonceBytes + plain.size()) != 1) {
    return base::Internal("AES-256-GCM seal failed");
  }
  std::string token(kPrefix);
  token += Base64UrlEncode(blob);
  return token;
}

base::Result<SessionClaims> SessionTokenCodec::Open(std::string_view token) const {
  if (token.size() > kMaxSessionTokenBytes || !token.starts_with(kPrefix)) return Refused();
  token.remove_prefix(kPrefix.size());
  std::string blob;
  if (!Base64UrlDecode(token, blob) || blob.size() < kNonceBytes + kTagBytes + 2) return Refused();
  const auto* in = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t ct_size = blob.size() - kNonceBytes - kTagBytes;
  std::string plain(ct_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(impl_->key.Reveal().data());
  // The tag is set before Final; const_cast because the ctrl API is not const-correct.
  unsigned char* tag = const_cast<unsigned char*>(in + kNonceBytes + ct_size);
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), impl_->cipher, key, in, nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, in + kNonceBytes, static_cast<int>(ct_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    return Refused();
  }
  SessionClaims claims;
  // INVARIANT: only authenticated plaintext reaches the parser; a record
  // that still does not parse is another version's, and refused the same way.
  if (!Deserialize(plain, claims)) return Refused();
  return claims;
}

std::string SessionTokenCodec::Digest(std::string_view token) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const int ok = EVP_Digest(token.data(), token.size(), md, &n, impl_->sha256, nullptr);
  COFFER_ASSERT(ok == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace coffer::core::sts
