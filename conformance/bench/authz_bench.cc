// Authentication + authorization cost per request (issue #7): SigV4 header
// verification with the credential looked up in the IAM snapshot, the
// requester's policies resolved, the condition context built and the
// decision made, for a GetObject by an IAM user. Snapshots of 100 and 10,000
// users (1,000 policies, 100 bucket policies, 100 groups): the cost must not
// grow with the number of users. Target: <= 3 us median added per request.
//
//   build/release/conformance/coffer_authz_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <sstream>

#include <benchmark/benchmark.h>

#include "coffer/base/assert.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "../../appliance/src/core/s3/authorize.h"
#include "../../appliance/src/core/s3/request.h"
#include "test_util.h"

namespace {

using namespace coffer;  // NOLINT: a benchmark binary.

constexpr int kPolicies = 1000;
constexpr int kBuckets = 100;
constexpr int kGroups = 100;

state::ConfigTree Repo(int users) {
  state::ConfigTree tree;
  std::ostringstream policies, buckets, groups, people;
  for (int p = 0; p < kPolicies; ++p) {
    policies << "[policies.p" << p << "]\njson = '{\"Version\": \"2012-10-17\", \"Statement\": "
             << "[{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], "
             << "\"Resource\": [\"arn:aws:s3:::bucket-" << p % kBuckets << "/" << p
             << "/*\"]}, {\"Effect\": \"Allow\", \"Action\": \"s3:ListBucket\", \"Resource\": "
             << "\"arn:aws:s3:::bucket-" << p % kBuckets << "\", \"Condition\": "
             << "{\"StringLike\": {\"s3:prefix\": \"${aws:username}/*\"}}}]}'\n";
  }
  for (int b = 0; b < kBuckets; ++b) {
    buckets << "[buckets.bucket-" << b << "]\npolicy = '{\"Version\": \"2012-10-17\", "
            << "\"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": "
            << "\"s3:*\", \"Resource\": \"arn:aws:s3:::bucket-" << b << "/*\", \"Condition\": "
            << "{\"NotIpAddress\": {\"aws:SourceIp\": \"127.0.0.0/8\"}}}]}'\n";
  }
  for (int g = 0; g < kGroups; ++g) {
    groups << "[groups.g" << g << "]\npolicies = [\"p" << g << "\", \"p" << g + 100 << "\"]\n";
  }
  for (int u = 0; u < users; ++u) {
    people << "[users.user" << u << "]\nsecret = \"env:SECRET_" << u % 100 << "\"\n"
           << "policies = [\"p" << u % kPolicies << "\"]\ngroups = [\"g" << u % kGroups << "\"]\n";
  }
  tree.files["policies.toml"] = policies.str();
  tree.files["buckets.toml"] = buckets.str();
  tree.files["groups.toml"] = groups.str();
  tree.files["users.toml"] = people.str();
  return tree;
}

struct World {
  explicit World(int users) {
    state::ConfigLoad load = state::LoadConfig(Repo(users));
    COFFER_ASSERT(load.ok());
    std::map<std::string, std::string> env;
    for (int i = 0; i < 100; ++i)
      env["SECRET_" + std::to_string(i)] = "secret-" + std::to_string(i);
    state::StandardSecretResolver resolver = state::testing::MapResolver(env);
    auto desired = state::BuildDesiredRecords(load.state, resolver, key);
    COFFER_ASSERT(desired.has_value());
    auto store = state::Store::Open(dir.Path("iam.db"), {});
    COFFER_ASSERT(store.has_value());
    state::ApplyOptions options;
    options.revision.id = "bench";
    options.allow_lockout = true;
    COFFER_ASSERT(state::Apply(**store, *desired, key, random, options).has_value());
    auto snap = state::BuildSnapshot(**store, key, 1, base::WallTime{});
    COFFER_ASSERT(snap.has_value());
    snapshot = *snap;
    libctx = OSSL_LIB_CTX_new();
    crypto = std::move(core::auth::Crypto::Create(libctx)).value();
  }
  ~World() {
    crypto.reset();
    OSSL_LIB_CTX_free(libctx);
  }

  state::testing::TestRandom random;
  state::MasterKey key = state::MasterKey::Generate(random);
  state::testing::TempDir dir;
  std::shared_ptr<const state::Snapshot> snapshot;
  OSSL_LIB_CTX* libctx = nullptr;
  std::unique_ptr<core::auth::Crypto> crypto;
};

void BM_AuthenticateAndAuthorize(benchmark::State& st) {
  const int users = static_cast<int>(st.range(0));
  World w(users);
  const int u = users / 2;
  const std::string user = "user" + std::to_string(u);
  const int policy = u % kPolicies;
  const std::string bucket = "bucket-" + std::to_string(policy % kBuckets);
  const base::WallTime now = *core::auth::ParseAmzDate("20261127T101500Z");

  core::HttpRequest r;
  r.method = "GET";
  r.target = "/" + bucket + "/" + std::to_string(policy) + "/photo.jpg";
  r.remote_address = "127.0.0.1:50000";
  r.headers = {{"host", "127.0.0.1:9000"},
               {"user-agent", "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64"}};
  core::auth::Signer signer(*w.crypto,
                            {user, base::Secret("secret-" + std::to_string(u % 100)), ""},
                            core::auth::SignerOptions{});
  COFFER_ASSERT(signer.Sign(r, now, core::auth::kUnsignedPayload).has_value());

  core::auth::SigningKeyCache cache;
  core::auth::Verifier verifier(*w.crypto, cache, core::auth::VerifierOptions{});
  const state::Snapshot& snap = *w.snapshot;
  auto lookup = [&snap](std::string_view key) -> base::Result<core::auth::Credential> {
    const state::Credential* c = snap.FindCredential(key);
    if (c == nullptr) return base::NotFound("unknown");
    return core::auth::Credential{c->secret_key, c->principal, std::nullopt};
  };
  auto s3 = core::s3::ParseS3Request(r, {});
  COFFER_ASSERT(s3.has_value());
  for (auto _ : st) {
    auto authn = verifier.Verify(r, lookup, now);
    COFFER_ASSERT(authn.has_value());
    core::s3::Authorizer authorizer(&snap, *authn, false, r, *s3, now);
    const core::s3::AuthzDecision d = authorizer.Decide("s3:GetObject", s3->bucket, s3->key);
    COFFER_ASSERT(d.allowed);
    benchmark::DoNotOptimize(d);
  }
  st.counters["users"] = users;
}
BENCHMARK(BM_AuthenticateAndAuthorize)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// The SigV4 part alone, for the difference the authorization adds.
void BM_AuthenticateOnly(benchmark::State& st) {
  World w(static_cast<int>(st.range(0)));
  const base::WallTime now = *core::auth::ParseAmzDate("20261127T101500Z");
  core::HttpRequest r;
  r.method = "GET";
  r.target = "/bucket-1/1/photo.jpg";
  r.headers = {{"host", "127.0.0.1:9000"},
               {"user-agent", "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64"}};
  core::auth::Signer signer(*w.crypto, {"user1", base::Secret("secret-1"), ""},
                            core::auth::SignerOptions{});
  COFFER_ASSERT(signer.Sign(r, now, core::auth::kUnsignedPayload).has_value());
  core::auth::SigningKeyCache cache;
  core::auth::Verifier verifier(*w.crypto, cache, core::auth::VerifierOptions{});
  const state::Snapshot& snap = *w.snapshot;
  auto lookup = [&snap](std::string_view key) -> base::Result<core::auth::Credential> {
    const state::Credential* c = snap.FindCredential(key);
    if (c == nullptr) return base::NotFound("unknown");
    return core::auth::Credential{c->secret_key, c->principal, std::nullopt};
  };
  for (auto _ : st) {
    auto authn = verifier.Verify(r, lookup, now);
    COFFER_ASSERT(authn.has_value());
    benchmark::DoNotOptimize(authn);
  }
}
BENCHMARK(BM_AuthenticateOnly)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
