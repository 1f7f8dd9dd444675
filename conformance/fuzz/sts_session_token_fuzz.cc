// libFuzzer target for STS session tokens (appliance/src/core/sts/session_token.cc),
// the parser every S3, STS and admin request with session credentials runs.
// Byte 0 picks what the rest is:
//   even: a token as a client sends it (X-Amz-Security-Token), opened under a
//         fixed key: prefix, strict base64url, AES-256-GCM; seeds are valid
//         tokens, so mutations reach the authentication checks;
//   odd:  a claims record, sealed here under the same key exactly as the codec
//         seals (nonce | ciphertext | tag, fixed AAD), so the record parser
//         behind authentication sees arbitrary bytes.
// Properties: no crash, no sanitizer report; every refusal is kUnauthenticated;
// a token that opens re-seals to a token that opens to the same claims; no
// token over kMaxSessionTokenBytes opens.
//
// Seeds: COFFER_STS_FUZZ_WRITE_SEEDS=DIR ./sts_session_token_fuzz writes a few
// valid tokens and records (user, root, federated parents, session policy,
// variables) into DIR and exits (fixtures/fuzz/sts-token/ holds its output).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "coffer/base/random.h"
#include "coffer/core/sts/session_token.h"

namespace {

namespace sts = coffer::core::sts;
using coffer::base::ErrorCode;

void Require(bool condition) {
  if (!condition) std::abort();
}

// Must match session_token.cc (a change there shows up as seeds that stop opening).
constexpr std::string_view kPrefix = "CST1";
constexpr std::string_view kAad = "coffer/sts/session-token/v1";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr char kKey[] = "fuzz-session-token-key-32-bytes!";

// Deterministic "randomness" for Seal's nonce.
class CountingRandom final : public coffer::base::Random {
 public:
  explicit CountingRandom(OSSL_LIB_CTX* libctx) : libctx_(libctx) {}
  void Fill(std::span<std::byte> out) override {
    for (std::byte& b : out) b = static_cast<std::byte>(++counter_);
  }
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) override {
    return lo + (++counter_ % (hi - lo + 1));
  }
  OSSL_LIB_CTX* LibCtx() override { return libctx_; }

 private:
  OSSL_LIB_CTX* libctx_;
  std::uint8_t counter_ = 0;
};

struct Fixture {
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  std::unique_ptr<sts::SessionTokenCodec> codec;
  EVP_CIPHER* cipher = nullptr;
  Fixture() {
    auto made = sts::SessionTokenCodec::FromKeyBytes(
        coffer::base::Secret(std::string(kKey, sizeof(kKey) - 1)), libctx);
    Require(made.has_value());
    codec = std::move(made).value();
    cipher = EVP_CIPHER_fetch(libctx, "AES-256-GCM", nullptr);
    Require(cipher != nullptr);
  }
};

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

std::string Base64Url(std::string_view in) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                   (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(n >> s) & 63];
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

// Seals `record` as the codec would, with a fixed nonce.
std::string SealRecord(std::string_view record) {
  Fixture& f = GetFixture();
  std::string blob(kNonceBytes + record.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  for (std::size_t i = 0; i < kNonceBytes; ++i) out[i] = static_cast<unsigned char>(i);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex2(ctx, f.cipher, reinterpret_cast<const unsigned char*>(kKey), out,
                          nullptr) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) == 1 &&
      EVP_EncryptUpdate(ctx, out + kNonceBytes, &len,
                        reinterpret_cast<const unsigned char*>(record.data()),
                        static_cast<int>(record.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx, out + kNonceBytes + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          out + kNonceBytes + record.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  Require(ok);
  std::string token(kPrefix);
  token += Base64Url(blob);
  return token;
}

// The record inside a token this fixture sealed (for the seed writer).
std::string OpenRecord(std::string_view token) {
  Fixture& f = GetFixture();
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string blob;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : token.substr(kPrefix.size())) {
    acc = (acc << 6) | static_cast<std::uint32_t>(std::string_view(kB64).find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      blob += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  const std::size_t ct = blob.size() - kNonceBytes - kTagBytes;
  std::string plain(ct, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(blob.data());
  Require(EVP_DecryptInit_ex2(ctx, f.cipher, reinterpret_cast<const unsigned char*>(kKey), in,
                              nullptr) == 1);
  Require(EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(kAad.data()),
                            static_cast<int>(kAad.size())) == 1);
  Require(EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                            in + kNonceBytes, static_cast<int>(ct)) == 1);
  EVP_CIPHER_CTX_free(ctx);
  return plain;
}

bool SameClaims(const sts::SessionClaims& a, const sts::SessionClaims& b) {
  return a.access_key == b.access_key && a.secret_key.Reveal() == b.secret_key.Reveal() &&
         a.parent_kind == b.parent_kind && a.parent == b.parent && a.subject == b.subject &&
         a.policies == b.policies && a.session_policy == b.session_policy &&
         a.variables == b.variables && a.issued_at == b.issued_at && a.expires_at == b.expires_at;
}

void CheckOpen(std::string_view token) {
  Fixture& f = GetFixture();
  auto opened = f.codec->Open(token);
  if (!opened.has_value()) {
    Require(opened.error().code() == ErrorCode::kUnauthenticated);
    return;
  }
  Require(token.size() <= sts::kMaxSessionTokenBytes);
  // Round trip: what opened seals again and opens to the same claims.
  CountingRandom random(f.libctx);
  auto resealed = f.codec->Seal(*opened, random);
  Require(resealed.has_value());
  auto again = f.codec->Open(*resealed);
  Require(again.has_value());
  Require(SameClaims(*opened, *again));
}

void WriteSeeds(const char* dir) {
  Fixture& f = GetFixture();
  CountingRandom random(f.libctx);
  int n = 0;
  auto write = [&](char mode, std::string_view bytes) {
    const std::string path = std::string(dir) + "/seed-" + std::to_string(n++);
    std::FILE* out = std::fopen(path.c_str(), "wb");
    Require(out != nullptr);
    std::fputc(mode, out);
    std::fwrite(bytes.data(), 1, bytes.size(), out);
    std::fclose(out);
  };
  const auto t0 = coffer::base::WallTime(std::chrono::seconds(1'800'000'000));
  for (int kind = 0; kind < 4; ++kind) {
    sts::SessionClaims c;
    c.access_key = "ASIAFUZZSEED000000" + std::to_string(kind);
    c.secret_key = coffer::base::Secret(std::string("fuzz-seed-secret-0123456789abcdefghijklm"));
    c.issued_at = t0;
    c.expires_at = t0 + std::chrono::hours(1);
    switch (kind) {
      case 0:
        c.parent_kind = sts::ParentKind::kUser;
        c.parent = c.subject = "alice";
        break;
      case 1:
        c.parent_kind = sts::ParentKind::kRoot;
        c.parent = "ROOTACCESSKEY";
        c.subject = "root";
        c.session_policy =
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
            R"("Resource":"arn:aws:s3:::photos/*"}]})";
        break;
      case 2:
        c.parent_kind = sts::ParentKind::kFederated;
        c.parent = "oidc:https://idp.example:carol";
        c.subject = "carol";
        c.policies = {"readwrite", "jwt-home"};
        c.variables = {{"jwt:sub", "carol"}, {"jwt:email", "carol@example.com"}};
        break;
      default:
        c.parent_kind = sts::ParentKind::kFederated;
        c.parent = "uid=dave,ou=people,dc=example,dc=org";
        c.subject = "dave";
        c.policies = {"readonly"};
        c.variables = {{"ldap:username", "dave"}, {"ldap:user", c.parent}};
        break;
    }
    auto token = f.codec->Seal(c, random);
    Require(token.has_value());
    write('\0', *token);
    write('\1', OpenRecord(*token));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("COFFER_STS_FUZZ_WRITE_SEEDS")) {
    WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    CheckOpen(rest);
  } else if (rest.size() <= sts::kMaxSessionTokenBytes / 2) {
    CheckOpen(SealRecord(rest));
  }
  return 0;
}
