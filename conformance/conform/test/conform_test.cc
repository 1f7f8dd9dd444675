// Unit tests of coffer conform's pure parts: the generators (policies the reference evaluator
// can judge, requests inside the world), the SigV4 mutations (each changes a signed part), the
// report renderers, the adapter's TOML and the command line.

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "adapter.h"
#include "mutations.h"
#include "policy_model.h"
#include "report.h"
#include "run.h"

namespace coffer::conform {
namespace {

PolicyWorld GenericWorld() {
  PolicyWorld w;
  w.buckets = {"conform-abc-b1", "conform-abc-b2"};
  return w;
}

PolicyWorld CofferWorld() {
  PolicyWorld w = GenericWorld();
  w.users = {"conform-abc-u1", "conform-abc-u2"};
  w.can_plain = true;
  return w;
}

RC_GTEST_PROP(ConformGenerators, ReferenceJudgesEveryGeneratedCase, ()) {
  const PolicyWorld world = *rc::gen::element(GenericWorld(), CofferWorld());
  const PolicyCase c = GenCase(world);
  RC_ASSERT(!c.requests.empty());
  RC_ASSERT(c.requests.size() <= 5u);
  for (const PolicyRequest& r : c.requests) {
    RC_ASSERT(reference::Decide({}, {}) != reference::Outcome::kUnsupported);
    const reference::Outcome o = Predict(c, r, "127.0.0.1");
    RC_ASSERT(o != reference::Outcome::kUnsupported);
  }
}

RC_GTEST_PROP(ConformGenerators, GenericWorldNamesNoUserAndOnlyStarPrincipals, ()) {
  const PolicyWorld world = GenericWorld();
  const PolicyCase c = GenCase(world);
  RC_ASSERT(c.identity.empty());
  for (const auto& [bucket, doc] : c.bucket) {
    if (!doc) continue;
    for (const auto& st : (*doc)["Statement"]) RC_ASSERT(st["Principal"] == "*");
    RC_ASSERT(doc->dump().find("aws:username") == std::string::npos);
  }
  for (const PolicyRequest& r : c.requests) {
    RC_ASSERT(r.caller != Caller::kUser);
    RC_ASSERT(r.tls);  // The generic world has no plain listener.
    RC_ASSERT(std::find(world.buckets.begin(), world.buckets.end(), r.bucket) !=
              world.buckets.end());
    if (r.op == "ListObjectsV2") RC_ASSERT(!r.prefix.empty());
  }
}

TEST(ConformPredict, ExplicitDenyInTheBucketPolicyBeatsTheSessionsAllow) {
  PolicyCase c;
  c.session = nlohmann::json::parse(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})");
  c.bucket["b1"] = nlohmann::json::parse(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/a/*"}]})");
  PolicyRequest r;
  r.caller = Caller::kSession;
  r.op = "GetObject";
  r.bucket = "b1";
  r.key = "a/x";
  EXPECT_EQ(Predict(c, r, "127.0.0.1"), reference::Outcome::kExplicitDeny);
  r.key = "other";
  EXPECT_EQ(Predict(c, r, "127.0.0.1"), reference::Outcome::kAllow);
  r.caller = Caller::kAnonymous;
  EXPECT_EQ(Predict(c, r, "127.0.0.1"), reference::Outcome::kImplicitDeny);
}

TEST(ConformPredict, SecureTransportAndSourceIpComeFromTheRequest) {
  PolicyCase c;
  c.session = nlohmann::json::parse(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
       "Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]})");
  PolicyRequest r;
  r.caller = Caller::kSession;
  r.op = "GetObject";
  r.bucket = "b1";
  r.key = "a/x";
  r.tls = true;
  EXPECT_EQ(Predict(c, r, "127.0.0.1"), reference::Outcome::kAllow);
  EXPECT_EQ(Predict(c, r, "10.0.0.1"), reference::Outcome::kImplicitDeny);
  r.tls = false;
  EXPECT_EQ(Predict(c, r, "127.0.0.1"), reference::Outcome::kImplicitDeny);
}

TEST(ConformRepro, CurlCommandNamesNoSecretAndCarriesThePolicies) {
  PolicyCase c;
  c.session = nlohmann::json::parse(R"({"Version":"2012-10-17","Statement":[]})");
  c.bucket["b1"] = std::nullopt;
  PolicyRequest r;
  r.caller = Caller::kSession;
  r.op = "PutObject";
  r.bucket = "b1";
  r.key = "a/x y";
  const std::string repro = Reproduction(c, r, "https://127.0.0.1:9000", "us-east-1");
  EXPECT_NE(repro.find("curl"), std::string::npos);
  EXPECT_NE(repro.find("-X PUT"), std::string::npos);
  EXPECT_NE(repro.find("'https://127.0.0.1:9000/b1/a/x%20y'"), std::string::npos);
  EXPECT_NE(repro.find("$AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_NE(repro.find("x-amz-security-token: $AWS_SESSION_TOKEN"), std::string::npos);
  EXPECT_NE(repro.find("session policy"), std::string::npos);
}

Prepared SignedPut(bool streaming) {
  HttpClient http("", std::chrono::milliseconds(1000));
  (void)http;
  Prepared p;
  p.endpoint = *ParseEndpoint("http://127.0.0.1:9000");
  p.method = "PUT";
  p.target = "/b1/key?x-id=PutObject";
  p.headers = {
      {"host", "127.0.0.1:9000"},
      {"x-amz-date", "20261127T181200Z"},
      {"x-amz-content-sha256", std::string(64, 'a')},
      {"x-amz-meta-conform", "v1"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/s3/aws4_request, "
       "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-conform, Signature=" +
           std::string(64, '0')}};
  if (streaming) {
    p.chunks = {"4;chunk-signature=" + std::string(64, '1') + "\r\nabcd\r\n",
                "2;chunk-signature=" + std::string(64, '2') + "\r\nef\r\n",
                "0;chunk-signature=" + std::string(64, '3') + "\r\n\r\n"};
    for (const auto& c : p.chunks) p.body += c;
  } else {
    p.body = "hello";
  }
  return p;
}

bool SameWire(const Prepared& a, const Prepared& b) {
  return a.method == b.method && a.target == b.target && a.headers == b.headers && a.body == b.body;
}

TEST(ConformMutations, EveryMutationChangesTheRequestOrDoesNotApply) {
  for (int k = 0; k < kMutationCount; ++k) {
    for (bool streaming : {false, true}) {
      for (unsigned which = 0; which < 5; ++which) {
        const Prepared original = SignedPut(streaming);
        Prepared p = original;
        const MutationSpec spec{static_cast<Mutation>(k), which, which * 7};
        const auto what = ApplyMutation(p, spec);
        SCOPED_TRACE(MutationName(spec.kind));
        if (spec.kind == Mutation::kNone) {
          EXPECT_TRUE(SameWire(p, original));
        } else if (what) {
          EXPECT_FALSE(SameWire(p, original)) << *what;
        } else {
          EXPECT_TRUE(SameWire(p, original));
        }
      }
    }
  }
}

TEST(ConformMutations, ChunkMutationsApplyOnlyToAwsChunkedBodies) {
  for (Mutation m : {Mutation::kChunkData, Mutation::kChunkSignature, Mutation::kChunkDrop,
                     Mutation::kChunkSwap, Mutation::kChunkTruncate}) {
    Prepared plain = SignedPut(false);
    EXPECT_FALSE(ApplyMutation(plain, {m, 0, 0}).has_value()) << MutationName(m);
    Prepared chunked = SignedPut(true);
    EXPECT_TRUE(ApplyMutation(chunked, {m, 0, 0}).has_value()) << MutationName(m);
  }
  Prepared p = SignedPut(true);
  ASSERT_TRUE(ApplyMutation(p, {Mutation::kChunkTruncate, 0, 0}).has_value());
  EXPECT_EQ(p.body.find("0;chunk-signature"), std::string::npos);
}

TEST(ConformMutations, AuthorizationRoundTrips) {
  const std::string value =
      "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=abc123";
  const AuthorizationParts parts = ParseAuthorization(value);
  EXPECT_EQ(parts.access_key, "AK");
  EXPECT_EQ(parts.region, "us-east-1");
  EXPECT_EQ(parts.signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(parts.signature, "abc123");
  EXPECT_EQ(FormatAuthorization(parts), value);
}

TEST(ConformReport, MarkdownAndJsonCarryCountsDivergencesSeedAndServer) {
  RunReport r;
  r.endpoint = "https://127.0.0.1:9000";
  r.server_header = "Coffer";
  r.adapter = "generic";
  r.seed = 42;
  SuiteReport s;
  s.name = "policy";
  s.cases = 3;
  s.checks = 9;
  s.divergences.push_back(Divergence{"should be refused: x | y", "refused", "HTTP 200",
                                     "curl 'https://127.0.0.1:9000/b1'\n", 4});
  r.suites.push_back(s);
  const std::string md = RenderMarkdown(r);
  EXPECT_NE(md.find("| seed | 42 |"), std::string::npos);
  EXPECT_NE(md.find("| server header | Coffer |"), std::string::npos);
  EXPECT_NE(md.find("| policy | 3 | 9 | 0 | 1 | DIVERGES |"), std::string::npos);
  EXPECT_NE(md.find("```sh\ncurl 'https://127.0.0.1:9000/b1'\n```"), std::string::npos);
  const auto json = nlohmann::json::parse(RenderJson(r));
  EXPECT_EQ(json["seed"], 42);
  EXPECT_EQ(json["divergences"], 1);
  EXPECT_EQ(json["server_header"], "Coffer");
  EXPECT_EQ(json["suites"][0]["divergences"][0]["shrink_steps"], 4);
  EXPECT_EQ(r.TotalDivergences(), 1);
}

TEST(ConformAdapter, TomlDeclaresUsersPoliciesAndTheGenerationMarker) {
  const std::map<std::string, std::string> sealed = {{"conform-x-u1", "sealed:AAA"},
                                                     {"conform-x-m", "sealed:BBB"}};
  const std::map<std::string, nlohmann::json> policies = {
      {"conform-x-u1",
       nlohmann::json{{"Version", "2012-10-17"}, {"Statement", nlohmann::json::array()}}}};
  const std::string toml = AdapterToml(sealed, policies, "conform-x-m", "conform-x-b1", 7);
  EXPECT_NE(toml.find("[users.\"conform-x-u1\"]\nsecret = \"sealed:AAA\""), std::string::npos);
  EXPECT_NE(toml.find("policies = [\"conform-x-u1-policy\"]"), std::string::npos);
  EXPECT_NE(toml.find("[policies.\"conform-x-m-policy\"]"), std::string::npos);
  EXPECT_NE(toml.find("gen-7"), std::string::npos);
  EXPECT_EQ(toml.find("AAA\"\npolicies = [\"conform-x-m"), std::string::npos);
}

TEST(ConformOptions, ParsesFlagsAndRefusesBadOnes) {
  auto o = ParseOptions({"--endpoint", "https://127.0.0.1:9000", "--admin-credentials", "k:s",
                         "--seed", "7", "--cases", "5", "--suite", "policy,sts"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->seed, 7u);
  EXPECT_EQ(o->cases, 5);
  EXPECT_EQ(o->suites, (std::vector<std::string>{"policy", "sts"}));
  EXPECT_FALSE(ParseOptions({"--endpoint", "x"}).has_value());
  EXPECT_FALSE(
      ParseOptions({"--endpoint", "http://h:1", "--admin-credentials", "k:s", "--suite", "nope"})
          .has_value());
  EXPECT_FALSE(ParseOptions({"--endpoint", "http://h:1", "--admin-credentials", "k:s",
                             "--config-repo", "/tmp"})
                   .has_value());
  EXPECT_EQ(ParseOptions({"--help"}).error().message(), "help");
}

TEST(ConformOptions, AdminCredentialsFromTheEnvironmentNeverEchoTheSecret) {
  setenv("CONFORM_TEST_KEY", "key1", 1);
  setenv("CONFORM_TEST_SECRET", "supersecret", 1);
  auto c = ResolveAdminCredentials("env:CONFORM_TEST_KEY,env:CONFORM_TEST_SECRET");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->first, "key1");
  EXPECT_EQ(c->second, "supersecret");
  auto missing = ResolveAdminCredentials("env:CONFORM_TEST_KEY,env:CONFORM_NOT_SET");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "CONFORM_NOT_SET is not set");
  EXPECT_FALSE(ResolveAdminCredentials("nocolon").has_value());
}

TEST(ConformEndpoint, ParsesUrls) {
  auto e = ParseEndpoint("https://127.0.0.1:9443/");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->HostHeader(), "127.0.0.1:9443");
  EXPECT_EQ(ParseEndpoint("http://example.com")->HostHeader(), "example.com");
  EXPECT_FALSE(ParseEndpoint("ftp://x").has_value());
  EXPECT_FALSE(ParseEndpoint("http://x:9000/path").has_value());
}

}  // namespace
}  // namespace coffer::conform
