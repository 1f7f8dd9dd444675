// libFuzzer target for the JWT/JWKS parsers behind AssumeRoleWithWebIdentity
// (appliance/src/core/sts/jwt.cc, jwks.cc). Byte 0 picks the parser, the rest
// is the input:
//   even: a compact JWT verified against a fixed JWKS (the RFC 7515 A.2 RSA key,
//         the A.3 P-256 key and the RFC 8037 Ed25519 key), then its claims checked;
//   odd:  a JWKS document parsed, and the input's tail verified against it.
// Properties: no crash, no sanitizer report; every refusal is kUnauthenticated,
// kNotFound, kDeadlineExceeded or kInvalidArgument (never kInternal); a parsed
// JWKS holds at least one key; base64url decoding round-trips (strictness:
// one encoding per byte string).

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/crypto.h>

#include "coffer/core/sts/jwks.h"
#include "coffer/core/sts/jwt.h"

namespace {

namespace sts = coffer::core::sts;
using coffer::base::ErrorCode;

void Require(bool condition) {
  if (!condition) std::abort();
}

constexpr std::string_view kJwks = R"({"keys":[
{"kty":"RSA","kid":"rsa","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"},
{"kty":"EC","kid":"ec","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})";

struct Fixture {
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  std::shared_ptr<const sts::JwkSet> keys;
  Fixture() {
    auto parsed = sts::JwkSet::Parse(kJwks, libctx);
    Require(parsed.has_value());
    keys = *parsed;
  }
};

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void RequireRefusal(const coffer::base::Error& e) {
  Require(e.code() == ErrorCode::kUnauthenticated || e.code() == ErrorCode::kNotFound ||
          e.code() == ErrorCode::kDeadlineExceeded || e.code() == ErrorCode::kInvalidArgument);
}

void FuzzToken(std::string_view input, const sts::JwkSet& keys) {
  Fixture& f = GetFixture();
  auto jwt = sts::VerifyJws(input, keys, f.libctx);
  if (!jwt) {
    RequireRefusal(jwt.error());
  } else {
    sts::ClaimRequirements want{"joe", {"coffer"}, std::chrono::seconds(60)};
    auto status = sts::CheckClaims(jwt->claims, want, coffer::base::WallTime{});
    if (!status) RequireRefusal(status.error());
  }
  auto unverified = sts::DecodeUnverified(input);
  if (!unverified) RequireRefusal(unverified.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Fixture& f = GetFixture();
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (auto decoded = sts::DecodeBase64Url(input)) {
    Require(sts::EncodeBase64Url(*decoded) == input);
  }
  if (data[0] % 2 == 0) {
    FuzzToken(input, *f.keys);
    return 0;
  }
  auto keys = sts::JwkSet::Parse(input, f.libctx);
  if (!keys) {
    Require(keys.error().code() == ErrorCode::kInvalidArgument);
    return 0;
  }
  Require(!(*keys)->keys().empty());
  const auto newline = input.rfind('\n');
  if (newline != std::string_view::npos) FuzzToken(input.substr(newline + 1), **keys);
  return 0;
}
