#pragma once
// A fixture for the admin API's read endpoints and console seam: the S3
// harness with a config (users whose secrets are env:, file: and sealed:
// references, groups, policies, buckets, identity providers, an audit
// webhook) applied into its store as revision "rev1" by a fake resolver, an
// in-memory config repo reconcile would read, the STS API (for session
// credentials), a fake key service, audit target counters and the recent
// audit entries, all wired into one AdminApi as serve wires them.
//
// kReferences lists every secret reference string of the config: no answer
// may contain one (nor a secret value).

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/admin/admin_api.h"
#include "coffer/core/audit/recent.h"
#include "coffer/core/reconcile/config_repo.h"
#include "coffer/core/s3/store_runtime.h"
#include "coffer/core/sts/store_sessions.h"
#include "coffer/core/sts/sts_api.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/secrets.h"

#include "../s3/harness.h"
#include "../sse/fake_key_service.h"

namespace coffer::core::admin::testing {

inline constexpr const char* kAdminConfig = R"toml(
[users.alice]
secret = "env:ALICE_SECRET_VAR"
policies = ["photos-rw"]
[users.lister]
secret = "file:secrets/lister-secret-file.key"
policies = ["list-users"]
[users.boss]
secret = "sealed:U0VBTEVEQkxPQkZPUkJPU1NTRUNSRVQ="
policies = ["consoleAdmin"]
[users.off]
secret = "env:OFF_SECRET_VAR"
enabled = false
policies = ["photos-rw"]
[groups.staff]
members = ["alice", "lister"]
policies = ["readonly"]
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Sid":"PhotosRW","Effect":"Allow",
  "Action":["s3:*"],"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]},
  {"Sid":"NoSecretPrefix","Effect":"Deny","Action":["s3:GetObject"],
  "Resource":["arn:aws:s3:::photos/secret/*"]}]}'''
[policies.list-users]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:ListUsers"]}]}'''
[buckets.photos]
versioning = true
encryption = "sse-kms"
kms_key = "photos-key"
anonymous = "download"
[buckets.scratch]
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
  "Action":["s3:PutObject"],"Resource":["arn:aws:s3:::scratch/*"]}]}'''
[identity.oidc.corp]
issuer = "https://idp.example.com"
client_id = "coffer-console"
discovery_url = "https://idp.example.com/.well-known/openid-configuration"
client_secret = "env:OIDC_CLIENT_SECRET_VAR"
[identity.ldap.dir]
server = "ldap.example.com:636"
lookup_bind_dn = "cn=admin,dc=example,dc=org"
lookup_bind_password = "env:LDAP_BIND_PASSWORD_VAR"
user_dn_search_base = "ou=people,dc=example,dc=org"
user_dn_search_filter = "(uid=%s)"
[key_service]
address = "in-process"
default_key = "coffer-sse-s3"
[audit.webhook.hook1]
endpoint = "https://hookuser:hookpass@audit.example.com/ingest?sig=querysecret"
auth_token = "env:HOOK_TOKEN_VAR"
)toml";

// Every reference string and secret value of kAdminConfig.
inline const std::vector<std::string> kReferences = {"ALICE_SECRET_VAR",
                                                     "lister-secret-file",
                                                     "U0VBTEVEQkxPQkZPUkJPU1NTRUNSRVQ=",
                                                     "OFF_SECRET_VAR",
                                                     "OIDC_CLIENT_SECRET_VAR",
                                                     "LDAP_BIND_PASSWORD_VAR",
                                                     "HOOK_TOKEN_VAR",
                                                     "alice-secret-key",
                                                     "lister-secret-key",
                                                     "boss-secret-key",
                                                     "off-secret-key",
                                                     "oidc-client-secret-value",
                                                     "ldap-bind-password-value",
                                                     "hook-token-value",
                                                     "hookpass",
                                                     "querysecret"};

// Resolves the config's references from a map (reference text -> secret).
class MapResolver final : public state::SecretResolver {
 public:
  base::Result<base::Secret> Resolve(const state::SecretRef& ref) override {
    static const std::map<std::string, std::string> kValues = {
        {"env:ALICE_SECRET_VAR", "alice-secret-key"},
        {"file:secrets/lister-secret-file.key", "lister-secret-key"},
        {"sealed:U0VBTEVEQkxPQkZPUkJPU1NTRUNSRVQ=", "boss-secret-key"},
        {"env:OFF_SECRET_VAR", "off-secret-key"},
        {"env:OIDC_CLIENT_SECRET_VAR", "oidc-client-secret-value"},
        {"env:LDAP_BIND_PASSWORD_VAR", "ldap-bind-password-value"},
        {"env:HOOK_TOKEN_VAR", "hook-token-value"},
        {"env:NEW_USER_VAR", "new-user-secret-key"}};
    auto it = kValues.find(ref.Text());
    if (it == kValues.end()) return base::NotFound(ref.Text() + " is not set");
    return base::Secret(it->second);
  }
};

// The config repo as reconcile would read it: one file, at a revision.
class MemRepo final : public reconcile::ConfigRepo {
 public:
  base::Result<state::ConfigTree> Read() override { return tree; }
  state::Revision Describe(const state::ConfigTree&) override { return revision; }
  state::SecretResolver& Secrets() override { return resolver; }

  state::ConfigTree tree;
  state::Revision revision;
  MapResolver resolver;
};

class AdminFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.MakeBucket("photos");
    h_.MakeBucket("scratch");
    h_.MakeBucket("unlisted");  // On the drives only: no settings row.
    repo_.tree.files["coffer.toml"] = kAdminConfig;
    repo_.revision = {"rev1", "Alice Admin <alice@example.com>", false, true};
    base::Status applied = ApplyRepo();
    ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
    state::LiveStore* live = &h_.live();
    auto sts = sts::StsApi::Create(
        h_.env(), [live] { return live->Current(); }, recorder_, Root(), h_.session_tokens(), {},
        nullptr, nullptr);
    ASSERT_TRUE(sts.has_value()) << sts.error().ToString();
    sts_ = std::move(sts).value();
    runtime_ = std::make_unique<s3::StoreRuntime>(h_.live(), h_.env().clock());
    ASSERT_TRUE(keys_.CreateKey("coffer-sse-s3").has_value());
    AdminApiOptions options;
    options.session_tokens = h_.session_tokens();
    options.recent_audit = recent_;
    options.sources.live = &h_.live();
    options.sources.repo = &repo_;
    options.sources.key_service = &keys_;
    options.sources.server_info = [this] {
      ServerInfo info;
      info.version = "coffer test";
      info.tls = true;
      info.started_at = started_at_;
      info.drives = {{"/data/drive1", true}, {"/data/drive2", false}};
      info.data_shards = 2;
      info.parity_shards = 2;
      info.sets = 1;
      info.key_service = "in-process";
      return info;
    };
    options.sources.audit_stats = [] {
      audit::TargetStats s;
      s.id = "webhook:hook1";
      s.delivered = 7;
      s.failed = 2;
      s.queued = 3;
      // A careless HTTP client might echo the token: it is scrubbed.
      s.last_error = "HTTP 401 from audit.example.com (Bearer hook-token-value)";
      return std::vector<audit::TargetStats>{s};
    };
    options.sources.bucket_names = [] {
      return std::vector<std::string>{"photos", "scratch", "unlisted"};
    };
    started_at_ = h_.env().clock().Now();
    auto api = AdminApi::Create(
        h_.env(), [live] { return live->Current(); }, *runtime_, Root(), std::move(options));
    ASSERT_TRUE(api.has_value()) << api.error().ToString();
    admin_ = std::move(api).value();
  }

  static s3::RootCredential Root() {
    return s3::RootCredential{std::string(s3::testing::kRootAccessKey),
                              base::Secret(std::string(s3::testing::kRootSecretKey))};
  }

  // Applies repo_'s tree at repo_.revision into the store (as reconcile).
  base::Status ApplyRepo() {
    state::ConfigLoad load = state::LoadConfig(repo_.tree);
    if (!load.ok()) return base::InvalidArgument(state::FormatErrors(load.errors));
    return h_.live().Change(
        [&](state::Store& store, const state::MasterKey& key) -> base::Status {
          COFFER_ASSIGN_OR_RETURN(state::DesiredRecords desired,
                                  state::BuildDesiredRecords(load.state, repo_.resolver, key));
          state::ApplyOptions apply;
          apply.revision = repo_.revision;
          apply.now = h_.env().clock().Now();
          apply.allow_lockout = true;
          apply.allow_prune = true;
          COFFER_RETURN_IF_ERROR(state::Apply(store, desired, key, h_.env(), apply));
          return base::Ok();
        },
        h_.env().clock().Now());
  }

  static s3::testing::SendOptions As(const std::string& key, const std::string& secret) {
    s3::testing::SendOptions o;
    o.access_key = key;
    o.secret_key = secret;
    return o;
  }
  static s3::testing::SendOptions AsUser(const std::string& user) {
    return As(user, user + "-secret-key");
  }
  static s3::testing::SendOptions AsRoot() {
    return As(std::string(s3::testing::kRootAccessKey), std::string(s3::testing::kRootSecretKey));
  }

  // A signed admin request.
  s3::testing::Response Admin(std::string_view method, std::string_view target,
                              s3::testing::SendOptions who, std::string body = "") {
    who.handler = admin_.get();
    HeaderList headers;
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return h_.Send(method, target, std::move(headers), std::move(body), who);
  }

  // GET as `who`; expects `status` and returns the parsed answer.
  nlohmann::json Get(std::string_view target, s3::testing::SendOptions who, unsigned status = 200) {
    s3::testing::Response r = Admin("GET", target, std::move(who));
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    ExpectNoSecrets(r.body);
    nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.body;
    return doc;
  }

  static void ExpectNoSecrets(const std::string& body) {
    for (const std::string& s : kReferences) {
      EXPECT_EQ(body.find(s), std::string::npos) << "'" << s << "' in: " << body;
    }
  }

  // STS AssumeRole as `who`: {access key, secret, token}.
  std::vector<std::string> Assume(s3::testing::SendOptions who) {
    who.service = "sts";
    who.set_content_sha256 = false;
    who.secure = true;
    who.handler = sts_.get();
    s3::testing::Response r =
        h_.Send("POST", "/", {{"content-type", "application/x-www-form-urlencoded"}},
                "Action=AssumeRole&Version=2011-06-15", who);
    EXPECT_EQ(r.status, 200u) << r.body;
    return {r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"), r.XmlText("SessionToken")};
  }

  s3::testing::S3Harness h_;
  MemRepo repo_;
  sse::testing::TestRandom random_{7};
  sse::testing::FakeKeyService keys_{random_};
  std::shared_ptr<audit::RecentAuditLog> recent_ = std::make_shared<audit::RecentAuditLog>();
  sts::StoreSessionRecorder recorder_{h_.live(), h_.env().clock(), h_.env()};
  std::unique_ptr<sts::StsApi> sts_;
  std::unique_ptr<s3::StoreRuntime> runtime_;
  std::unique_ptr<AdminApi> admin_;
  base::WallTime started_at_{};
};

}  // namespace coffer::core::admin::testing
