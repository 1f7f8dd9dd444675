#pragma once
// Shared fixtures for the auth unit tests: a private OpenSSL library context,
// the Crypto built on it, fixed credentials and helpers to build requests.

#include <memory>
#include <string>
#include <string_view>

#include <openssl/crypto.h>

#include "coffer/base/clock.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"

namespace coffer::core::auth::testing {

inline constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
inline constexpr std::string_view kSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// Owns a library context and a Crypto over it.
class CryptoEnv {
 public:
  CryptoEnv();
  ~CryptoEnv();
  const Crypto& crypto() const { return *crypto_; }

 private:
  OSSL_LIB_CTX* libctx_;
  std::unique_ptr<Crypto> crypto_;
};

// 2015-08-30T12:36:00Z, the AWS test-suite time.
base::WallTime SuiteTime();

// A lookup that knows kAccessKey (principal "root") and "TEMPKEY" (with
// session token "token-1", principal "sts-user").
CredentialLookup TestLookup();

// The S3 code of a failed result, or nullopt.
template <typename T>
std::optional<S3ErrorCode> CodeOf(const base::Result<T>& r) {
  if (r.has_value()) return std::nullopt;
  return S3ErrorCodeOf(r.error());
}

}  // namespace coffer::core::auth::testing
