// STS session-token verification per S3 request (issue #10). Each request made
// with temporary credentials opens its X-Amz-Security-Token (AES-256-GCM under
// the key derived from the master key), checks that it names the request's
// access key, its expiry, the snapshot's revocation mark and that its parent
// user can still act: s3::LookupCredential with a SessionContext. Target:
// <= 3 us median. The reference in the same run is the same lookup for an IAM
// user's long-term key, and the whole SigV4 verification with each.
//
//   build/h-sts-rel/conformance/coffer_sts_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <sstream>

#include <benchmark/benchmark.h>

#include "coffer/base/assert.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace {

using namespace coffer;  // NOLINT: a benchmark binary.

constexpr int kUsers = 1000;
constexpr std::string_view kSessionPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],)"
    R"("Resource":["arn:aws:s3:::bucket-1/*"]}]})";

state::ConfigTree Repo() {
  state::ConfigTree tree;
  std::ostringstream people;
  people << "[policies.rw]\njson = '{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
         << "\"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::bucket-1/*\"}]}'\n";
  for (int u = 0; u < kUsers; ++u) {
    people << "[users.user" << u << "]\nsecret = \"env:SECRET\"\npolicies = [\"rw\"]\n";
  }
  tree.files["iam.toml"] = people.str();
  return tree;
}

struct World {
  World() {
    state::ConfigLoad load = state::LoadConfig(Repo());
    COFFER_ASSERT(load.ok());
    state::StandardSecretResolver resolver =
        state::testing::MapResolver({{"SECRET", "user-secret-0123456789"}});
    auto desired = state::BuildDesiredRecords(load.state, resolver, key);
    COFFER_ASSERT(desired.has_value());
    auto opened = state::Store::Open(dir.Path("iam.db"), {});
    COFFER_ASSERT(opened.has_value());
    store = std::move(opened).value();
    state::ApplyOptions options;
    options.revision.id = "bench";
    options.allow_lockout = true;
    COFFER_ASSERT(state::Apply(*store, *desired, key, random, options).has_value());
    libctx = OSSL_LIB_CTX_new();
    crypto = std::move(core::auth::Crypto::Create(libctx)).value();
    codec = std::move(core::sts::SessionTokenCodec::Create(key, libctx)).value();

    // One session of user500, recorded as the STS API records it.
    claims.access_key = "ASIABENCHSESSION0001";
    claims.secret_key = base::Secret(std::string("bench-session-secret-0123456789abcdefgh"));
    claims.parent_kind = core::sts::ParentKind::kUser;
    claims.parent = "user500";
    claims.session_policy = std::string(kSessionPolicy);
    claims.issued_at = now;
    claims.expires_at = now + std::chrono::hours(1);
    token = std::move(codec->Seal(claims, random)).value();
    state::RuntimeCredential row{claims.access_key,     claims.parent, claims.secret_key,
                                 claims.session_policy, true,          claims.expires_at};
    COFFER_ASSERT(store->PutStsSession(row, codec->Digest(token), key, random, now).has_value());
    auto snap = state::BuildSnapshot(*store, key, 1, now);
    COFFER_ASSERT(snap.has_value());
    snapshot = *snap;
    COFFER_ASSERT(snapshot->FindCredential(claims.access_key) != nullptr);
  }
  ~World() {
    codec.reset();
    crypto.reset();
    OSSL_LIB_CTX_free(libctx);
  }

  state::testing::TestRandom random;
  state::MasterKey key = state::MasterKey::Generate(random);
  state::testing::TempDir dir;
  std::unique_ptr<state::Store> store;
  std::shared_ptr<const state::Snapshot> snapshot;
  OSSL_LIB_CTX* libctx = nullptr;
  std::unique_ptr<core::auth::Crypto> crypto;
  std::unique_ptr<core::sts::SessionTokenCodec> codec;
  const base::WallTime now = *core::auth::ParseAmzDate("20261127T101500Z");
  core::sts::SessionClaims claims;
  std::string token;
  core::s3::RootCredential root{"ROOTKEY", base::Secret(std::string("root-secret"))};
};

World& TheWorld() {
  static World* world = new World();  // Built once for every benchmark.
  return *world;
}

// The per-request work for temporary credentials.
void BM_SessionLookup(benchmark::State& st) {
  World& w = TheWorld();
  for (auto _ : st) {
    core::sts::SessionClaims opened;
    core::s3::SessionContext session{w.codec.get(), w.token, &opened};
    auto c =
        core::s3::LookupCredential(w.snapshot.get(), w.root, w.claims.access_key, w.now, session);
    COFFER_ASSERT(c.has_value());
    benchmark::DoNotOptimize(opened);
  }
}
BENCHMARK(BM_SessionLookup);

// Reference: the same lookup for a long-term user key.
void BM_UserLookup(benchmark::State& st) {
  World& w = TheWorld();
  for (auto _ : st) {
    auto c = core::s3::LookupCredential(w.snapshot.get(), w.root, "user500", w.now);
    COFFER_ASSERT(c.has_value());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_UserLookup);

// The token alone: AES-256-GCM open and parse.
void BM_TokenOpen(benchmark::State& st) {
  World& w = TheWorld();
  for (auto _ : st) {
    auto c = w.codec->Open(w.token);
    COFFER_ASSERT(c.has_value());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_TokenOpen);

// Whole SigV4 verification of a GetObject, with session vs user credentials.
void VerifyAs(benchmark::State& st, bool session) {
  World& w = TheWorld();
  core::HttpRequest r;
  r.method = "GET";
  r.target = "/bucket-1/photo.jpg";
  r.remote_address = "127.0.0.1:50000";
  r.headers = {{"host", "127.0.0.1:9000"}};
  core::auth::SigningCredentials credentials =
      session ? core::auth::SigningCredentials{w.claims.access_key, w.claims.secret_key, w.token}
              : core::auth::SigningCredentials{
                    "user500", base::Secret(std::string("user-secret-0123456789")), ""};
  core::auth::Signer signer(*w.crypto, std::move(credentials), core::auth::SignerOptions{});
  COFFER_ASSERT(signer.Sign(r, w.now, core::auth::kUnsignedPayload).has_value());
  core::auth::SigningKeyCache cache;
  core::auth::Verifier verifier(*w.crypto, cache, core::auth::VerifierOptions{});
  const std::string_view token = r.Header("x-amz-security-token");
  for (auto _ : st) {
    core::sts::SessionClaims opened;
    auto lookup = [&](std::string_view key) {
      return core::s3::LookupCredential(w.snapshot.get(), w.root, key, w.now,
                                        {w.codec.get(), token, &opened});
    };
    auto authn = verifier.Verify(r, lookup, w.now);
    COFFER_ASSERT(authn.has_value());
    benchmark::DoNotOptimize(authn);
  }
}
void BM_SigV4WithSession(benchmark::State& st) { VerifyAs(st, true); }
void BM_SigV4WithUser(benchmark::State& st) { VerifyAs(st, false); }
BENCHMARK(BM_SigV4WithSession);
BENCHMARK(BM_SigV4WithUser);

}  // namespace

BENCHMARK_MAIN();
