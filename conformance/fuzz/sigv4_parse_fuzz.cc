// libFuzzer target for the SigV4 request parsers and the verifier. The input
// is read as a request head: the first line is the request-target, each later
// line "name:value" a header. Every parser also sees the raw input. The
// properties: no crash, no sanitizer report, and every error carries an S3
// code (so the S3 layer never has to answer a parse failure with a 500).

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/crypto.h>

#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/auth/verifier.h"

namespace {

using namespace coffer::core::auth;  // NOLINT: a fuzz entry point, not a header.

struct Fixture {
  Fixture() : libctx(OSSL_LIB_CTX_new()), crypto(std::move(Crypto::Create(libctx)).value()) {}
  OSSL_LIB_CTX* libctx;
  std::unique_ptr<Crypto> crypto;
  SigningKeyCache cache{64};
};

void RequireS3Code(const coffer::base::Error& error) {
  if (!S3ErrorCodeOf(error).has_value()) std::abort();
}

template <typename T>
void Check(const coffer::base::Result<T>& r) {
  if (!r.has_value()) RequireS3Code(r.error());
}

coffer::core::HttpRequest BuildRequest(std::string_view text) {
  coffer::core::HttpRequest request;
  request.method = "GET";
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (first) {
      request.target = std::string(line);
      first = false;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(line.substr(colon + 1)));
  }
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(ParseAuthorizationHeader(text));
  auto query = ParseQuery(text);
  Check(query);
  if (query.has_value()) {
    Check(ParsePresignedQuery(*query));
    (void)CanonicalQueryString(*query, "X-Amz-Signature");
  }
  (void)ParseAmzDate(text);
  (void)ParseHttpDate(text);
  Check(ParseContentSha256(text));
  Check(CanonicalUri(text, {}));
  Check(CanonicalUri(text, {.normalize_path = true, .double_encode = true}));
  (void)CanonicalHeaderValue(text);

  Verifier verifier(*fixture.crypto, fixture.cache, VerifierOptions{});
  const CredentialLookup lookup = [](std::string_view key) -> coffer::base::Result<Credential> {
    if (key == "AKIDEXAMPLE") {
      return Credential{coffer::base::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "root",
                        std::nullopt};
    }
    return coffer::base::NotFound("unknown");
  };
  auto now = ParseAmzDate("20150830T123600Z");
  const coffer::core::HttpRequest request = BuildRequest(text);
  Check(verifier.Verify(request, lookup, *now));
  // The legacy Signature V2 path, reachable only when a setting enables it.
  VerifierOptions legacy;
  legacy.allow_sigv2 = true;
  Verifier v2(*fixture.crypto, fixture.cache, legacy);
  Check(v2.Verify(request, lookup, *now));
  return 0;
}
