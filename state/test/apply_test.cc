// Store, plan and apply: the reconcile contract. Every refused or failed apply must leave the
// store file byte-for-byte as it was.

#include "coffer/state/apply.h"

#include <gtest/gtest.h>

#include "coffer/state/config.h"
#include "coffer/state/config_files.h"
#include "coffer/state/crypto.h"
#include "coffer/state/plan.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace coffer::state {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::TestRandom;
using testing::Tree;

constexpr const char* kBase = R"(
[users.root]
secret = "env:ROOT_SECRET"
policies = ["consoleAdmin"]

[users.alice]
secret = "env:ALICE_SECRET"
groups = ["devs"]

[users.bob]
secret = "env:BOB_SECRET"
policies = ["readonly"]

[groups.devs]
policies = ["photos-rw"]

[policies.photos-rw]
json = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::photos/*"]}]}'''

[buckets.photos]
versioning = true
encryption = "sse-s3"
)";

const std::map<std::string, std::string> kEnv = {
    {"ROOT_SECRET", "root-secret-value"},
    {"ALICE_SECRET", "alice-secret-value"},
    {"BOB_SECRET", "bob-secret-value"},
};

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_unique<MasterKey>(MasterKey::Generate(random_));
    path_ = dir_.Path("iam.db");
    Reopen();
  }

  void Reopen() {
    store_.reset();
    base::Result<std::unique_ptr<Store>> store = Store::Open(path_, {});
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    store_ = *std::move(store);
  }

  // The main file after closing (SQLite checkpoints the WAL into it on the last close).
  std::string ClosedBytes() {
    store_.reset();
    std::string bytes = ReadAll(path_);
    Reopen();
    return bytes;
  }

  base::Result<DesiredRecords> Desired(const std::string& toml,
                                       std::map<std::string, std::string> env = kEnv) {
    ConfigLoad load = LoadConfig(Tree({{"main.toml", toml}}));
    if (!load.ok()) return base::InvalidArgument(FormatErrors(load.errors));
    StandardSecretResolver resolver = testing::MapResolver(std::move(env));
    return BuildDesiredRecords(load.state, resolver, *key_);
  }

  base::Result<ApplyResult> ApplyToml(const std::string& toml, ApplyOptions options = {}) {
    COFFER_ASSIGN_OR_RETURN(DesiredRecords desired, Desired(toml));
    if (options.revision.id.empty()) options.revision.id = "rev-" + std::to_string(++revisions_);
    options.now = base::WallTime(std::chrono::seconds(1'700'000'000 + revisions_));
    return Apply(*store_, desired, *key_, random_, options);
  }

  TestRandom random_;
  std::unique_ptr<MasterKey> key_;
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  int revisions_ = 0;
};

TEST_F(ApplyTest, OpenCreatesSchemaInWalMode) {
  EXPECT_EQ(store_->schema_version(), 1);
  base::Result<ReconcileStatus> status = store_->ReadStatus();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->condition, Condition::kUnknown);
  EXPECT_EQ(status->generation, 0u);
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(ApplyTest, OpenRejectsAFileThatIsNotADatabase) {
  std::string bad = dir_.Path("bad.db");
  std::ofstream(bad) << std::string(8192, 'x');
  base::Result<std::unique_ptr<Store>> store = Store::Open(bad, {});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(ReadAll(bad), std::string(8192, 'x'));
}

TEST_F(ApplyTest, ApplyIntoEmptyStoreCreatesEverything) {
  base::Result<ApplyResult> r = ApplyToml(kBase);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->plan.Count(ChangeAction::kCreate), 6u);
  EXPECT_EQ(r->generation, 1u);
  base::Result<StoreCounts> counts = store_->Counts();
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->users, 3);
  EXPECT_EQ(counts->groups, 1);
  EXPECT_EQ(counts->policies, 1);
  EXPECT_EQ(counts->buckets, 1);
  EXPECT_EQ(counts->outbox, 6);
  base::Result<ReconcileStatus> status = store_->ReadStatus();
  EXPECT_EQ(status->condition, Condition::kReady);
  EXPECT_EQ(status->last_applied.id, "rev-1");
}

TEST_F(ApplyTest, SecondApplyChangesNothingAndPlanIsEmpty) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  base::Result<DesiredRecords> desired = Desired(kBase);
  ASSERT_TRUE(desired.has_value());
  base::Result<Plan> plan = PlanChanges(*store_, *desired);
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->empty()) << RenderPlanText(*plan);
  base::Result<ApplyResult> again = ApplyToml(kBase);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->plan.empty());
  EXPECT_EQ(again->generation, 1u);
}

TEST_F(ApplyTest, OutboxRedactsSecrets) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  base::Result<std::vector<OutboxRecord>> outbox = store_->ReadOutbox(0, 100);
  ASSERT_TRUE(outbox.has_value());
  ASSERT_EQ(outbox->size(), 6u);
  for (const OutboxRecord& r : *outbox) {
    EXPECT_EQ(r.revision, "rev-1");
    EXPECT_EQ(r.new_value.find("secret-value"), std::string::npos);
  }
  ASSERT_TRUE(store_->AckOutbox(outbox->back().seq).has_value());
  EXPECT_EQ(store_->Counts()->outbox, 0);
}

TEST_F(ApplyTest, SecretsAreEncryptedAtRest) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  store_.reset();
  std::string bytes = ReadAll(path_) + ReadAll(path_ + "-wal");
  EXPECT_EQ(bytes.find("alice-secret-value"), std::string::npos);
  Reopen();
}

TEST_F(ApplyTest, UpdateShowsOnlyChangedFields) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::string changed = std::string(kBase) + "\n";
  changed.replace(changed.find("versioning = true"), 17, "versioning = false");
  base::Result<ApplyResult> r = ApplyToml(changed);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->plan.changes.size(), 1u);
  const Change& c = r->plan.changes[0];
  EXPECT_EQ(c.action, ChangeAction::kUpdate);
  EXPECT_EQ(c.kind, "bucket");
  ASSERT_EQ(c.fields.size(), 1u);
  EXPECT_EQ(c.fields[0].field, "versioning");
  EXPECT_EQ(RenderPlanText(r->plan),
            "~ bucket photos\n    versioning: true -> false\n"
            "Plan: 0 to create, 1 to update, 0 to delete.\n");
}

TEST_F(ApplyTest, ChangedSecretIsSensitiveInPlan) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::map<std::string, std::string> env = kEnv;
  env["BOB_SECRET"] = "rotated-secret";
  base::Result<DesiredRecords> desired = Desired(kBase, env);
  ASSERT_TRUE(desired.has_value());
  base::Result<Plan> plan = PlanChanges(*store_, *desired);
  ASSERT_TRUE(plan.has_value());
  std::string text = RenderPlanText(*plan), json = RenderPlanJson(*plan);
  EXPECT_NE(text.find("~ user bob\n    secret: (sensitive) -> (sensitive)"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("rotated"), std::string::npos);
  EXPECT_EQ(json.find("rotated"), std::string::npos);
  EXPECT_NE(json.find("\"sensitive\":true"), std::string::npos) << json;
}

TEST_F(ApplyTest, OutOfBandChangeIsDriftAndApplyRevertsIt) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  ASSERT_TRUE(store_
                  ->ExecForTest("UPDATE users SET enabled = 0 WHERE name = 'alice';"
                                "DELETE FROM user_policies WHERE user_name = 'bob';")
                  .has_value());
  base::Result<DesiredRecords> desired = Desired(kBase);
  base::Result<Plan> plan = PlanChanges(*store_, *desired);
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->changes.size(), 2u) << RenderPlanText(*plan);
  EXPECT_TRUE(plan->changes[0].drift);
  EXPECT_NE(RenderPlanText(*plan).find("~ user alice (drift"), std::string::npos);
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  plan = PlanChanges(*store_, *desired);
  EXPECT_TRUE(plan->empty()) << RenderPlanText(*plan);
}

TEST_F(ApplyTest, LockoutGuardRefusesAndLeavesStoreUntouched) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::string before = ClosedBytes();
  std::string no_admin = kBase;
  no_admin.replace(no_admin.find("[\"consoleAdmin\"]"), 16, "[\"readonly\"]");
  base::Result<ApplyResult> r = ApplyToml(no_admin);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("--allow-lockout"), std::string::npos);
  EXPECT_EQ(ClosedBytes(), before);
  ApplyOptions options;
  options.allow_lockout = true;
  EXPECT_TRUE(ApplyToml(no_admin, options).has_value());
}

TEST_F(ApplyTest, PruneGuardRefusesDeletingMoreThanHalfTheUsers) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::string before = ClosedBytes();
  std::string pruned = kBase;
  std::size_t alice = pruned.find("[users.alice]");
  pruned.erase(alice, pruned.find("[groups.devs]") - alice);
  pruned.replace(pruned.find("[groups.devs]"), 13, "[groups.devs]\nenabled = true");
  base::Result<ApplyResult> r = ApplyToml(pruned);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("--allow-prune"), std::string::npos) << r.error().message();
  EXPECT_EQ(ClosedBytes(), before);
  ApplyOptions options;
  options.allow_prune = true;
  base::Result<ApplyResult> ok = ApplyToml(pruned, options);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->plan.Deletes("user"), 2u);
}

TEST_F(ApplyTest, InjectedFailureRollsBackEverything) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::string before = ClosedBytes();
  std::string changed =
      std::string(kBase) + "\n[buckets.logs]\n[users.carol]\nsecret = \"env:ROOT_SECRET\"\n";
  changed.replace(changed.find("versioning = true"), 17, "versioning = false");
  store_->FailApplyAfterChangesForTest(2);
  base::Result<ApplyResult> r = ApplyToml(changed);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kAborted);
  EXPECT_EQ(ClosedBytes(), before);
}

TEST_F(ApplyTest, MissingEnvironmentSecretIsReportedWithItsLocation) {
  std::map<std::string, std::string> env = kEnv;
  env.erase("BOB_SECRET");
  base::Result<DesiredRecords> desired = Desired(kBase, env);
  ASSERT_FALSE(desired.has_value());
  EXPECT_NE(desired.error().message().find("main.toml:11:10: user.bob.secret: env:BOB_SECRET is "
                                           "not set"),
            std::string::npos)
      << desired.error().message();
}

TEST_F(ApplyTest, RuntimeRowsAreNeverTouched) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  RuntimeCredential sa{"svc-ak-1", "bob", base::Secret("svc-secret"), "", true, std::nullopt};
  ASSERT_TRUE(store_->PutServiceAccount(sa, *key_, random_, base::WallTime{}).has_value());
  ASSERT_TRUE(
      store_->ExecForTest("INSERT INTO policies VALUES ('runtime-p', 'runtime', '{}', '', 0);")
          .has_value());
  ApplyOptions options;
  options.allow_prune = true;
  std::string without_bob = kBase;
  std::size_t bob = without_bob.find("[users.bob]");
  without_bob.erase(bob, without_bob.find("[groups.devs]") - bob);
  ASSERT_TRUE(ApplyToml(without_bob, options).has_value());
  base::Result<StoreCounts> counts = store_->Counts();
  EXPECT_EQ(counts->service_accounts, 1);
  std::string conflicting = std::string(kBase) + R"(
[policies.runtime-p]
json = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "s3:GetObject", "Resource": "*"}]}'''
)";
  std::string before = ClosedBytes();
  base::Result<ApplyResult> r = ApplyToml(conflicting);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("owned by the appliance"), std::string::npos);
  EXPECT_EQ(ClosedBytes(), before);
}

TEST_F(ApplyTest, DeletingAPolicyAndItsAttachmentsTogether) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::string without = kBase;
  std::size_t p = without.find("[policies.photos-rw]");
  without.erase(p, without.find("[buckets.photos]") - p);
  without.replace(without.find("policies = [\"photos-rw\"]"), 24, "");
  ApplyOptions options;
  options.allow_prune = true;
  base::Result<ApplyResult> r = ApplyToml(without, options);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->plan.Deletes("policy"), 1u);
  EXPECT_TRUE(PlanChanges(*store_, *Desired(without))->empty());
}

}  // namespace
}  // namespace coffer::state

namespace coffer::state {
namespace {

// Every kind of bad input, pushed through the whole reconcile path (load, resolve, apply),
// fails without changing one byte of the store.
TEST_F(ApplyTest, BadInputNeverChangesTheStore) {
  ASSERT_TRUE(ApplyToml(kBase).has_value());
  std::string before = ClosedBytes();
  auto reconcile = [&](const ConfigTree& tree,
                       std::map<std::string, std::string> env) -> base::Status {
    ConfigLoad load = LoadConfig(tree);
    if (!load.ok()) return base::InvalidArgument(FormatErrors(load.errors));
    StandardSecretResolver resolver = testing::MapResolver(std::move(env));
    COFFER_ASSIGN_OR_RETURN(DesiredRecords desired,
                            BuildDesiredRecords(load.state, resolver, *key_));
    ApplyOptions options;
    options.revision.id = "bad";
    COFFER_RETURN_IF_ERROR(Apply(*store_, desired, *key_, random_, options));
    return base::Ok();
  };
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(COFFER_SOURCE_DIR) +
                                                               "/fixtures/config/bad")) {
    base::Result<ConfigTree> tree = ReadConfigDir(entry.path().string());
    ASSERT_TRUE(tree.has_value());
    EXPECT_FALSE(reconcile(*tree, kEnv).has_value()) << entry.path();
    ++cases;
  }
  std::map<std::string, std::string> missing = kEnv;
  missing.erase("ALICE_SECRET");
  EXPECT_FALSE(reconcile(Tree({{"main.toml", kBase}}), missing).has_value());
  std::string sealed_elsewhere = std::string(kBase) +
                                 "[users.sealed]\nsecret = \"sealed:"
                                 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"\n";
  EXPECT_FALSE(reconcile(Tree({{"main.toml", sealed_elsewhere}}), kEnv).has_value());
  EXPECT_GE(cases, 9);
  EXPECT_EQ(ClosedBytes(), before);
}

}  // namespace
}  // namespace coffer::state
