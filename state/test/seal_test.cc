#include "coffer/state/seal.h"

#include <gtest/gtest.h>

#include "coffer/state/crypto.h"
#include "coffer/state/secrets.h"

#include "test_util.h"

namespace coffer::state {
namespace {

using testing::TestRandom;

TEST(Seal, RoundTripsWithTheMatchingPrivateKey) {
  TestRandom random;
  base::Result<SealKeyPair> pair = GenerateSealKeyPair(random);
  ASSERT_TRUE(pair.has_value());
  base::Result<std::string> sealed = Seal("s3cr3t-value", pair->public_key, random);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_TRUE(sealed->starts_with("sealed:"));
  EXPECT_EQ(sealed->find("s3cr3t"), std::string::npos);
  EXPECT_TRUE(ParseSecretRef(*sealed).has_value());
  base::Result<base::Secret> plain = Unseal(*sealed, pair->private_key, random.LibCtx());
  ASSERT_TRUE(plain.has_value()) << plain.error().ToString();
  EXPECT_EQ(plain->Reveal(), "s3cr3t-value");
}

TEST(Seal, OtherKeysAndTamperingDoNotOpen) {
  TestRandom random;
  SealKeyPair pair = *GenerateSealKeyPair(random);
  SealKeyPair other = *GenerateSealKeyPair(random);
  std::string sealed = *Seal("value", pair.public_key, random);
  base::Result<base::Secret> wrong = Unseal(sealed, other.private_key, random.LibCtx());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), base::ErrorCode::kPermissionDenied);
  std::string raw = *Base64Decode(sealed.substr(7));
  raw[raw.size() - 20] ^= 1;
  std::string tampered = "sealed:" + Base64Encode(raw);
  EXPECT_FALSE(Unseal(tampered, pair.private_key, random.LibCtx()).has_value());
  raw[0] = 9;
  base::Result<base::Secret> version =
      Unseal("sealed:" + Base64Encode(raw), pair.private_key, random.LibCtx());
  ASSERT_FALSE(version.has_value());
  EXPECT_EQ(version.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Unseal("sealed:AAAA", pair.private_key, random.LibCtx()).has_value());
}

TEST(Seal, KeyFilesRoundTrip) {
  TestRandom random;
  SealKeyPair pair = *GenerateSealKeyPair(random);
  std::string pub = EncodeSealPublicKey(pair.public_key) + "\n";
  std::string priv = EncodeSealPrivateKey(pair.private_key);
  EXPECT_EQ(*DecodeSealPublicKey(pub), pair.public_key);
  EXPECT_EQ(DecodeSealPrivateKey(priv)->Reveal(), pair.private_key.Reveal());
  EXPECT_FALSE(DecodeSealPublicKey(priv).has_value());
  EXPECT_FALSE(DecodeSealPrivateKey(pub).has_value());
}

TEST(Seal, ResolverOpensSealedReferences) {
  TestRandom random;
  SealKeyPair pair = *GenerateSealKeyPair(random);
  SecretRef ref = *ParseSecretRef(*Seal("from-the-repo", pair.public_key, random));
  SecretSources sources;
  sources.seal_private_key = pair.private_key;
  sources.libctx = random.LibCtx();
  StandardSecretResolver resolver(sources);
  base::Result<base::Secret> secret = resolver.Resolve(ref);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(secret->Reveal(), "from-the-repo");
  StandardSecretResolver keyless(SecretSources{});
  EXPECT_FALSE(keyless.Resolve(ref).has_value());
}

TEST(MasterKey, EncryptsWithAadAndDetectsTampering) {
  TestRandom random;
  MasterKey key = MasterKey::Generate(random);
  std::string blob = *key.Encrypt("secret", "user/alice", random);
  EXPECT_EQ(key.Decrypt(blob, "user/alice")->Reveal(), "secret");
  base::Result<base::Secret> moved = key.Decrypt(blob, "user/bob");
  ASSERT_FALSE(moved.has_value());
  EXPECT_EQ(moved.error().code(), base::ErrorCode::kDataLoss);
  EXPECT_EQ(key.Digest("ctx", "v"), key.Digest("ctx", "v"));
  EXPECT_NE(key.Digest("ctx", "v"), key.Digest("ctx2", "v"));
  EXPECT_NE(key.Digest("ctx", "v"), MasterKey::Generate(random).Digest("ctx", "v"));
}

TEST(Base64, RoundTrips) {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_FALSE(Base64Decode("abc").has_value());
}

}  // namespace
}  // namespace coffer::state
