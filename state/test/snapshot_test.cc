#include "coffer/state/snapshot.h"

#include <thread>

#include <gtest/gtest.h>

#include "coffer/state/apply.h"

#include "test_util.h"

namespace coffer::state {
namespace {

using testing::TempDir;
using testing::TestRandom;

constexpr const char* kConfig = R"(
[users.root]
secret = "env:ROOT"
policies = ["consoleAdmin"]
[users.alice]
secret = "env:ALICE"
groups = ["devs", "off"]
policies = ["readonly"]
[users.bob]
secret = "env:BOB"
enabled = false
[groups.devs]
policies = ["photos-rw"]
[groups.off]
enabled = false
policies = ["readwrite"]
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject",
  "Resource":"arn:aws:s3:::photos/*"}]}'''
[buckets.photos]
encryption = "sse-kms"
kms_key = "k1"
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}'''
[key_service]
address = "https://kes:7373"
[identity.ldap.corp]
server = "ldap:636"
lookup_bind_password = "env:LDAP_PW"
)";

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_unique<MasterKey>(MasterKey::Generate(random_));
    store_ = *Store::Open(dir_.Path("iam.db"), {});
    ConfigLoad load = LoadConfig(testing::Tree({{"c.toml", kConfig}}));
    ASSERT_TRUE(load.ok()) << FormatErrors(load.errors);
    StandardSecretResolver resolver = testing::MapResolver(
        {{"ROOT", "root-s"}, {"ALICE", "alice-s"}, {"BOB", "bob-s"}, {"LDAP_PW", "ldap-s"}});
    DesiredRecords desired = *BuildDesiredRecords(load.state, resolver, *key_);
    ApplyOptions options;
    options.revision.id = "abc123";
    ASSERT_TRUE(Apply(*store_, desired, *key_, random_, options).has_value());
  }

  TestRandom random_;
  std::unique_ptr<MasterKey> key_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SnapshotTest, HoldsCredentialsPrincipalsPoliciesBucketsAndSettings) {
  base::WallTime now{};
  auto snap = BuildSnapshot(*store_, *key_, 1, now);
  ASSERT_TRUE(snap.has_value()) << snap.error().ToString();
  const Snapshot& s = **snap;
  EXPECT_EQ(s.generation(), 1u);
  EXPECT_EQ(s.revision().id, "abc123");
  const Credential* alice = s.FindCredential("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->secret_key.Reveal(), "alice-s");
  EXPECT_EQ(s.FindCredential("bob"), nullptr);  // Disabled.
  const Principal* p = s.FindPrincipal("alice");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->groups, std::vector<std::string>{"devs"});  // "off" is disabled.
  EXPECT_EQ(p->policies, (std::vector<std::string>{"photos-rw", "readonly"}));
  ASSERT_NE(s.FindPolicy("photos-rw"), nullptr);
  EXPECT_NE(s.FindPolicy("photos-rw")->compiled, nullptr);
  ASSERT_NE(s.FindPolicy("readonly"), nullptr);
  const BucketEntry* b = s.FindBucket("photos");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->encryption, Encryption::kSseKms);
  EXPECT_EQ(b->kms_key, "k1");
  EXPECT_NE(b->compiled_policy, nullptr);
  const SettingsEntry* ldap = s.FindSettings("ldap", "corp");
  ASSERT_NE(ldap, nullptr);
  EXPECT_EQ(ldap->fields.at("server"), "ldap:636");
  EXPECT_EQ(ldap->secrets.at("lookup_bind_password").Reveal(), "ldap-s");
  EXPECT_EQ(s.SettingsOfKind("key_service").size(), 1u);
}

TEST_F(SnapshotTest, RuntimeCredentialsFollowTheirParentAndExpiry) {
  base::WallTime t0 = base::WallTime(std::chrono::seconds(1000));
  RuntimeCredential sa{"sa-alice", "alice", base::Secret("sa-s"), "", true, std::nullopt};
  RuntimeCredential sa_bob{"sa-bob", "bob", base::Secret("sa-b"), "", true, std::nullopt};
  RuntimeCredential sts{"sts-1", "alice", base::Secret("sts-s"),
                        "",      true,    t0 + std::chrono::seconds(60)};
  ASSERT_TRUE(store_->PutServiceAccount(sa, *key_, random_, t0).has_value());
  ASSERT_TRUE(store_->PutServiceAccount(sa_bob, *key_, random_, t0).has_value());
  ASSERT_TRUE(store_->PutStsSession(sts, "tokdigest", *key_, random_, t0).has_value());
  EXPECT_EQ(store_->PutServiceAccount(sa, *key_, random_, t0).error().code(),
            base::ErrorCode::kAlreadyExists);
  auto early = *BuildSnapshot(*store_, *key_, 1, t0);
  ASSERT_NE(early->FindCredential("sa-alice"), nullptr);
  EXPECT_EQ(early->FindCredential("sa-alice")->kind, CredentialKind::kServiceAccount);
  EXPECT_EQ(early->FindCredential("sa-bob"), nullptr);  // Parent disabled.
  ASSERT_NE(early->FindCredential("sts-1"), nullptr);
  EXPECT_EQ(early->FindCredential("sts-1")->secret_key.Reveal(), "sts-s");
  auto late = *BuildSnapshot(*store_, *key_, 2, t0 + std::chrono::seconds(61));
  EXPECT_EQ(late->FindCredential("sts-1"), nullptr);
  EXPECT_EQ(*store_->DeleteExpiredStsSessions(t0 + std::chrono::seconds(61)), 1);
}

TEST_F(SnapshotTest, StsSessionsAreListedWithoutSecretsAndRevokedUntilTheyExpire) {
  base::WallTime t0 = base::WallTime(std::chrono::seconds(1000));
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::photos/*"}]})";
  RuntimeCredential a{"sts-a", "alice", base::Secret("sts-secret-a"),
                      policy,  true,    t0 + std::chrono::seconds(60)};
  RuntimeCredential b{"sts-b", "alice", base::Secret("sts-secret-b"),
                      "",      true,    t0 + std::chrono::seconds(120)};
  RuntimeCredential c{"sts-c",
                      "oidc:corp:carol",
                      base::Secret("sts-secret-c"),
                      "",
                      true,
                      t0 + std::chrono::seconds(60)};
  for (const RuntimeCredential* s : {&a, &b, &c}) {
    ASSERT_TRUE(
        store_->PutStsSession(*s, "digest-" + s->access_key, *key_, random_, t0).has_value());
  }
  auto listed = *store_->ListStsSessions("alice");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].access_key, "sts-a");
  EXPECT_EQ(listed[0].policy, policy);
  EXPECT_FALSE(listed[0].revoked);
  EXPECT_EQ(listed[0].expires_at, t0 + std::chrono::seconds(60));
  EXPECT_EQ(listed[0].created_at, t0);
  EXPECT_EQ(store_->ListStsSessions("")->size(), 3u);

  EXPECT_EQ(*store_->RevokeStsSessions("sts-a", ""), 1);
  EXPECT_EQ(store_->RevokeStsSessions("nope", "").error().code(), base::ErrorCode::kNotFound);
  EXPECT_EQ(store_->RevokeStsSessions("", "").error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListStsSessions("alice")->at(0).revoked);
  EXPECT_FALSE(store_->ListStsSessions("alice")->at(1).revoked);
  // A revoked session stays in the snapshot, marked, so every node refuses it.
  auto snap = *BuildSnapshot(*store_, *key_, 1, t0);
  ASSERT_NE(snap->FindCredential("sts-a"), nullptr);
  EXPECT_EQ(snap->FindCredential("sts-a")->session_token_digest, kRevokedSessionDigest);
  EXPECT_EQ(snap->FindCredential("sts-b")->session_token_digest, "digest-sts-b");
  // Every session of a parent at once.
  EXPECT_EQ(*store_->RevokeStsSessions("", "oidc:corp:carol"), 1);
  EXPECT_TRUE(store_->ListStsSessions("oidc:corp:carol")->at(0).revoked);
  // Once expired, revoked rows go like any other.
  EXPECT_EQ(*store_->DeleteExpiredStsSessions(t0 + std::chrono::seconds(60)), 2);
  EXPECT_EQ(store_->ListStsSessions("")->size(), 1u);
}

TEST_F(SnapshotTest, ServiceAccountsAreListedWithoutSecretsAndDeleted) {
  base::WallTime t0 = base::WallTime(std::chrono::seconds(1000));
  base::WallTime exp = t0 + std::chrono::seconds(3600);
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::b/*"}]})";
  RuntimeCredential a2{"sa-a2", "alice", base::Secret("s2"), policy, true, exp};
  RuntimeCredential a1{"sa-a1", "alice", base::Secret("s1"), "", true, std::nullopt};
  RuntimeCredential b1{"sa-b1", "bob", base::Secret("s3"), "", false, std::nullopt};
  for (const auto* c : {&a2, &a1, &b1}) {
    ASSERT_TRUE(store_->PutServiceAccount(*c, *key_, random_, t0).has_value());
  }
  auto all = store_->ListServiceAccounts("");
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].access_key, "sa-a1");  // Sorted by access key.
  EXPECT_EQ((*all)[1].access_key, "sa-a2");
  EXPECT_EQ((*all)[1].parent, "alice");
  EXPECT_EQ((*all)[1].policy, policy);
  EXPECT_EQ((*all)[1].expires_at, exp);
  EXPECT_EQ((*all)[1].created_at, t0);
  EXPECT_FALSE((*all)[0].expires_at.has_value());
  EXPECT_FALSE((*all)[2].enabled);
  auto alice = store_->ListServiceAccounts("alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->size(), 2u);
  EXPECT_TRUE(store_->ListServiceAccounts("nobody")->empty());

  ASSERT_TRUE(store_->DeleteServiceAccount("sa-a1").has_value());
  EXPECT_EQ(store_->DeleteServiceAccount("sa-a1").error().code(), base::ErrorCode::kNotFound);
  EXPECT_EQ(store_->ListServiceAccounts("alice")->size(), 1u);
  auto snap = *BuildSnapshot(*store_, *key_, 1, t0);
  EXPECT_EQ(snap->FindCredential("sa-a1"), nullptr);
  EXPECT_NE(snap->FindCredential("sa-a2"), nullptr);
  // The access key is free again.
  EXPECT_TRUE(store_->PutServiceAccount(a1, *key_, random_, t0).has_value());
}

TEST_F(SnapshotTest, WrongMasterKeyIsDataLoss) {
  MasterKey other = MasterKey::Generate(random_);
  auto snap = BuildSnapshot(*store_, other, 1, base::WallTime{});
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), base::ErrorCode::kDataLoss);
}

TEST_F(SnapshotTest, HolderSwapsForwardOnlyAndReadersKeepTheirSnapshot) {
  SnapshotHolder holder;
  EXPECT_EQ(holder.Current(), nullptr);
  EXPECT_EQ(holder.NextGeneration(), 1u);
  auto first = *BuildSnapshot(*store_, *key_, holder.NextGeneration(), base::WallTime{});
  ASSERT_TRUE(holder.Swap(first).has_value());
  std::shared_ptr<const Snapshot> in_flight = holder.Current();
  auto second = *BuildSnapshot(*store_, *key_, holder.NextGeneration(), base::WallTime{});
  EXPECT_EQ(second->generation(), 2u);
  ASSERT_TRUE(holder.Swap(second).has_value());
  EXPECT_EQ(in_flight->generation(), 1u);
  EXPECT_NE(in_flight->FindCredential("alice"), nullptr);
  base::Status stale = holder.Swap(first);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code(), base::ErrorCode::kAborted);
  EXPECT_EQ(holder.Current()->generation(), 2u);
}

TEST_F(SnapshotTest, ConcurrentReadersDuringSwaps) {
  SnapshotHolder holder;
  ASSERT_TRUE(holder.Swap(*BuildSnapshot(*store_, *key_, 1, base::WallTime{})).has_value());
  std::vector<std::shared_ptr<const Snapshot>> next;
  for (std::uint64_t g = 2; g <= 20; ++g) next.push_back(*BuildSnapshot(*store_, *key_, g, {}));
  std::thread reader([&] {
    std::uint64_t last = 0;
    for (int i = 0; i < 2000; ++i) {
      auto s = holder.Current();
      ASSERT_GE(s->generation(), last);
      last = s->generation();
      ASSERT_NE(s->FindCredential("root"), nullptr);
    }
  });
  for (auto& s : next) ASSERT_TRUE(holder.Swap(s).has_value());
  reader.join();
  EXPECT_EQ(holder.Current()->generation(), 20u);
}

TEST_F(SnapshotTest, RuntimeBucketsAreSeparateFromRepoBucketsAndLoseToTheRepo) {
  const base::WallTime t0(std::chrono::seconds(1000));
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::scratch/*"}]})";
  ASSERT_TRUE(store_->PutRuntimeBucket({"scratch", policy, "sse-s3", ""}, t0).has_value());
  // The repo owns photos: its settings are not the S3 API's to change.
  EXPECT_EQ(store_->PutRuntimeBucket({"photos", policy, "none", ""}, t0).error().code(),
            base::ErrorCode::kFailedPrecondition);

  auto snap = *BuildSnapshot(*store_, *key_, 1, t0);
  const BucketEntry* scratch = snap->FindBucket("scratch");
  ASSERT_NE(scratch, nullptr);
  EXPECT_FALSE(scratch->repo_owned);
  EXPECT_NE(scratch->compiled_policy, nullptr);
  EXPECT_EQ(scratch->encryption, Encryption::kSseS3);
  ASSERT_NE(snap->FindBucket("photos"), nullptr);
  EXPECT_TRUE(snap->FindBucket("photos")->repo_owned);
  EXPECT_EQ(store_->GetRuntimeBucket("scratch")->policy, policy);
  EXPECT_EQ(store_->GetRuntimeBucket("photos").error().code(), base::ErrorCode::kNotFound);

  ASSERT_TRUE(store_->DeleteRuntimeBucket("scratch").has_value());
  ASSERT_TRUE(store_->DeleteRuntimeBucket("photos").has_value());  // No-op on a repo bucket.
  auto after = *BuildSnapshot(*store_, *key_, 2, t0);
  EXPECT_EQ(after->FindBucket("scratch"), nullptr);
  EXPECT_NE(after->FindBucket("photos"), nullptr);
}

TEST_F(SnapshotTest, AnonymousShortcutCompilesToACannedBucketPolicy) {
  EXPECT_EQ(AnonymousPolicyJson("b1", AnonymousAccess::kNone), "");
  const std::string download = AnonymousPolicyJson("b1", AnonymousAccess::kDownload);
  EXPECT_NE(download.find("s3:GetObject"), std::string::npos);
  EXPECT_EQ(download.find("s3:PutObject"), std::string::npos);
  const std::string upload = AnonymousPolicyJson("b1", AnonymousAccess::kUpload);
  EXPECT_NE(upload.find("s3:PutObject"), std::string::npos);
  EXPECT_EQ(upload.find("s3:GetObject"), std::string::npos);
  const std::string both = AnonymousPolicyJson("b1", AnonymousAccess::kPublic);
  EXPECT_NE(both.find("s3:PutObject"), std::string::npos);
  EXPECT_NE(both.find("arn:aws:s3:::b1/*"), std::string::npos);
}

}  // namespace
}  // namespace coffer::state
