#include "test_support.h"

#include "coffer/base/assert.h"

namespace coffer::core::auth::testing {

CryptoEnv::CryptoEnv() : libctx_(OSSL_LIB_CTX_new()) {
  COFFER_ASSERT(libctx_ != nullptr);
  auto crypto = Crypto::Create(libctx_);
  COFFER_ASSERT(crypto.has_value());
  crypto_ = std::move(crypto).value();
}

CryptoEnv::~CryptoEnv() {
  crypto_.reset();
  OSSL_LIB_CTX_free(libctx_);
}

base::WallTime SuiteTime() {
  using namespace std::chrono;
  return base::WallTime(sys_days(year(2015) / August / 30) + hours(12) + minutes(36));
}

CredentialLookup TestLookup() {
  return [](std::string_view access_key) -> base::Result<Credential> {
    if (access_key == kAccessKey) {
      return Credential{base::Secret(std::string(kSecretKey)), "root", std::nullopt};
    }
    if (access_key == "TEMPKEY") {
      return Credential{base::Secret("temp-secret"), "sts-user", base::Secret("token-1")};
    }
    if (access_key == "BROKEN") return base::Unavailable("IAM snapshot not loaded");
    return base::NotFound("no such access key");
  };
}

}  // namespace coffer::core::auth::testing
