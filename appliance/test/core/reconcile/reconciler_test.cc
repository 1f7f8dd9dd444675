// The reconcile loop against an in-memory config repo: a valid revision is
// applied and served, an invalid one leaves the last good state serving with
// health degraded, a fixed one recovers, and an unchanged repo changes
// nothing.

#include "coffer/core/reconcile/reconciler.h"

#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "../storage/mem_env.h"

namespace coffer::core::reconcile {
namespace {

using storage::testing::MemEnv;

// A repo whose files and commit the test scripts; secrets are a map.
class MemRepo final : public ConfigRepo {
 public:
  std::map<std::string, std::string> files;
  std::string commit = "c1";
  std::map<std::string, std::string> env;
  bool readable = true;

  explicit MemRepo(ossl_lib_ctx_st* libctx) {
    state::SecretSources sources;
    sources.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    sources.read_file = [](const std::string& path) -> base::Result<std::string> {
      return base::NotFound("no file " + path);
    };
    sources.libctx = libctx;
    resolver_.emplace(std::move(sources));
  }

  base::Result<state::ConfigTree> Read() override {
    if (!readable) return base::Unavailable("repo unreadable");
    state::ConfigTree tree;
    for (const auto& [path, text] : files) tree.files[path] = text;
    return tree;
  }
  state::Revision Describe(const state::ConfigTree&) override {
    state::Revision r;
    r.git = true;
    r.id = commit;
    r.author = "Ops <ops@example.com>";
    return r;
  }
  state::SecretResolver& Secrets() override { return *resolver_; }

 private:
  std::optional<state::StandardSecretResolver> resolver_;
};

constexpr const char* kUsers = R"(
[appliance.root]
access_key = "env:ROOT_USER"
secret_key = "env:ROOT_PASSWORD"

[users.alice]
secret = "env:ALICE_SECRET"
policies = ["readwrite"]
)";

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.env = {{"ROOT_USER", "rootadmin"},
                 {"ROOT_PASSWORD", "rootpassword123"},
                 {"ALICE_SECRET", "alicesecret123"},
                 {"BOB_SECRET", "bobsecret12345"}};
    repo_.files["users.toml"] = kUsers;
    auto store = state::Store::Open(":memory:", state::StoreOptions{});
    ASSERT_TRUE(store.has_value()) << store.error().message();
    reconciler_.emplace(repo_, env_, health_, std::move(store).value(),
                        state::MasterKey::Generate(env_.random()));
  }

  bool Knows(std::string_view access_key) {
    auto snapshot = reconciler_->live().Current();
    return snapshot != nullptr && snapshot->FindCredential(access_key) != nullptr;
  }

  MemEnv env_;
  MemRepo repo_{env_.LibCtx()};
  core::Health health_;
  std::optional<Reconciler> reconciler_;
};

TEST_F(ReconcilerTest, NotReadyBeforeTheFirstPass) {
  EXPECT_FALSE(health_.Ready());
  EXPECT_EQ(reconciler_->live().Current(), nullptr);
}

TEST_F(ReconcilerTest, AppliesAValidRevisionAndServesIt) {
  PassResult pass = reconciler_->Pass();
  ASSERT_TRUE(pass.applied) << pass.error;
  EXPECT_GT(pass.changes, 0u);
  EXPECT_EQ(pass.revision, "c1 by Ops <ops@example.com>");
  EXPECT_TRUE(health_.Ready());
  EXPECT_TRUE(Knows("alice"));
}

TEST_F(ReconcilerTest, ASecondPassOverTheSameRevisionChangesNothing) {
  ASSERT_TRUE(reconciler_->Pass().applied);
  const auto generation = reconciler_->live().Current()->generation();
  PassResult again = reconciler_->Pass();
  EXPECT_TRUE(again.applied);
  EXPECT_EQ(again.changes, 0u);
  // The snapshot is rebuilt (a pass always swaps), but holds the same principals.
  EXPECT_GE(reconciler_->live().Current()->generation(), generation);
  EXPECT_TRUE(Knows("alice"));
}

TEST_F(ReconcilerTest, AnInvalidRevisionKeepsTheLastGoodStateAndDegradesHealth) {
  ASSERT_TRUE(reconciler_->Pass().applied);
  repo_.commit = "c2";
  repo_.files["users.toml"] = std::string(kUsers) + "\n[users.bob]\nsecret = \"env:BOB_SECRET\"\n" +
                              "polices = [\"readonly\"]\n";  // A typo: unknown key.
  PassResult pass = reconciler_->Pass();
  EXPECT_FALSE(pass.applied);
  EXPECT_NE(pass.error.find("users.toml:"), std::string::npos) << pass.error;
  EXPECT_FALSE(health_.Ready());
  EXPECT_TRUE(Knows("alice"));
  EXPECT_FALSE(Knows("bob"));

  repo_.commit = "c3";
  repo_.files["users.toml"] =
      std::string(kUsers) +
      "\n[users.bob]\nsecret = \"env:BOB_SECRET\"\npolicies = [\"readonly\"]\n";
  PassResult fixed = reconciler_->Pass();
  EXPECT_TRUE(fixed.applied) << fixed.error;
  EXPECT_TRUE(health_.Ready());
  EXPECT_TRUE(Knows("bob"));
}

TEST_F(ReconcilerTest, AnUnresolvableSecretIsNotAppliedAndNamesTheReferenceNotASecret) {
  ASSERT_TRUE(reconciler_->Pass().applied);
  repo_.files["users.toml"] =
      std::string(kUsers) + "\n[users.carol]\nsecret = \"env:CAROL_SECRET\"\n";
  PassResult pass = reconciler_->Pass();
  EXPECT_FALSE(pass.applied);
  EXPECT_NE(pass.error.find("CAROL_SECRET"), std::string::npos) << pass.error;
  EXPECT_EQ(pass.error.find("alicesecret123"), std::string::npos);
  EXPECT_FALSE(Knows("carol"));
  EXPECT_TRUE(Knows("alice"));
}

TEST_F(ReconcilerTest, AnUnreadableRepoKeepsServing) {
  ASSERT_TRUE(reconciler_->Pass().applied);
  repo_.readable = false;
  PassResult pass = reconciler_->Pass();
  EXPECT_FALSE(pass.applied);
  EXPECT_NE(pass.error.find("unreadable"), std::string::npos);
  EXPECT_FALSE(health_.Ready());
  EXPECT_TRUE(Knows("alice"));
}

TEST_F(ReconcilerTest, AppliedChangesReachTheAuditOutboxOnce) {
  ASSERT_TRUE(reconciler_->Pass().applied);
  std::size_t seen = 0;
  bool alice_seen = false;
  auto drained = reconciler_->DrainAuditOutbox([&](const state::OutboxRecord& r) {
    ++seen;
    if (r.kind == "user" && r.name == "alice") alice_seen = true;
    EXPECT_EQ(r.new_value.find("alicesecret123"), std::string::npos);
    return base::Ok();
  });
  ASSERT_TRUE(drained.has_value());
  EXPECT_EQ(*drained, seen);
  EXPECT_GT(seen, 0u);
  EXPECT_TRUE(alice_seen);
  auto again = reconciler_->DrainAuditOutbox([](const state::OutboxRecord&) { return base::Ok(); });
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0u);
}

}  // namespace
}  // namespace coffer::core::reconcile
