#include "coffer/core/sse/engine.h"

#include <gtest/gtest.h>

#include "coffer/core/auth/s3_errors.h"

#include "test_util.h"

namespace coffer::core::sse {
namespace {

using testing::Fixture;
using testing::kKmsKey;
using testing::kS3Key;

std::optional<auth::S3ErrorCode> S3Code(const base::Error& e) { return auth::S3ErrorCodeOf(e); }

TEST(Engine, SseS3SealsAndOpensTheSameKey) {
  Fixture f;
  auto sealed = f.engine->Seal({.mode = Mode::kSseS3, .key_name = kS3Key}, "bkt1", "a/b.txt",
                               f.keys, f.random);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().ToString();
  EXPECT_EQ(sealed->metadata.key_name, kS3Key);
  EXPECT_EQ(f.keys.contexts.back(), R"({"aws:s3:arn":"arn:aws:s3:::bkt1/a/b.txt"})");
  auto record = ParseMetadata(SerializeMetadata(sealed->metadata));
  ASSERT_TRUE(record.has_value());
  auto key = f.engine->Open(*record, "bkt1", "a/b.txt", f.keys, nullptr);
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
  EXPECT_TRUE(key->secret().EqualsConstantTime(sealed->key.secret().Reveal()));
}

TEST(Engine, SealedKeyMovedToAnotherObjectDoesNotOpen) {
  Fixture f;
  for (Mode mode : {Mode::kSseS3, Mode::kSseKms}) {
    auto sealed =
        f.engine->Seal({.mode = mode, .key_name = mode == Mode::kSseS3 ? kS3Key : kKmsKey}, "bkt1",
                       "one", f.keys, f.random);
    ASSERT_TRUE(sealed.has_value());
    for (auto [bucket, object] :
         {std::pair{"bkt1", "two"}, std::pair{"bkt2", "one"}, std::pair{"bkt1", "one "}}) {
      auto moved = f.engine->Open(sealed->metadata, bucket, object, f.keys, nullptr);
      ASSERT_FALSE(moved.has_value());
      EXPECT_EQ(moved.error().code(), base::ErrorCode::kDataLoss);
    }
  }
}

TEST(Engine, SealedKeySwappedBetweenObjectsDoesNotOpen) {
  Fixture f;
  auto one =
      f.engine->Seal({.mode = Mode::kSseS3, .key_name = kS3Key}, "bkt1", "one", f.keys, f.random);
  auto two =
      f.engine->Seal({.mode = Mode::kSseS3, .key_name = kS3Key}, "bkt1", "two", f.keys, f.random);
  ASSERT_TRUE(one.has_value());
  ASSERT_TRUE(two.has_value());
  // Only the sealed key swapped: the data key opens, the sealed key does not.
  Metadata swapped = two->metadata;
  swapped.sealed_object_key = one->metadata.sealed_object_key;
  auto opened = f.engine->Open(swapped, "bkt1", "two", f.keys, nullptr);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), base::ErrorCode::kDataLoss);
}

TEST(Engine, SseKmsBindsTheClientContext) {
  Fixture f;
  auto sealed = f.engine->Seal(
      {.mode = Mode::kSseKms, .key_name = kKmsKey, .context = R"({ "b":"2", "a":"1" })"}, "bkt1",
      "obj", f.keys, f.random);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().ToString();
  EXPECT_EQ(sealed->metadata.context, R"({"a":"1","b":"2"})");
  EXPECT_EQ(f.keys.contexts.back(), R"({"a":"1","aws:s3:arn":"arn:aws:s3:::bkt1/obj","b":"2"})");
  Metadata changed = sealed->metadata;
  changed.context = R"({"a":"1","b":"3"})";
  EXPECT_EQ(f.engine->Open(changed, "bkt1", "obj", f.keys, nullptr).error().code(),
            base::ErrorCode::kDataLoss);
  EXPECT_TRUE(f.engine->Open(sealed->metadata, "bkt1", "obj", f.keys, nullptr).has_value());
}

TEST(Engine, BadContextsAreInvalidArgument) {
  Fixture f;
  for (std::string_view context :
       {"[1]", "{\"a\":1}", "not json", R"({"aws:s3:arn":"arn:aws:s3:::other/obj"})"}) {
    auto sealed = f.engine->Seal({.mode = Mode::kSseKms, .key_name = kKmsKey, .context = context},
                                 "bkt1", "obj", f.keys, f.random);
    ASSERT_FALSE(sealed.has_value()) << context;
    EXPECT_EQ(S3Code(sealed.error()), auth::S3ErrorCode::kInvalidArgument);
  }
}

TEST(Engine, KeyServiceFailuresMapToS3Errors) {
  Fixture f;
  auto unknown =
      f.engine->Seal({.mode = Mode::kSseKms, .key_name = "nope"}, "bkt1", "o", f.keys, f.random);
  EXPECT_EQ(S3Code(unknown.error()), auth::S3ErrorCode::kKmsNotFoundException);
  f.keys.down = true;
  auto down =
      f.engine->Seal({.mode = Mode::kSseS3, .key_name = kS3Key}, "bkt1", "o", f.keys, f.random);
  EXPECT_EQ(S3Code(down.error()), auth::S3ErrorCode::kServiceUnavailable);
  EXPECT_EQ(auth::S3ErrorInfoFor(*S3Code(down.error())).http_status, 503);
  f.keys.down = false;
  f.keys.denied = true;
  auto denied =
      f.engine->Seal({.mode = Mode::kSseS3, .key_name = kS3Key}, "bkt1", "o", f.keys, f.random);
  EXPECT_EQ(S3Code(denied.error()), auth::S3ErrorCode::kAccessDenied);
}

TEST(Engine, SseCNeedsTheRightKey) {
  Fixture f;
  const base::Secret key(f.random.Bytes(32));
  const base::Secret other(f.random.Bytes(32));
  auto sealed =
      f.engine->Seal({.mode = Mode::kSseC, .customer_key = &key}, "bkt1", "o", f.keys, f.random);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().ToString();
  EXPECT_EQ(f.keys.calls, 2);  // Only the fixture's CreateKey calls: SSE-C never asks.
  const std::string record = SerializeMetadata(sealed->metadata);
  EXPECT_EQ(record.find(key.Reveal()), std::string::npos);
  EXPECT_EQ(record.find(sealed->key.secret().Reveal()), std::string::npos);

  EXPECT_TRUE(f.engine->Open(sealed->metadata, "bkt1", "o", f.keys, &key).has_value());
  auto wrong = f.engine->Open(sealed->metadata, "bkt1", "o", f.keys, &other);
  EXPECT_EQ(S3Code(wrong.error()), auth::S3ErrorCode::kAccessDenied);
  auto missing = f.engine->Open(sealed->metadata, "bkt1", "o", f.keys, nullptr);
  EXPECT_EQ(S3Code(missing.error()), auth::S3ErrorCode::kInvalidRequest);
  // Right key, wrong object: the key check passes but the sealed key does not open.
  auto moved = f.engine->Open(sealed->metadata, "bkt1", "p", f.keys, &key);
  EXPECT_EQ(moved.error().code(), base::ErrorCode::kDataLoss);
  const base::Secret short_key("0123");
  EXPECT_FALSE(
      f.engine
          ->Seal({.mode = Mode::kSseC, .customer_key = &short_key}, "bkt1", "o", f.keys, f.random)
          .has_value());
}

TEST(Engine, CustomerKeyOnANonSseCObjectIsInvalidRequest) {
  Fixture f;
  const base::Secret key(f.random.Bytes(32));
  auto sealed =
      f.engine->Seal({.mode = Mode::kSseS3, .key_name = kS3Key}, "bkt1", "o", f.keys, f.random);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(S3Code(f.engine->Open(sealed->metadata, "bkt1", "o", f.keys, &key).error()),
            auth::S3ErrorCode::kInvalidRequest);
}

TEST(Engine, ResealRotatesTheCustomerKeyAndKeepsTheObjectKey) {
  Fixture f;
  const base::Secret old_key(f.random.Bytes(32));
  const base::Secret new_key(f.random.Bytes(32));
  auto sealed = f.engine->Seal({.mode = Mode::kSseC, .customer_key = &old_key}, "bkt1", "o", f.keys,
                               f.random);
  ASSERT_TRUE(sealed.has_value());
  auto resealed = f.engine->Reseal(sealed->metadata, "bkt1", "o", &old_key,
                                   {.mode = Mode::kSseC, .customer_key = &new_key}, "bkt1", "o",
                                   f.keys, f.random);
  ASSERT_TRUE(resealed.has_value()) << resealed.error().ToString();
  auto opened = f.engine->Open(*resealed, "bkt1", "o", f.keys, &new_key);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->secret().EqualsConstantTime(sealed->key.secret().Reveal()));
  EXPECT_FALSE(f.engine->Open(*resealed, "bkt1", "o", f.keys, &old_key).has_value());

  // SSE-C to SSE-KMS, onto another name.
  auto kms = f.engine->Reseal(*resealed, "bkt1", "o", &new_key,
                              {.mode = Mode::kSseKms, .key_name = kKmsKey}, "bkt2", "copy", f.keys,
                              f.random);
  ASSERT_TRUE(kms.has_value()) << kms.error().ToString();
  EXPECT_EQ(kms->algorithm, sealed->metadata.algorithm);
  opened = f.engine->Open(*kms, "bkt2", "copy", f.keys, nullptr);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->secret().EqualsConstantTime(sealed->key.secret().Reveal()));
}

TEST(Engine, RewrapMovesToTheNewestKeyVersion) {
  Fixture f;
  auto sealed =
      f.engine->Seal({.mode = Mode::kSseKms, .key_name = kKmsKey, .context = R"({"x":"y"})"},
                     "bkt1", "o", f.keys, f.random);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(testing::FakeKeyService::VersionOf(sealed->metadata.data_key_ciphertext), 1u);
  ASSERT_TRUE(f.keys.RotateKey(kKmsKey).has_value());
  auto rewrapped = f.engine->Rewrap(sealed->metadata, "bkt1", "o", f.keys);
  ASSERT_TRUE(rewrapped.has_value()) << rewrapped.error().ToString();
  ASSERT_TRUE(rewrapped->has_value());
  EXPECT_EQ(testing::FakeKeyService::VersionOf((*rewrapped)->data_key_ciphertext), 2u);
  EXPECT_EQ((*rewrapped)->sealed_object_key, sealed->metadata.sealed_object_key);
  auto opened = f.engine->Open(**rewrapped, "bkt1", "o", f.keys, nullptr);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->secret().EqualsConstantTime(sealed->key.secret().Reveal()));
  // Rewrapping under another object's name fails: the context differs.
  EXPECT_FALSE(f.engine->Rewrap(sealed->metadata, "bkt1", "other", f.keys).has_value());

  const base::Secret key(f.random.Bytes(32));
  auto ssec =
      f.engine->Seal({.mode = Mode::kSseC, .customer_key = &key}, "bkt1", "c", f.keys, f.random);
  ASSERT_TRUE(ssec.has_value());
  auto none = f.engine->Rewrap(ssec->metadata, "bkt1", "c", f.keys);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace coffer::core::sse
