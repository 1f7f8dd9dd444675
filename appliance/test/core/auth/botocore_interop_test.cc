// Interoperability with an independent SigV4 implementation: requests that
// botocore signed (path-style GET, PUT with a signed body, listings with
// awkward query values, sub-resources, presigned URLs; keys with spaces, '+',
// '%', unicode, dot segments and double slashes) must all verify, bodies
// included. Regenerate botocore_cases.inc with gen_botocore_cases.py.

#include <gtest/gtest.h>

#include "coffer/core/auth/body_reader.h"
#include "coffer/core/auth/verifier.h"

#include "test_support.h"

namespace coffer::core::auth {
namespace {

struct BotocoreCase {
  const char* method;
  const char* target;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body;
};

const std::vector<BotocoreCase>& Cases() {
  static const std::vector<BotocoreCase> cases = {
#include "botocore_cases.inc"
  };
  return cases;
}

TEST(BotocoreInterop, EveryBotocoreSignedRequestVerifies) {
  testing::CryptoEnv env;
  SigningKeyCache cache;
  Verifier verifier(env.crypto(), cache, VerifierOptions{});
  ASSERT_GE(Cases().size(), 20u);
  for (const BotocoreCase& c : Cases()) {
    HttpRequest request;
    request.method = c.method;
    request.target = c.target;
    request.headers = c.headers;
    auto auth = verifier.Verify(request, testing::TestLookup(), testing::SuiteTime());
    ASSERT_TRUE(auth.has_value()) << c.method << " " << c.target << ": " << auth.error().message();
    EXPECT_NE(auth->kind, AuthKind::kAnonymous) << c.target;
    auto reader = NewBodyReader(env.crypto(), *auth);
    ASSERT_TRUE(reader.has_value());
    std::string out;
    ASSERT_TRUE((*reader)->Feed(c.body, out).has_value());
    const base::Status finished = (*reader)->Finish();
    EXPECT_TRUE(finished.has_value()) << c.target << ": " << finished.error().message();
    // The same request with one byte of the target changed must not verify.
    HttpRequest tampered = request;
    tampered.target.insert(tampered.target.find('/', 1) == std::string::npos ? 1 : 6, "x");
    EXPECT_FALSE(verifier.Verify(tampered, testing::TestLookup(), testing::SuiteTime()))
        << tampered.target;
  }
}

}  // namespace
}  // namespace coffer::core::auth
