#include "coffer/core/kms/local_key_service.h"

#include <string>

#include <gtest/gtest.h>

#include "../storage/mem_env.h"

namespace coffer::core::kms {
namespace {

using storage::testing::MemEnv;

base::Secret RootKey(char fill = 'r') { return base::Secret(std::string(32, fill)); }

std::unique_ptr<LocalKeyService> OpenStore(MemEnv& env, base::Secret root = RootKey()) {
  auto store = LocalKeyService::Open(env, {"kms", std::move(root), "test", "in-process"});
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  return store.has_value() ? std::move(store).value() : nullptr;
}

TEST(LocalKeyService, GeneratedKeyRoundTrips) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("app-key").has_value());
  auto dk = kms->GenerateKey("app-key", "bucket/object");
  ASSERT_TRUE(dk.has_value());
  EXPECT_EQ(dk->plaintext.size(), 32u);
  EXPECT_EQ(dk->ciphertext.find(std::string(dk->plaintext.Reveal())), std::string::npos);
  auto opened = kms->Decrypt("app-key", dk->ciphertext, "bucket/object");
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  EXPECT_EQ(opened->Reveal(), dk->plaintext.Reveal());
  // Two data keys differ.
  auto dk2 = kms->GenerateKey("app-key", "bucket/object");
  ASSERT_TRUE(dk2.has_value());
  EXPECT_NE(dk2->plaintext.Reveal(), dk->plaintext.Reveal());
}

TEST(LocalKeyService, EncryptRoundTripsCallerBytes) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto ct = kms->Encrypt("k", "hello key service", "ctx");
  ASSERT_TRUE(ct.has_value());
  auto pt = kms->Decrypt("k", *ct, "ctx");
  ASSERT_TRUE(pt.has_value());
  EXPECT_EQ(pt->Reveal(), "hello key service");
  EXPECT_EQ(kms->Encrypt("k", std::string(kMaxPlaintextBytes + 1, 'x'), "").error().code(),
            base::ErrorCode::kInvalidArgument);
}

TEST(LocalKeyService, WrongContextIsDataLoss) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto dk = kms->GenerateKey("k", "bucket/a");
  ASSERT_TRUE(dk.has_value());
  EXPECT_EQ(kms->Decrypt("k", dk->ciphertext, "bucket/b").error().code(),
            base::ErrorCode::kDataLoss);
  EXPECT_EQ(kms->Decrypt("k", dk->ciphertext, "").error().code(), base::ErrorCode::kDataLoss);
}

TEST(LocalKeyService, CiphertextOfAnotherKeyIsDataLoss) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("a").has_value());
  ASSERT_TRUE(kms->ImportKey("b", RootKey('x')).has_value());
  auto dk = kms->GenerateKey("a", "c");
  ASSERT_TRUE(dk.has_value());
  EXPECT_EQ(kms->Decrypt("b", dk->ciphertext, "c").error().code(), base::ErrorCode::kDataLoss);
  EXPECT_EQ(kms->Decrypt("nope", dk->ciphertext, "c").error().code(), base::ErrorCode::kNotFound);
}

TEST(LocalKeyService, EveryTamperedByteIsDataLoss) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto dk = kms->GenerateKey("k", "ctx");
  ASSERT_TRUE(dk.has_value());
  for (std::size_t i = 0; i < dk->ciphertext.size(); ++i) {
    std::string bad = dk->ciphertext;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = kms->Decrypt("k", bad, "ctx");
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().code(), base::ErrorCode::kDataLoss) << "byte " << i;
  }
  // Truncated and empty ciphertexts too.
  EXPECT_EQ(
      kms->Decrypt("k", dk->ciphertext.substr(0, dk->ciphertext.size() - 1), "ctx").error().code(),
      base::ErrorCode::kDataLoss);
  EXPECT_EQ(kms->Decrypt("k", "", "ctx").error().code(), base::ErrorCode::kDataLoss);
}

TEST(LocalKeyService, RotatedKeyStillOpensOldCiphertexts) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto old_dk = kms->GenerateKey("k", "ctx");
  ASSERT_TRUE(old_dk.has_value());
  auto rotated = kms->RotateKey("k");
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(rotated->latest_version, 2u);
  auto new_dk = kms->GenerateKey("k", "ctx");
  ASSERT_TRUE(new_dk.has_value());
  EXPECT_EQ(LocalKeyService::CiphertextVersion(old_dk->ciphertext).value(), 1u);
  EXPECT_EQ(LocalKeyService::CiphertextVersion(new_dk->ciphertext).value(), 2u);
  auto opened = kms->Decrypt("k", old_dk->ciphertext, "ctx");
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->Reveal(), old_dk->plaintext.Reveal());
  EXPECT_EQ(kms->RotateKey("missing").error().code(), base::ErrorCode::kNotFound);
}

TEST(LocalKeyService, RewrapYieldsNewestVersionSamePlaintext) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto dk = kms->GenerateKey("k", "ctx");
  ASSERT_TRUE(dk.has_value());
  ASSERT_TRUE(kms->RotateKey("k").has_value());
  ASSERT_TRUE(kms->RotateKey("k").has_value());
  auto rewrapped = kms->Rewrap("k", dk->ciphertext, "ctx");
  ASSERT_TRUE(rewrapped.has_value());
  EXPECT_EQ(LocalKeyService::CiphertextVersion(*rewrapped).value(), 3u);
  EXPECT_EQ(kms->Decrypt("k", *rewrapped, "ctx")->Reveal(), dk->plaintext.Reveal());
  // Rewrap never launders a ciphertext into another context.
  EXPECT_EQ(kms->Rewrap("k", dk->ciphertext, "other").error().code(), base::ErrorCode::kDataLoss);
}

TEST(LocalKeyService, DeletedKeyNeverOpensAgain) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto dk = kms->GenerateKey("k", "ctx");
  ASSERT_TRUE(dk.has_value());
  ASSERT_TRUE(kms->DeleteKey("k").has_value());
  EXPECT_EQ(kms->Decrypt("k", dk->ciphertext, "ctx").error().code(), base::ErrorCode::kNotFound);
  EXPECT_EQ(kms->DeleteKey("k").error().code(), base::ErrorCode::kNotFound);
  // A new key of the same name is new material: the old ciphertext stays shut.
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  EXPECT_EQ(kms->Decrypt("k", dk->ciphertext, "ctx").error().code(), base::ErrorCode::kDataLoss);
  // And after a restart, too.
  kms.reset();
  kms = OpenStore(env);
  EXPECT_EQ(kms->Decrypt("k", dk->ciphertext, "ctx").error().code(), base::ErrorCode::kDataLoss);
}

TEST(LocalKeyService, RestartKeepsKeysAndVersions) {
  MemEnv env;
  std::string ct1;
  std::string ct2;
  {
    auto kms = OpenStore(env);
    ASSERT_TRUE(kms->CreateKey("alpha").has_value());
    ASSERT_TRUE(kms->CreateKey("beta").has_value());
    ct1 = kms->Encrypt("alpha", "one", "c").value();
    ASSERT_TRUE(kms->RotateKey("alpha").has_value());
    ct2 = kms->Encrypt("alpha", "two", "c").value();
  }
  auto kms = OpenStore(env);
  auto keys = kms->ListKeys("*");
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name, "alpha");
  EXPECT_EQ((*keys)[0].latest_version, 2u);
  EXPECT_EQ((*keys)[1].name, "beta");
  EXPECT_EQ(kms->Decrypt("alpha", ct1, "c")->Reveal(), "one");
  EXPECT_EQ(kms->Decrypt("alpha", ct2, "c")->Reveal(), "two");
  EXPECT_EQ(kms->CreateKey("alpha").error().code(), base::ErrorCode::kAlreadyExists);
}

TEST(LocalKeyService, KeyMaterialNeverRestsInTheClear) {
  MemEnv env;
  auto kms = OpenStore(env);
  ASSERT_TRUE(kms->ImportKey("imported", base::Secret(std::string(32, 'Q'))).has_value());
  for (const auto& [path, content] : env.Disk("kms")->files) {
    EXPECT_EQ(content.find(std::string(32, 'Q')), std::string::npos) << path;
    EXPECT_EQ(content.find(std::string(32, 'r')), std::string::npos) << path;  // Root key.
  }
}

TEST(LocalKeyService, WrongRootKeyIsRefusedAtOpen) {
  MemEnv env;
  { auto kms = OpenStore(env); }
  auto wrong = LocalKeyService::Open(env, {"kms", RootKey('w'), "test", "in-process"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), base::ErrorCode::kPermissionDenied);
  auto short_key = LocalKeyService::Open(env, {"kms2", base::Secret("short"), "t", "i"});
  EXPECT_EQ(short_key.error().code(), base::ErrorCode::kInvalidArgument);
}

TEST(LocalKeyService, VersionMovedBetweenKeyFilesDoesNotOpen) {
  MemEnv env;
  {
    auto kms = OpenStore(env);
    ASSERT_TRUE(kms->CreateKey("a").has_value());
    ASSERT_TRUE(kms->CreateKey("b").has_value());
  }
  auto& files = env.Disk("kms")->files;
  std::string a = files["keys/a"];
  std::string b = files["keys/b"];
  // Splice a's sealed version 1 into b's file.
  files["keys/b"] = b.substr(0, b.find("v1=")) + a.substr(a.find("v1="));
  auto reopened = LocalKeyService::Open(env, {"kms", RootKey(), "test", "in-process"});
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().code(), base::ErrorCode::kDataLoss);
}

TEST(LocalKeyService, ListMatchesPatterns) {
  MemEnv env;
  auto kms = OpenStore(env);
  for (const char* n : {"app-1", "app-2", "backup", "zeta"}) {
    ASSERT_TRUE(kms->CreateKey(n).has_value());
  }
  EXPECT_EQ(kms->ListKeys("app-*")->size(), 2u);
  EXPECT_EQ(kms->ListKeys("*")->size(), 4u);
  EXPECT_EQ(kms->ListKeys("zeta")->size(), 1u);
  EXPECT_EQ(kms->ListKeys("none*")->size(), 0u);
  EXPECT_TRUE(KeyNameMatches("a*b?d", "axxbcd"));
  EXPECT_FALSE(KeyNameMatches("a*b?d", "axxbd"));
}

TEST(LocalKeyService, KeyNamesAreSafeFileNames) {
  MemEnv env;
  auto kms = OpenStore(env);
  for (const char* bad : {"", "..", ".hidden", "a/b", "a b", "\xc3\xa9"}) {
    EXPECT_EQ(kms->CreateKey(bad).error().code(), base::ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(kms->CreateKey(std::string(81, 'a')).error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(kms->CreateKey("Ok_name.v-1").has_value());
  auto status = kms->Status();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->ready);
  EXPECT_EQ(status->endpoint, "in-process");
}

// Two stores on one drive stand for `coffer serve` (server) and `coffer kms
// ... --keys` (cli) running at the same time on DATA/kms.
TEST(LocalKeyService, KeyCreatedByAnotherProcessIsSeenAtFirstUse) {
  MemEnv env;
  auto server = OpenStore(env);
  auto cli = OpenStore(env);
  ASSERT_TRUE(cli->CreateKey("late").has_value());
  auto dk = server->GenerateKey("late", "ctx");
  ASSERT_TRUE(dk.has_value()) << dk.error().ToString();
  EXPECT_EQ(cli->Decrypt("late", dk->ciphertext, "ctx")->Reveal(), dk->plaintext.Reveal());
  auto listed = server->ListKeys("*");
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
}

TEST(LocalKeyService, RotationByAnotherProcessOpensAndIsUsedAfterRefresh) {
  MemEnv env;
  auto server = OpenStore(env);
  auto cli = OpenStore(env);
  ASSERT_TRUE(server->CreateKey("k").has_value());
  auto old_dk = server->GenerateKey("k", "ctx");
  ASSERT_TRUE(old_dk.has_value());
  ASSERT_EQ(cli->RotateKey("k")->latest_version, 2u);
  // The cli rewraps under version 2, which the server has not loaded yet.
  auto rewrapped = cli->Rewrap("k", old_dk->ciphertext, "ctx");
  ASSERT_TRUE(rewrapped.has_value());
  EXPECT_EQ(LocalKeyService::CiphertextVersion(*rewrapped).value(), 2u);
  auto opened = server->Decrypt("k", *rewrapped, "ctx");
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  EXPECT_EQ(opened->Reveal(), old_dk->plaintext.Reveal());
  ASSERT_TRUE(server->Refresh().has_value());
  auto fresh = server->GenerateKey("k", "ctx");
  EXPECT_EQ(LocalKeyService::CiphertextVersion(fresh->ciphertext).value(), 2u);
  // A rotation in the server builds on the cli's version 2, never replaces it.
  ASSERT_EQ(server->RotateKey("k")->latest_version, 3u);
  EXPECT_EQ(cli->Decrypt("k", *rewrapped, "ctx")->Reveal(), old_dk->plaintext.Reveal());
}

TEST(LocalKeyService, CreateNeverOverwritesAnotherProcessesKey) {
  MemEnv env;
  auto server = OpenStore(env);
  auto cli = OpenStore(env);
  ASSERT_TRUE(cli->CreateKey("k").has_value());
  auto dk = cli->GenerateKey("k", "ctx");
  ASSERT_TRUE(dk.has_value());
  EXPECT_EQ(server->CreateKey("k").error().code(), base::ErrorCode::kAlreadyExists);
  EXPECT_EQ(cli->Decrypt("k", dk->ciphertext, "ctx")->Reveal(), dk->plaintext.Reveal());
}

TEST(LocalKeyService, DeletionByAnotherProcessIsSeenAfterRefresh) {
  MemEnv env;
  auto server = OpenStore(env);
  auto cli = OpenStore(env);
  ASSERT_TRUE(server->CreateKey("k").has_value());
  auto dk = server->GenerateKey("k", "ctx");
  ASSERT_TRUE(dk.has_value());
  ASSERT_TRUE(cli->DeleteKey("k").has_value());
  ASSERT_TRUE(server->Refresh().has_value());
  EXPECT_EQ(server->Decrypt("k", dk->ciphertext, "ctx").error().code(), base::ErrorCode::kNotFound);
  EXPECT_EQ(server->GenerateKey("k", "ctx").error().code(), base::ErrorCode::kNotFound);
}

TEST(LocalKeyService, PrunedVersionsNeverOpenAndRewrappedOnesDo) {
  MemEnv env;
  auto kms = OpenStore(env);
  auto other = OpenStore(env);  // Another process on the same store.
  ASSERT_TRUE(kms->CreateKey("k").has_value());
  auto old_dk = kms->GenerateKey("k", "ctx");
  ASSERT_TRUE(old_dk.has_value());
  ASSERT_TRUE(kms->RotateKey("k").has_value());
  auto rewrapped = kms->Rewrap("k", old_dk->ciphertext, "ctx");
  ASSERT_TRUE(rewrapped.has_value());
  ASSERT_TRUE(other->Decrypt("k", old_dk->ciphertext, "ctx").has_value());  // Loads v1, v2.
  auto pruned = kms->PruneOldVersions("k");
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->latest_version, 2u);
  EXPECT_EQ(kms->Decrypt("k", old_dk->ciphertext, "ctx").error().code(),
            base::ErrorCode::kDataLoss);
  EXPECT_EQ(kms->Decrypt("k", *rewrapped, "ctx")->Reveal(), old_dk->plaintext.Reveal());
  // The other process forgets version 1 at its next refresh, and a restart
  // never sees it again; numbering goes on from 2.
  ASSERT_TRUE(other->Refresh().has_value());
  EXPECT_EQ(other->Decrypt("k", old_dk->ciphertext, "ctx").error().code(),
            base::ErrorCode::kDataLoss);
  kms.reset();
  kms = OpenStore(env);
  EXPECT_EQ(kms->Decrypt("k", old_dk->ciphertext, "ctx").error().code(),
            base::ErrorCode::kDataLoss);
  EXPECT_EQ(kms->Decrypt("k", *rewrapped, "ctx")->Reveal(), old_dk->plaintext.Reveal());
  EXPECT_EQ(kms->RotateKey("k")->latest_version, 3u);
  EXPECT_EQ(kms->PruneOldVersions("missing").error().code(), base::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace coffer::core::kms
