#include "coffer/core/sts/sts_api.h"

#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "coffer/core/sts/store_sessions.h"
#include "coffer/core/sts/sts_errors.h"
#include "coffer/state/snapshot.h"

#include "../../../src/core/s3/xml.h"
#include "../s3/harness.h"

namespace coffer::core::sts {
namespace {

using s3::testing::kRootAccessKey;
using s3::testing::kRootSecretKey;
using s3::testing::Response;
using s3::testing::S3Harness;
using s3::testing::SendOptions;

constexpr const char* kConfig = R"(
[users.alice]
secret = "env:ALICE"
policies = ["photos-rw"]
[users.bob]
secret = "env:BOB"
policies = ["photos-rw"]
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}]}'''
[policies.jwt-home]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],
  "Resource":["arn:aws:s3:::photos/${jwt:sub}/*"]}]}'''
[buckets.photos]
[buckets.scratch]
)";

const std::map<std::string, std::string> kSecrets = {{"ALICE", "alice-secret-key"},
                                                     {"BOB", "bob-secret-key"}};

constexpr std::string_view kReadPhotos =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],)"
    R"("Resource":["arn:aws:s3:::photos/*"]}]})";
constexpr std::string_view kEverything =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],)"
    R"("Resource":["*"]}]})";

std::string FormEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Creds {
  std::string access_key, secret_key, token, expiration;
};

// A scripted OIDC verifier: "good-<sub>" tokens are valid.
class FakeWebIdentity final : public WebIdentityVerifier {
 public:
  base::Result<ExternalIdentity> Verify(std::string_view token, std::string_view /*role_arn*/,
                                        const state::Snapshot& /*snapshot*/,
                                        base::WallTime now) override {
    if (!token.starts_with("good-")) return base::Unauthenticated("signature does not verify");
    ExternalIdentity id;
    id.subject = std::string(token.substr(5));
    id.parent = "oidc:test:" + id.subject;
    id.policies = {"jwt-home"};
    id.variables = {{"jwt:sub", id.subject}};
    id.not_after = now + std::chrono::minutes(20);
    return id;
  }
};

class StsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.MakeBucket("photos");
    h_.MakeBucket("scratch");
    auto installed = h_.InstallConfig(kConfig, kSecrets);
    ASSERT_TRUE(installed.has_value()) << installed.error().ToString();
    sts_ = Make({});
  }

  std::unique_ptr<StsApi> Make(StsApiOptions options) {
    state::LiveStore* live = &h_.live();
    auto api = StsApi::Create(
        h_.env(), [live] { return live->Current(); }, recorder_,
        s3::RootCredential{std::string(kRootAccessKey), base::Secret(std::string(kRootSecretKey))},
        h_.session_tokens(), std::move(options), &web_, nullptr);
    EXPECT_TRUE(api.has_value()) << api.error().ToString();
    return std::move(api).value();
  }

  SendOptions StsAs(const std::string& key, const std::string& secret) {
    SendOptions o;
    o.access_key = key;
    o.secret_key = secret;
    o.service = "sts";
    o.set_content_sha256 = false;  // As botocore signs STS.
    o.secure = true;
    o.handler = sts_.get();
    return o;
  }

  Response Sts(const std::string& form, SendOptions options) {
    return h_.Send("POST", "/", {{"content-type", "application/x-www-form-urlencoded"}}, form,
                   std::move(options));
  }

  Response AssumeRole(const std::string& user, const std::string& extra = "") {
    return Sts("Action=AssumeRole&Version=2011-06-15" + extra, StsAs(user, user + "-secret-key"));
  }

  static Creds CredsOf(const Response& r) {
    return {r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"), r.XmlText("SessionToken"),
            r.XmlText("Expiration")};
  }

  static SendOptions AsSession(const Creds& c) {
    SendOptions o;
    o.access_key = c.access_key;
    o.secret_key = c.secret_key;
    o.session_token = c.token;
    return o;
  }

  Response PutAs(const Creds& c, const std::string& target) {
    return h_.Send("PUT", target, {}, "data", AsSession(c));
  }

  S3Harness h_;
  StoreSessionRecorder recorder_{h_.live(), h_.env().clock(), h_.env()};
  FakeWebIdentity web_;
  std::unique_ptr<StsApi> sts_;
};

TEST_F(StsApiTest, AssumeRoleByAUserMintsCredentialsBoundByTheUsersPolicies) {
  RequestFacts facts;
  SendOptions o = StsAs("alice", "alice-secret-key");
  o.facts = &facts;
  Response r = Sts("Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1", o);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
            std::string::npos);
  EXPECT_NE(r.body.find("<RequestId>"), std::string::npos);
  const Creds c = CredsOf(r);
  EXPECT_EQ(c.access_key.size(), 20u);
  EXPECT_EQ(c.secret_key.size(), 40u);
  EXPECT_FALSE(c.token.empty());
  EXPECT_EQ(c.expiration.size(), 20u);  // 2026-01-01T00:00:00Z
  EXPECT_EQ(r.XmlText("AssumedRoleId"), c.access_key + ":s1");
  // Audit facts: who and for whom, never the secret or the token.
  EXPECT_EQ(facts.api, "AssumeRole");
  EXPECT_EQ(facts.access_key, "alice");
  EXPECT_EQ(facts.parent_user, "alice");
  EXPECT_TRUE(facts.error_code.empty());
  for (const auto& [k, v] : facts.tags) {
    EXPECT_EQ(v.find(c.secret_key), std::string::npos);
    EXPECT_EQ(v.find(c.token), std::string::npos);
  }

  EXPECT_EQ(PutAs(c, "/photos/a.txt").status, 200u);
  EXPECT_EQ(PutAs(c, "/scratch/a.txt").Code(), "AccessDenied");
  // The session is recorded in the store for listing and revocation.
  auto snapshot = h_.live().Current();
  const state::Credential* row = snapshot->FindCredential(c.access_key);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->kind, state::CredentialKind::kStsSession);
  EXPECT_EQ(row->principal, "alice");
  EXPECT_EQ(row->session_token_digest, h_.session_tokens()->Digest(c.token));
}

TEST_F(StsApiTest, SessionPolicyOnlyNarrows) {
  ASSERT_EQ(h_.Put("/photos/p.txt", "x").status, 200u);
  Response r = AssumeRole("alice", "&Policy=" + FormEncode(kReadPhotos));
  ASSERT_EQ(r.status, 200u) << r.body;
  const Creds read_only = CredsOf(r);
  EXPECT_EQ(h_.Send("GET", "/photos/p.txt", {}, "", AsSession(read_only)).status, 200u);
  EXPECT_EQ(PutAs(read_only, "/photos/q.txt").Code(), "AccessDenied");

  // A session policy wider than the parent gives nothing beyond the parent.
  Response wide = AssumeRole("alice", "&Policy=" + FormEncode(kEverything));
  ASSERT_EQ(wide.status, 200u) << wide.body;
  const Creds w = CredsOf(wide);
  EXPECT_EQ(PutAs(w, "/photos/w.txt").status, 200u);
  EXPECT_EQ(PutAs(w, "/scratch/w.txt").Code(), "AccessDenied");
  EXPECT_EQ(h_.Send("GET", "/", {}, "", AsSession(w)).status, 200u);
}

TEST_F(StsApiTest, RootSessionsAreBoundByTheSessionPolicyAlone) {
  ASSERT_EQ(h_.Put("/photos/p.txt", "x").status, 200u);
  Response r = Sts("Action=AssumeRole&Version=2011-06-15&Policy=" + FormEncode(kReadPhotos),
                   StsAs(std::string(kRootAccessKey), std::string(kRootSecretKey)));
  ASSERT_EQ(r.status, 200u) << r.body;
  const Creds c = CredsOf(r);
  EXPECT_EQ(h_.Send("GET", "/photos/p.txt", {}, "", AsSession(c)).status, 200u);
  EXPECT_EQ(PutAs(c, "/photos/q.txt").Code(), "AccessDenied");
  EXPECT_EQ(PutAs(c, "/scratch/q.txt").Code(), "AccessDenied");

  Response full = Sts("Action=AssumeRole&Version=2011-06-15",
                      StsAs(std::string(kRootAccessKey), std::string(kRootSecretKey)));
  ASSERT_EQ(full.status, 200u) << full.body;
  EXPECT_EQ(PutAs(CredsOf(full), "/scratch/q.txt").status, 200u);
}

TEST_F(StsApiTest, DurationSecondsIsBounded) {
  for (const char* bad : {"899", "43201", "abc", "-1", "9999999999", "1e4"}) {
    Response r = AssumeRole("alice", std::string("&DurationSeconds=") + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.Code(), "InvalidParameterValue") << bad;
    EXPECT_EQ(r.XmlText("AccessKeyId"), "") << bad;
    EXPECT_EQ(r.XmlText("Type"), "Sender");
  }
  const base::WallTime now = h_.env().Now();
  Response min = AssumeRole("alice", "&DurationSeconds=900");
  ASSERT_EQ(min.status, 200u) << min.body;
  Response max = AssumeRole("alice", "&DurationSeconds=43200");
  ASSERT_EQ(max.status, 200u) << max.body;
  auto expiration = [](base::WallTime t) { return s3::FormatIso8601Millis(t).substr(0, 19) + "Z"; };
  EXPECT_EQ(max.XmlText("Expiration"), expiration(now + std::chrono::hours(12)));
  EXPECT_EQ(min.XmlText("Expiration"), expiration(now + std::chrono::seconds(900)));
  EXPECT_EQ(AssumeRole("alice").XmlText("Expiration"), expiration(now + std::chrono::hours(1)));
}

TEST_F(StsApiTest, BadPoliciesAreRefusedWithTheirOwnCodes) {
  Response malformed = AssumeRole("alice", "&Policy=" + FormEncode(R"({"Statement":"nope"})"));
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(malformed.Code(), "MalformedPolicyDocument");
  std::string big = R"({"Version":"2012-10-17","Statement":[)";
  for (int i = 0; i < 40; ++i) {
    big += std::string(i == 0 ? "" : ",") +
           R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/k)" +
           std::to_string(i) + "\"}";
  }
  big += "]}";
  ASSERT_GT(big.size(), 2048u);
  Response large = AssumeRole("alice", "&Policy=" + FormEncode(big));
  EXPECT_EQ(large.status, 400u);
  EXPECT_EQ(large.Code(), "PackedPolicyTooLarge");
}

TEST_F(StsApiTest, PlainHttpIsRefusedUnlessAllowed) {
  SendOptions o = StsAs("alice", "alice-secret-key");
  o.secure = false;
  Response r = Sts("Action=AssumeRole&Version=2011-06-15", o);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.Code(), "AccessDenied");
  EXPECT_NE(r.XmlText("Message").find("HTTPS"), std::string::npos);

  StsApiOptions dev;
  dev.allow_plain_http = true;
  auto plain = Make(dev);
  o.handler = plain.get();
  EXPECT_EQ(Sts("Action=AssumeRole&Version=2011-06-15", o).status, 200u);
}

TEST_F(StsApiTest, ExpiredSessionsAnswerExpiredToken) {
  Response r = AssumeRole("alice", "&DurationSeconds=900");
  ASSERT_EQ(r.status, 200u);
  const Creds c = CredsOf(r);
  h_.env().Advance(std::chrono::seconds(899));
  EXPECT_EQ(PutAs(c, "/photos/a.txt").status, 200u);
  h_.env().Advance(std::chrono::seconds(1));
  EXPECT_EQ(PutAs(c, "/photos/a.txt").Code(), "ExpiredToken");
}

TEST_F(StsApiTest, TamperedMissingAndSwappedTokensAreRefused) {
  const Creds a = CredsOf(AssumeRole("alice"));
  const Creds b = CredsOf(AssumeRole("alice"));
  Creds tampered = a;
  tampered.token[tampered.token.size() / 2] ^= 1;
  EXPECT_EQ(PutAs(tampered, "/photos/x").Code(), "InvalidToken");
  Creds truncated = a;
  truncated.token.resize(truncated.token.size() - 5);
  EXPECT_EQ(PutAs(truncated, "/photos/x").Code(), "InvalidToken");
  Creds missing = a;
  missing.token.clear();
  Response m = PutAs(missing, "/photos/x");
  EXPECT_EQ(m.status, 400u);
  EXPECT_EQ(m.Code(), "MissingSecurityHeader");
  Creds swapped = a;
  swapped.token = b.token;  // Another session's genuine token.
  EXPECT_EQ(PutAs(swapped, "/photos/x").Code(), "InvalidToken");
  Creds wrong_secret = a;
  wrong_secret.secret_key = b.secret_key;
  EXPECT_EQ(PutAs(wrong_secret, "/photos/x").Code(), "SignatureDoesNotMatch");
}

TEST_F(StsApiTest, SessionsDieWithTheirParent) {
  const Creds c = CredsOf(AssumeRole("bob"));
  EXPECT_EQ(PutAs(c, "/photos/a").status, 200u);
  std::string disabled = kConfig;
  const std::string bob_secret = "secret = \"env:BOB\"";
  disabled.replace(disabled.find(bob_secret), bob_secret.size(), bob_secret + "\nenabled = false");
  auto installed = h_.InstallConfig(disabled, kSecrets);
  ASSERT_TRUE(installed.has_value()) << installed.error().ToString();
  EXPECT_EQ(PutAs(c, "/photos/a").Code(), "AccessDenied");
  std::string deleted = kConfig;
  const std::size_t start = deleted.find("[users.bob]");
  deleted.erase(start, deleted.find("[policies.photos-rw]") - start);
  ASSERT_TRUE(h_.InstallConfig(deleted, kSecrets).has_value());
  EXPECT_EQ(PutAs(c, "/photos/a").Code(), "AccessDenied");
}

TEST_F(StsApiTest, RevokedSessionsAreRefused) {
  const Creds c = CredsOf(AssumeRole("alice"));
  const Creds other = CredsOf(AssumeRole("alice"));
  ASSERT_TRUE(h_.live()
                  .Change(
                      [&](state::Store& store, const state::MasterKey&) -> base::Status {
                        COFFER_ASSIGN_OR_RETURN(auto n, store.RevokeStsSessions(c.access_key, ""));
                        EXPECT_EQ(n, 1);
                        return base::Ok();
                      },
                      h_.env().Now())
                  .has_value());
  Response r = PutAs(c, "/photos/a");
  EXPECT_EQ(r.Code(), "InvalidToken");
  EXPECT_NE(r.XmlText("Message").find("revoked"), std::string::npos);
  EXPECT_EQ(PutAs(other, "/photos/a").status, 200u);
}

TEST_F(StsApiTest, ATokenFromAnotherNodeVerifiesWithoutAStoreRow) {
  SessionClaims claims;
  claims.access_key = "ASIAOTHERNODE0000001";
  claims.secret_key = base::Secret(std::string("other-node-secret-0123456789abcdefghijk"));
  claims.parent_kind = ParentKind::kUser;
  claims.parent = "alice";
  claims.issued_at = h_.env().Now();
  claims.expires_at = h_.env().Now() + std::chrono::hours(1);
  auto token = h_.session_tokens()->Seal(claims, h_.env());
  ASSERT_TRUE(token.has_value());
  ASSERT_EQ(h_.live().Current()->FindCredential(claims.access_key), nullptr);
  const Creds c{claims.access_key, std::string(claims.secret_key.Reveal()), *token, ""};
  EXPECT_EQ(PutAs(c, "/photos/n.txt").status, 200u);
  EXPECT_EQ(PutAs(c, "/scratch/n.txt").Code(), "AccessDenied");
  // Without its token the key is unknown.
  Creds bare = c;
  bare.token.clear();
  EXPECT_EQ(PutAs(bare, "/photos/n.txt").Code(), "InvalidAccessKeyId");
}

TEST_F(StsApiTest, ChainedSessionsNeverOutliveOrWidenTheirCaller) {
  Response first = AssumeRole("alice", "&DurationSeconds=900&Policy=" + FormEncode(kReadPhotos));
  ASSERT_EQ(first.status, 200u);
  const Creds c = CredsOf(first);
  SendOptions as_session = StsAs(c.access_key, c.secret_key);
  as_session.session_token = c.token;
  Response chained = Sts("Action=AssumeRole&Version=2011-06-15&DurationSeconds=3600", as_session);
  ASSERT_EQ(chained.status, 200u) << chained.body;
  const Creds d = CredsOf(chained);
  EXPECT_EQ(d.expiration, c.expiration);                    // Capped at the caller's expiry.
  EXPECT_EQ(PutAs(d, "/photos/x").Code(), "AccessDenied");  // Still read-only.
  Response widen =
      Sts("Action=AssumeRole&Version=2011-06-15&Policy=" + FormEncode(kEverything), as_session);
  EXPECT_EQ(widen.Code(), "AccessDenied");
}

TEST_F(StsApiTest, BadRequestsGetStsErrors) {
  SendOptions o = StsAs("alice", "alice-secret-key");
  EXPECT_EQ(Sts("Version=2011-06-15", o).Code(), "MissingParameter");
  EXPECT_EQ(Sts("Action=AssumeRole", o).Code(), "InvalidParameterValue");
  EXPECT_EQ(Sts("Action=AssumeRole&Version=2010-01-01", o).Code(), "InvalidParameterValue");
  Response unknown = Sts("Action=GetFederationToken&Version=2011-06-15", o);
  EXPECT_EQ(unknown.Code(), "InvalidAction");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(Sts("Action=AssumeRole&Version=2011-06-15&x=%zz", o).Code(), "InvalidParameterValue");
  SendOptions anonymous = o;
  anonymous.auth = s3::testing::AuthMode::kAnonymous;
  Response a = Sts("Action=AssumeRole&Version=2011-06-15", anonymous);
  EXPECT_EQ(a.Code(), "MissingAuthenticationToken");
  EXPECT_EQ(a.status, 403u);
  Response bad_sig = Sts("Action=AssumeRole&Version=2011-06-15", StsAs("alice", "wrong"));
  EXPECT_EQ(bad_sig.Code(), "SignatureDoesNotMatch");
  EXPECT_EQ(Sts("Action=AssumeRole&Version=2011-06-15", StsAs("nobody", "x")).Code(),
            "InvalidClientTokenId");
  // Signed for S3 instead of STS.
  SendOptions s3_scope = o;
  s3_scope.service = "s3";
  EXPECT_EQ(Sts("Action=AssumeRole&Version=2011-06-15", s3_scope).status, 403u);
  // The signed body is the body: a changed form does not verify.
  SendOptions forged = o;
  forged.payload_hash = std::string(64, 'a');
  forged.set_content_sha256 = true;
  Response mismatch = Sts("Action=AssumeRole&Version=2011-06-15", forged);
  EXPECT_EQ(mismatch.status, 403u);
  EXPECT_EQ(mismatch.Code(), "AccessDenied");
  EXPECT_EQ(mismatch.XmlText("AccessKeyId"), "");
  Response ldap =
      Sts("Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=a&"
          "LDAPPassword=b",
          o);
  EXPECT_EQ(ldap.Code(), "InvalidParameterValue");
}

TEST_F(StsApiTest, CertificateCnNamesThePolicy) {
  SendOptions o;
  o.auth = s3::testing::AuthMode::kAnonymous;
  o.secure = true;
  o.handler = sts_.get();
  o.client_cert_cn = "photos-rw";
  Response r = Sts("Action=AssumeRoleWithCertificate&Version=2011-06-15&DurationSeconds=900", o);
  ASSERT_EQ(r.status, 200u) << r.body;
  const Creds c = CredsOf(r);
  EXPECT_EQ(PutAs(c, "/photos/c.txt").status, 200u);
  EXPECT_EQ(PutAs(c, "/scratch/c.txt").Code(), "AccessDenied");
  o.client_cert_cn = "no-such-policy";
  EXPECT_EQ(Sts("Action=AssumeRoleWithCertificate&Version=2011-06-15", o).Code(), "AccessDenied");
  o.client_cert_cn.clear();
  EXPECT_EQ(Sts("Action=AssumeRoleWithCertificate&Version=2011-06-15", o).Code(), "AccessDenied");
}

TEST_F(StsApiTest, WebIdentitySessionsCarryPolicyVariablesAndNeverOutliveTheToken) {
  SendOptions o;
  o.auth = s3::testing::AuthMode::kAnonymous;
  o.secure = true;
  o.handler = sts_.get();
  Response r =
      Sts("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=good-carol&"
          "DurationSeconds=3600",
          o);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.XmlText("SubjectFromWebIdentityToken"), "carol");
  const Creds c = CredsOf(r);
  EXPECT_EQ(PutAs(c, "/photos/carol/x").status, 200u);
  EXPECT_EQ(PutAs(c, "/photos/dave/x").Code(), "AccessDenied");
  h_.env().Advance(std::chrono::minutes(20));
  EXPECT_EQ(PutAs(c, "/photos/carol/x").Code(), "ExpiredToken");

  Response bad =
      Sts("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=forged", o);
  EXPECT_EQ(bad.Code(), "InvalidIdentityToken");
  EXPECT_EQ(bad.XmlText("AccessKeyId"), "");
  EXPECT_EQ(Sts("Action=AssumeRoleWithWebIdentity&Version=2011-06-15", o).Code(),
            "MissingParameter");
}

// An LDAP authenticator that, while its login is in progress (as a hung
// directory would keep it), lets the test start another login.
class ReentrantLdap final : public LdapAuthenticator {
 public:
  std::function<void()> during;
  base::Result<ExternalIdentity> Authenticate(std::string_view username, const base::Secret&,
                                              const state::Snapshot&) override {
    if (during) {
      auto nested = std::move(during);
      during = nullptr;
      nested();
    }
    ExternalIdentity id;
    id.subject = std::string(username);
    id.parent = "uid=" + id.subject + ",ou=people,dc=example,dc=org";
    id.policies = {"photos-rw"};
    return id;
  }
};

TEST_F(StsApiTest, IdentityProviderCallsAreBoundedSoWorkersStayFree) {
  ReentrantLdap ldap;
  StsApiOptions options;
  options.max_concurrent_identity_calls = 1;
  state::LiveStore* live = &h_.live();
  auto api = StsApi::Create(
      h_.env(), [live] { return live->Current(); }, recorder_,
      s3::RootCredential{std::string(kRootAccessKey), base::Secret(std::string(kRootSecretKey))},
      h_.session_tokens(), options, &web_, &ldap);
  ASSERT_TRUE(api.has_value()) << api.error().ToString();
  SendOptions o;
  o.auth = s3::testing::AuthMode::kAnonymous;
  o.secure = true;
  o.handler = api->get();
  const std::string form =
      "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=alice&LDAPPassword=pw";
  Response nested;
  ldap.during = [&] { nested = Sts(form, o); };
  Response outer = Sts(form, o);
  EXPECT_EQ(outer.status, 200u) << outer.body;
  // The second login found the only slot taken: refused at once, no credentials.
  EXPECT_EQ(nested.status, 503u) << nested.body;
  EXPECT_EQ(nested.Code(), "ServiceUnavailable");
  EXPECT_TRUE(nested.XmlText("SessionToken").empty());
  // The slot is free again afterwards.
  EXPECT_EQ(Sts(form, o).status, 200u);
  // Web identity shares the bound.
  ldap.during = [&] {
    nested = Sts("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=good-x", o);
  };
  EXPECT_EQ(Sts(form, o).status, 200u);
  EXPECT_EQ(nested.status, 503u) << nested.body;
}

TEST_F(StsApiTest, OwnsOnlyStsRequests) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  EXPECT_TRUE(StsApi::Owns(r));
  r.headers.clear();
  EXPECT_FALSE(StsApi::Owns(r));
  r.target = "/?Action=AssumeRole&Version=2011-06-15";
  EXPECT_TRUE(StsApi::Owns(r));
  r.method = "GET";
  EXPECT_TRUE(StsApi::Owns(r));
  r.target = "/";
  EXPECT_FALSE(StsApi::Owns(r));  // ListBuckets.
  r.target = "/bucket?Action=AssumeRole";
  EXPECT_FALSE(StsApi::Owns(r));
  r.method = "PUT";
  r.target = "/?Action=AssumeRole";
  EXPECT_FALSE(StsApi::Owns(r));
}

TEST(StsErrors, EveryRowHasAMessageAndAType) {
  for (const StsErrorInfo& info : AllStsErrors()) {
    EXPECT_FALSE(info.default_message.empty()) << info.name;
    EXPECT_TRUE(info.type == "Sender" || info.type == "Receiver") << info.name;
    const StsErrorReply reply = ToStsErrorReply(MakeStsError(info.code));
    EXPECT_EQ(reply.info->code, info.code);
    EXPECT_EQ(reply.message, info.default_message);
  }
  EXPECT_EQ(ToStsErrorReply(base::Unauthenticated("x")).info->name, "AccessDenied");
  EXPECT_EQ(ToStsErrorReply(base::DeadlineExceeded("x")).info->name, "ExpiredToken");
  EXPECT_EQ(ToStsErrorReply(base::Internal("secret detail")).message.find("secret"),
            std::string::npos);
}

}  // namespace
}  // namespace coffer::core::sts
