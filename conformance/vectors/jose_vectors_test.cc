// The JOSE examples of RFC 7515, 7517, 7520 and 8037 (fixtures/vectors/jose.toml and the key
// and token files in fixtures/vectors/jose/) through Coffer's JWS verifier and JWKS parser.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <toml++/toml.h>

#include "coffer/core/sts/jwks.h"
#include "coffer/core/sts/jwt.h"

namespace coffer::core::sts {
namespace {

const std::filesystem::path kDir = std::filesystem::path(COFFER_SOURCE_DIR) / "fixtures/vectors";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct Case {
  std::string name;
  std::string token;
  std::string key;
  std::string expect;
  std::string jwks_expect;
  std::string payload;
  std::string error;
  std::vector<std::string> kids;
};

std::vector<Case> LoadCases() {
  std::vector<Case> out;
  toml::parse_result doc = toml::parse_file((kDir / "jose.toml").string());
  if (!doc) return out;
  const toml::array* cases = doc.table()["cases"].as_array();
  if (cases == nullptr) return out;
  for (const toml::node& n : *cases) {
    const toml::table& t = *n.as_table();
    Case c;
    c.name = t["name"].value_or(std::string());
    c.token = t["token"].value_or(std::string());
    c.key = t["key"].value_or(std::string());
    c.expect = t["expect"].value_or(std::string());
    c.jwks_expect = t["jwks_expect"].value_or(std::string());
    c.payload = t["payload"].value_or(std::string());
    c.error = t["error"].value_or(std::string());
    if (const toml::array* kids = t["kids"].as_array()) {
      for (const toml::node& k : *kids) c.kids.push_back(k.value_or(std::string()));
    }
    out.push_back(std::move(c));
  }
  return out;
}

class JoseVectors : public ::testing::Test {
 protected:
  ~JoseVectors() override { OSSL_LIB_CTX_free(libctx_); }
  base::Result<std::shared_ptr<const JwkSet>> Keys(const std::string& file) {
    return JwkSet::Parse(ReadFile(kDir / "jose" / file), libctx_);
  }
  OSSL_LIB_CTX* libctx_ = OSSL_LIB_CTX_new();
};

TEST_F(JoseVectors, FileHasCases) {
  // The harness must not pass vacuously.
  EXPECT_GE(LoadCases().size(), 14u);
}

TEST_F(JoseVectors, EveryCase) {
  int valid = 0;
  for (const Case& c : LoadCases()) {
    SCOPED_TRACE(c.name);
    auto keys = Keys(c.key);
    if (!c.jwks_expect.empty()) {
      if (c.jwks_expect == "refused") {
        ASSERT_FALSE(keys.has_value());
        EXPECT_NE(keys.error().message().find(c.error), std::string::npos)
            << keys.error().message();
      } else {
        ASSERT_TRUE(keys.has_value()) << keys.error().ToString();
        std::vector<std::string> kids;
        for (const auto& k : (*keys)->keys()) kids.push_back(k->kid());
        EXPECT_EQ(kids, c.kids);
      }
      continue;
    }
    ASSERT_TRUE(keys.has_value()) << keys.error().ToString();
    const std::string token = ReadFile(kDir / "jose" / c.token);
    auto jws = VerifyCompactJws(token, **keys, libctx_);
    if (c.expect == "refused") {
      ASSERT_FALSE(jws.has_value());
      EXPECT_EQ(jws.error().code(), base::ErrorCode::kUnauthenticated);
      EXPECT_NE(jws.error().message().find(c.error), std::string::npos) << jws.error().message();
      continue;
    }
    ASSERT_EQ(c.expect, "valid");
    ASSERT_TRUE(jws.has_value()) << jws.error().ToString();
    EXPECT_EQ(jws->payload, c.payload);
    ++valid;
    // One flipped bit in the signature's first byte.
    std::string bad = token;
    const std::size_t sig = bad.rfind('.') + 1;
    bad[sig] = bad[sig] == 'A' ? 'Q' : 'A';
    EXPECT_FALSE(VerifyCompactJws(bad, **keys, libctx_).has_value());
    // The same token against every other example key.
    for (const Case& other : LoadCases()) {
      if (other.key == c.key || !other.jwks_expect.empty() || other.expect != "valid") continue;
      auto other_keys = Keys(other.key);
      ASSERT_TRUE(other_keys.has_value());
      if (ReadFile(kDir / "jose" / other.key) == ReadFile(kDir / "jose" / c.key)) continue;
      EXPECT_FALSE(VerifyCompactJws(token, **other_keys, libctx_).has_value()) << other.key;
    }
  }
  EXPECT_EQ(valid, 7);
}

}  // namespace
}  // namespace coffer::core::sts
