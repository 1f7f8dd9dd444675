// JWS verification, JWKS parsing and claim checks with keys generated here.

#include "coffer/core/sts/jwt.h"

#include <string>

#include <gtest/gtest.h>

#include "coffer/core/sts/jwks.h"

#include "jwt_test_signer.h"
#include "test_util.h"

namespace coffer::core::sts {
namespace {

using nlohmann::json;
using testing::HmacJwt;
using testing::SignJwt;
using testing::TestKey;

constexpr std::int64_t kNow = 1'800'000'000;
const base::WallTime kNowTime{std::chrono::seconds(kNow)};

json Claims() {
  return {{"iss", "https://idp.example"},
          {"sub", "alice"},
          {"aud", "coffer"},
          {"exp", kNow + 600},
          {"iat", kNow - 10},
          {"policy", "readwrite"}};
}

ClaimRequirements Want() { return {"https://idp.example", {"coffer"}, std::chrono::seconds(60)}; }

class JwtTest : public ::testing::Test {
 protected:
  std::shared_ptr<const JwkSet> Set(const json& keys) {
    auto set = JwkSet::Parse(json{{"keys", keys}}.dump(), random_.LibCtx());
    EXPECT_TRUE(set.has_value()) << set.error().ToString();
    return set.has_value() ? *set : nullptr;
  }
  base::Result<VerifiedJwt> Verify(const std::string& token, const JwkSet& set) {
    return VerifyJws(token, set, random_.LibCtx());
  }
  state::testing::TestRandom random_;
};

TEST(Base64Url, RoundTripsAndRefusesNonCanonicalInput) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    EXPECT_EQ(DecodeBase64Url(EncodeBase64Url(s)), s);
  }
  EXPECT_EQ(EncodeBase64Url("\xfb\xff"), "-_8");
  EXPECT_FALSE(DecodeBase64Url("Zm9v="));  // Padding.
  EXPECT_FALSE(DecodeBase64Url("Zm+v"));   // Standard alphabet.
  EXPECT_FALSE(DecodeBase64Url("Zm9 v"));  // Whitespace.
  EXPECT_FALSE(DecodeBase64Url("Zm9vY"));  // Length 1 mod 4.
  EXPECT_FALSE(DecodeBase64Url("Zh"));     // Non-zero trailing bits ("Zg" is canonical).
  EXPECT_TRUE(DecodeBase64Url("Zg"));
}

TEST_F(JwtTest, EveryAsymmetricAlgorithmVerifies) {
  struct Case {
    const char* kind;
    const char* alg;
  };
  for (Case c :
       {Case{"RSA", "RS256"}, Case{"RSA", "RS384"}, Case{"RSA", "RS512"}, Case{"RSA", "PS256"},
        Case{"RSA", "PS384"}, Case{"RSA", "PS512"}, Case{"P-256", "ES256"}, Case{"P-384", "ES384"},
        Case{"P-521", "ES512"}, Case{"Ed25519", "EdDSA"}}) {
    TestKey key(random_.LibCtx(), c.kind, std::string("k-") + c.alg);
    ASSERT_TRUE(key.ok()) << c.kind;
    auto set = Set(json::array({key.Jwk(c.alg)}));
    ASSERT_NE(set, nullptr);
    auto jwt = Verify(SignJwt(key, c.alg, Claims()), *set);
    ASSERT_TRUE(jwt.has_value()) << c.alg << ": " << jwt.error().ToString();
    EXPECT_EQ(JwsAlgorithmName(jwt->alg), c.alg);
    EXPECT_EQ(jwt->claims["sub"], "alice");
    // One flipped signature bit fails.
    std::string token = SignJwt(key, c.alg, Claims());
    token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
    auto bad = Verify(token, *set);
    ASSERT_FALSE(bad.has_value()) << c.alg;
    EXPECT_EQ(bad.error().code(), base::ErrorCode::kUnauthenticated);
  }
}

TEST_F(JwtTest, ModifiedPayloadFails) {
  TestKey key(random_.LibCtx(), "RSA", "k1");
  auto set = Set(json::array({key.Jwk()}));
  std::string token = SignJwt(key, "RS256", Claims());
  json evil = Claims();
  evil["policy"] = "consoleAdmin";
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  token = token.substr(0, dot1 + 1) + EncodeBase64Url(evil.dump()) + token.substr(dot2);
  auto r = Verify(token, *set);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("signature does not verify"), std::string::npos);
}

TEST_F(JwtTest, NoneAndHmacAreRefusedEvenWithThePublicKeyAsSecret) {
  TestKey key(random_.LibCtx(), "RSA", "k1");
  auto set = Set(json::array({key.Jwk()}));
  // Algorithm confusion: HS256 keyed with the PEM and with the JWK's n bytes.
  for (const std::string& secret : {key.PublicPem(), key.Jwk()["n"].get<std::string>()}) {
    auto r = Verify(HmacJwt(random_.LibCtx(), secret, Claims(), "k1"), *set);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated);
    EXPECT_NE(r.error().message().find("HS256"), std::string::npos);
  }
  for (const char* alg : {"none", "None", "HS384", "HS512", "RS1", ""}) {
    json header = {{"alg", alg}};
    std::string token = testing::SigningInput(header, Claims()) + ".";
    EXPECT_FALSE(Verify(token, *set).has_value()) << alg;
    EXPECT_FALSE(Verify(token + "c2ln", *set).has_value()) << alg;
  }
}

TEST_F(JwtTest, KeyAndAlgorithmMustAgree) {
  TestKey rsa(random_.LibCtx(), "RSA", "rsa");
  TestKey ec(random_.LibCtx(), "P-256", "ec");
  auto set = Set(json::array({rsa.Jwk("RS256"), ec.Jwk()}));
  // An RS256-only key does not verify PS256, even when the signature is right.
  auto ps = Verify(SignJwt(rsa, "PS256", Claims()), *set);
  ASSERT_FALSE(ps.has_value());
  EXPECT_NE(ps.error().message().find("no key for algorithm PS256"), std::string::npos);
  // An ES384 header over a valid ES256 signature of the P-256 key.
  const std::string input = testing::SigningInput({{"alg", "ES384"}, {"kid", "ec"}}, Claims());
  EXPECT_FALSE(Verify(input + "." + EncodeBase64Url(ec.Sign("ES256", input)), *set));
  // RS256 with the EC key's kid.
  EXPECT_FALSE(Verify(SignJwt(rsa, "RS256", Claims(), {{"kid", "ec"}}), *set));
}

TEST_F(JwtTest, KidSelectsTheKeyAndAnUnknownKidIsNotFound) {
  TestKey a(random_.LibCtx(), "RSA", "a");
  TestKey b(random_.LibCtx(), "RSA", "b");
  auto set = Set(json::array({a.Jwk(), b.Jwk()}));
  EXPECT_TRUE(Verify(SignJwt(b, "RS256", Claims()), *set).has_value());
  // b's signature under a's kid fails.
  EXPECT_FALSE(Verify(SignJwt(b, "RS256", Claims(), {{"kid", "a"}}), *set).has_value());
  TestKey c(random_.LibCtx(), "RSA", "c");
  auto r = Verify(SignJwt(c, "RS256", Claims()), *set);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kNotFound);
  // Without a kid every key of the right type is tried.
  TestKey nokid(random_.LibCtx(), "RSA", "");
  auto set2 = Set(json::array({a.Jwk(), nokid.Jwk()}));
  EXPECT_TRUE(Verify(SignJwt(nokid, "RS256", Claims()), *set2).has_value());
}

TEST_F(JwtTest, MalformedTruncatedAndOversizedTokensAreRefused) {
  TestKey key(random_.LibCtx(), "P-256", "k");
  auto set = Set(json::array({key.Jwk()}));
  const std::string good = SignJwt(key, "ES256", Claims());
  ASSERT_TRUE(Verify(good, *set).has_value());
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, good.find('.'), good.find('.') + 1,
                        good.rfind('.'), good.rfind('.') + 1, good.size() - 1}) {
    auto r = Verify(good.substr(0, n), *set);
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated) << n;
  }
  EXPECT_FALSE(Verify(good + ".x", *set).has_value());
  EXPECT_FALSE(Verify(good + "=", *set).has_value());
  EXPECT_FALSE(Verify(" " + good, *set).has_value());
  json big = Claims();
  big["pad"] = std::string(kMaxJwtBytes, 'x');
  auto r = Verify(SignJwt(key, "ES256", big), *set);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("longer than"), std::string::npos);
  // Header and payload that are not JSON objects.
  for (const std::string& h : {std::string("[1]"), std::string("\"x\""), std::string("{")}) {
    std::string t = EncodeBase64Url(h) + "." + EncodeBase64Url(Claims().dump()) + ".AAAA";
    EXPECT_FALSE(Verify(t, *set).has_value()) << h;
  }
  std::string t = EncodeBase64Url(R"({"alg":"ES256"})") + "." + EncodeBase64Url("[]") + ".AAAA";
  EXPECT_FALSE(Verify(t, *set).has_value());
}

TEST_F(JwtTest, CritAndKeyPointingHeadersAreNotFollowed) {
  TestKey key(random_.LibCtx(), "RSA", "k");
  TestKey attacker(random_.LibCtx(), "RSA", "k");
  auto set = Set(json::array({key.Jwk()}));
  EXPECT_FALSE(Verify(SignJwt(key, "RS256", Claims(), {{"crit", {"exp"}}, {"exp", 1}}), *set));
  // An embedded jwk (the attacker's) is ignored: the set's key decides.
  auto r = Verify(SignJwt(attacker, "RS256", Claims(), {{"jwk", attacker.Jwk()}}), *set);
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(Verify(SignJwt(key, "RS256", Claims(), {{"kid", 7}}), *set));
}

TEST_F(JwtTest, JwksRefusesUnexpectedKeys) {
  TestKey rsa(random_.LibCtx(), "RSA", "r");
  TestKey ec(random_.LibCtx(), "P-256", "e");
  auto parse = [&](const json& keys) {
    return JwkSet::Parse(json{{"keys", keys}}.dump(), random_.LibCtx());
  };
  json oct = {{"kty", "oct"}, {"kid", "h"}, {"k", "c2VjcmV0"}};
  auto r = parse(json::array({rsa.Jwk(), oct}));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("key \"h\""), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("oct"), std::string::npos);
  json rsa_as_ec = rsa.Jwk("ES256");
  EXPECT_FALSE(parse(json::array({rsa_as_ec})).has_value());
  EXPECT_FALSE(parse(json::array({ec.Jwk("RS256")})).has_value());
  EXPECT_FALSE(parse(json::array({ec.Jwk("HS256")})).has_value());
  json unknown = {{"kty", "XYZ"}, {"kid", "u"}};
  EXPECT_FALSE(parse(json::array({unknown})).has_value());
  json priv = ec.Jwk();
  priv["d"] = "AAAA";
  EXPECT_FALSE(parse(json::array({priv})).has_value());
  json secp256k1 = ec.Jwk();
  secp256k1["crv"] = "secp256k1";
  EXPECT_FALSE(parse(json::array({secp256k1})).has_value());
  json off_curve = ec.Jwk();
  std::string y = *DecodeBase64Url(off_curve["y"].get<std::string>());
  y[5] = static_cast<char>(y[5] ^ 1);
  off_curve["y"] = EncodeBase64Url(y);
  EXPECT_FALSE(parse(json::array({off_curve})).has_value());
  json short_rsa = rsa.Jwk();
  short_rsa["n"] = EncodeBase64Url(std::string(128, '\x81'));
  EXPECT_FALSE(parse(json::array({short_rsa})).has_value());
  json no_keys = json::array();
  EXPECT_FALSE(parse(no_keys).has_value());
  EXPECT_FALSE(JwkSet::Parse("{", random_.LibCtx()).has_value());
  EXPECT_FALSE(JwkSet::Parse(R"({"keys": 3})", random_.LibCtx()).has_value());
  EXPECT_FALSE(JwkSet::Parse(std::string(300 * 1024, ' '), random_.LibCtx()).has_value());
  // Encryption keys are skipped, not refused.
  json enc = rsa.Jwk();
  enc["use"] = "enc";
  enc["kid"] = "enc";
  auto ok = parse(json::array({enc, ec.Jwk()}));
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ((*ok)->keys().size(), 1u);
  EXPECT_EQ((*ok)->FindByKid("enc"), nullptr);
  EXPECT_NE((*ok)->FindByKid("e"), nullptr);
}

TEST(JwtClaims, GoodClaimsPass) { EXPECT_TRUE(CheckClaims(Claims(), Want(), kNowTime)); }

TEST(JwtClaims, ExpiryWithSkew) {
  json c = Claims();
  c["exp"] = kNow - 30;  // Inside the 60 s skew.
  EXPECT_TRUE(CheckClaims(c, Want(), kNowTime));
  c["exp"] = kNow - 61;
  auto r = CheckClaims(c, Want(), kNowTime);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kDeadlineExceeded);
  c.erase("exp");
  EXPECT_EQ(CheckClaims(c, Want(), kNowTime).error().code(), base::ErrorCode::kUnauthenticated);
  c["exp"] = "1800000600";
  EXPECT_FALSE(CheckClaims(c, Want(), kNowTime));
  c["exp"] = 1800000600.5;
  EXPECT_TRUE(CheckClaims(c, Want(), kNowTime));
}

TEST(JwtClaims, NotBeforeAndIssuedAtInTheFuture) {
  json c = Claims();
  c["nbf"] = kNow + 30;
  EXPECT_TRUE(CheckClaims(c, Want(), kNowTime));
  c["nbf"] = kNow + 120;
  auto r = CheckClaims(c, Want(), kNowTime);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("nbf"), std::string::npos);
  c = Claims();
  c["iat"] = kNow + 3600;
  EXPECT_NE(CheckClaims(c, Want(), kNowTime).error().message().find("iat"), std::string::npos);
}

TEST(JwtClaims, IssuerAudienceAndAuthorizedParty) {
  json c = Claims();
  c["iss"] = "https://idp.example/";
  EXPECT_NE(CheckClaims(c, Want(), kNowTime).error().message().find("issuer"), std::string::npos);
  c = Claims();
  c["aud"] = "other";
  EXPECT_NE(CheckClaims(c, Want(), kNowTime).error().message().find("audience"), std::string::npos);
  c["aud"] = json::array({"other", "coffer"});
  EXPECT_TRUE(CheckClaims(c, Want(), kNowTime));
  c["azp"] = "someone-else";
  EXPECT_FALSE(CheckClaims(c, Want(), kNowTime));
  c["aud"] = "other";
  c["azp"] = "coffer";
  EXPECT_TRUE(CheckClaims(c, Want(), kNowTime));
  c.erase("aud");
  c.erase("azp");
  EXPECT_FALSE(CheckClaims(c, Want(), kNowTime));
  c["aud"] = 5;
  EXPECT_FALSE(CheckClaims(c, Want(), kNowTime));
}

}  // namespace
}  // namespace coffer::core::sts
