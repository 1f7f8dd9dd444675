// AssumeRoleWithWebIdentity's token work (issue #10: RS256 verification + policy mapping
// <= 100 us median), with its reference in the same run: one bare OpenSSL RSA-2048
// PKCS#1 v1.5 SHA-256 verification of the same signing input (EVP_DigestVerify), which is
// the floor any RS256 verifier pays.
//
//   BM_BareRsa2048Verify        the reference
//   BM_Rs256VerifyAndMap        VerifyJws + CheckClaims + MapClaims (policy names looked up)
//   BM_OidcVerifierVerify       OidcVerifier::Verify against a snapshot with a jwks_file
//                               provider (provider lookup, cached keys, all of the above)
//   BM_Es256VerifyAndMap, BM_EdDsaVerifyAndMap   the other key types, for comparison

#include <set>
#include <string>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "coffer/core/sts/jwt.h"
#include "coffer/core/sts/oidc.h"
#include "coffer/state/apply.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "jwt_test_signer.h"
#include "test_util.h"

namespace {

namespace sts = coffer::core::sts;
using nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000;
const coffer::base::WallTime kNowTime{std::chrono::seconds(kNow)};

json Claims() {
  return {{"iss", "https://idp.example"},
          {"sub", "4f1c2a7e-user"},
          {"aud", "coffer"},
          {"azp", "coffer"},
          {"exp", kNow + 3600},
          {"iat", kNow - 10},
          {"email", "alice@example.com"},
          {"groups", {"eng", "ops"}},
          {"policy", "photos-read,home"}};
}

struct Setup {
  coffer::state::testing::TestRandom random;
  sts::testing::TestKey rsa{random.LibCtx(), "RSA", "rsa-1"};
  sts::testing::TestKey ec{random.LibCtx(), "P-256", "ec-1"};
  sts::testing::TestKey ed{random.LibCtx(), "Ed25519", "ed-1"};
  std::shared_ptr<const sts::JwkSet> keys;
  sts::OidcProvider provider;
  std::set<std::string, std::less<>> policies{"home", "photos-read", "readonly"};
  Setup() {
    auto parsed = sts::JwkSet::Parse(
        json{{"keys", json::array({rsa.Jwk("RS256"), ec.Jwk(), ed.Jwk()})}}.dump(),
        random.LibCtx());
    keys = *parsed;
    provider.name = "corp";
    provider.issuer = "https://idp.example";
    provider.client_id = "coffer";
    provider.audiences = {"coffer"};
    provider.jwks_file = "jwks.json";
  }
};

Setup& S() {
  static Setup* s = new Setup();
  return *s;
}

void VerifyAndMap(benchmark::State& state, const sts::testing::TestKey& key, const char* alg) {
  Setup& s = S();
  const std::string token = sts::testing::SignJwt(key, alg, Claims());
  const sts::ClaimRequirements want{s.provider.issuer, s.provider.audiences,
                                    std::chrono::seconds(60)};
  auto exists = [&](std::string_view name) { return s.policies.count(name) > 0; };
  for (auto _ : state) {
    auto jwt = sts::VerifyJws(token, *s.keys, s.random.LibCtx());
    if (!jwt || !sts::CheckClaims(jwt->claims, want, kNowTime)) state.SkipWithError("refused");
    auto id = sts::MapClaims(s.provider, jwt->claims, exists, false);
    if (!id || id->policies.size() != 2) state.SkipWithError("mapping");
    benchmark::DoNotOptimize(id);
  }
}

void BM_Rs256VerifyAndMap(benchmark::State& state) { VerifyAndMap(state, S().rsa, "RS256"); }
void BM_Es256VerifyAndMap(benchmark::State& state) { VerifyAndMap(state, S().ec, "ES256"); }
void BM_EdDsaVerifyAndMap(benchmark::State& state) { VerifyAndMap(state, S().ed, "EdDSA"); }

void BM_BareRsa2048Verify(benchmark::State& state) {
  Setup& s = S();
  const std::string token = sts::testing::SignJwt(s.rsa, "RS256", Claims());
  const std::string input = token.substr(0, token.rfind('.'));
  const std::string sig = *sts::DecodeBase64Url(token.substr(token.rfind('.') + 1));
  EVP_PKEY* pkey = s.keys->FindByKid("rsa-1")->pkey();
  for (auto _ : state) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestVerifyInit_ex(md, nullptr, "SHA256", s.random.LibCtx(), nullptr, pkey, nullptr);
    const int ok =
        EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(md);
    if (ok != 1) state.SkipWithError("bare verify failed");
  }
}

constexpr std::string_view kConfig = R"(
[users.admin]
secret = "env:ADMIN_SECRET"
policies = ["consoleAdmin"]

[policies.photos-read]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}'

[policies.home]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::home/${jwt:sub}/*"]}]}'

[identity.oidc.corp]
issuer = "https://idp.example"
client_id = "coffer"
jwks_file = "jwks.json"
)";

void BM_OidcVerifierVerify(benchmark::State& state) {
  Setup& s = S();
  coffer::state::testing::TempDir tmp;
  auto store = coffer::state::Store::Open(tmp.Path("iam.db"), {});
  auto key = coffer::state::MasterKey::Generate(s.random);
  auto load =
      coffer::state::LoadConfig(coffer::state::testing::Tree({{"c.toml", std::string(kConfig)}}));
  auto resolver = coffer::state::testing::MapResolver({{"ADMIN_SECRET", "admin-secret-123"}});
  auto desired = coffer::state::BuildDesiredRecords(load.state, resolver, key);
  if (!store || !load.ok() || !desired) return state.SkipWithError("setup");
  auto applied = coffer::state::Apply(**store, *desired, key, s.random, {});
  auto snap = coffer::state::BuildSnapshot(**store, key, 1, coffer::base::WallTime{});
  if (!applied || !snap) return state.SkipWithError("snapshot");
  sts::OidcOptions options;
  options.libctx = s.random.LibCtx();
  const std::string jwks = json{{"keys", json::array({s.rsa.Jwk("RS256")})}}.dump();
  options.read_config_file = [&](std::string_view) -> coffer::base::Result<std::string> {
    return jwks;
  };
  sts::OidcVerifier verifier(std::move(options));
  const std::string token = sts::testing::SignJwt(s.rsa, "RS256", Claims());
  for (auto _ : state) {
    auto id = verifier.Verify(token, "arn:minio:iam:::role/corp", **snap, kNowTime);
    if (!id || id->policies.size() != 2) state.SkipWithError("verify");
    benchmark::DoNotOptimize(id);
  }
}

BENCHMARK(BM_BareRsa2048Verify)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_Rs256VerifyAndMap)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_OidcVerifierVerify)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_Es256VerifyAndMap)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_EdDsaVerifyAndMap)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
