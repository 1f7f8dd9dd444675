// Key rotation over a real erasure set (in-memory drives): RewrapObjects
// re-seals SSE-S3/SSE-KMS data keys under the newest key version, leaves
// SSE-C and plain objects alone, and every object still decrypts.

#include "coffer/core/sse/rewrap.h"

#include <gtest/gtest.h>

#include "coffer/core/sse/stream.h"

#include "../storage/mem_env.h"
#include "fake_key_service.h"

namespace coffer::core::sse {
namespace {

using storage::ErasureSet;

class Rewrap : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::ErasureSetOptions options;
    for (int i = 0; i < 4; ++i) options.drive_locations.push_back("d" + std::to_string(i));
    set_ = std::move(ErasureSet::Open(env_, options)).value();
    engine_ = std::move(Engine::Create(env_.random().LibCtx())).value();
    ASSERT_TRUE(keys_.CreateKey("coffer-sse-s3").has_value());
    ASSERT_TRUE(keys_.CreateKey("tenant").has_value());
    ASSERT_TRUE(set_->MakeBucket("bkt1").has_value());
    ASSERT_TRUE(set_->MakeBucket("bkt2").has_value());
  }

  // Stores `plaintext` as bucket/key sealed by `request`.
  void Put(std::string_view bucket, std::string_view key, const SealRequest& request,
           const std::string& plaintext) {
    auto sealed = engine_->Seal(request, bucket, key, keys_, env_.random());
    ASSERT_TRUE(sealed.has_value()) << sealed.error().ToString();
    storage::StringSource body(plaintext);
    auto source = EncryptingSource::Create(*engine_, sealed->key, sealed->metadata.algorithm, 0,
                                           body, env_.random());
    ASSERT_TRUE(source.has_value());
    storage::PutOptions options;
    options.encryption = SerializeMetadata(sealed->metadata);
    ASSERT_TRUE(set_->PutObject(bucket, key, **source, options).has_value());
  }

  Metadata Record(std::string_view bucket, std::string_view key) {
    auto info = set_->StatObject(bucket, key, "");
    return std::move(ParseMetadata(info->encryption)).value();
  }

  std::string Get(std::string_view bucket, std::string_view key, const base::Secret* ssec) {
    auto info = set_->StatObject(bucket, key, "");
    const Metadata m = std::move(ParseMetadata(info->encryption)).value();
    auto object_key = engine_->Open(m, bucket, key, keys_, ssec);
    if (!object_key.has_value()) return "open failed: " + object_key.error().ToString();
    auto layout = std::move(ObjectLayout::FromObjectInfo(*info)).value();
    auto plan = std::move(PlanRange(layout, 0, std::nullopt)).value();
    storage::StringSink out;
    auto sink =
        std::move(DecryptingSink::Create(*engine_, *object_key, m.algorithm, layout, plan, out))
            .value();
    storage::GetOptions options;
    options.offset = plan.ciphertext_offset;
    options.length = plan.ciphertext_length;
    if (!set_->GetObject(bucket, key, options, *sink).has_value()) return "get failed";
    if (!sink->Finish().has_value()) return "finish failed";
    return out.data();
  }

  storage::testing::MemEnv env_;
  testing::FakeKeyService keys_{env_.random()};
  std::unique_ptr<ErasureSet> set_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(Rewrap, ResealsUnderTheNewestVersionAndDataStillDecrypts) {
  const base::Secret customer(std::string(32, 'k'));
  Put("bkt1", "s3", {.mode = Mode::kSseS3, .key_name = "coffer-sse-s3"}, "plain s3");
  Put("bkt1", "kms", {.mode = Mode::kSseKms, .key_name = "tenant", .context = R"({"p":"q"})"},
      std::string(300000, 'x'));
  Put("bkt1", "ssec", {.mode = Mode::kSseC, .customer_key = &customer}, "plain c");
  Put("bkt2", "s3", {.mode = Mode::kSseS3, .key_name = "coffer-sse-s3"}, "other bucket");
  storage::StringSource plain_body("unencrypted");
  ASSERT_TRUE(set_->PutObject("bkt1", "plain", plain_body, {}).has_value());
  const Metadata ssec_before = Record("bkt1", "ssec");

  ASSERT_TRUE(keys_.RotateKey("coffer-sse-s3").has_value());
  ASSERT_TRUE(keys_.RotateKey("tenant").has_value());

  // One bucket only.
  auto report = RewrapObjects(*set_, *engine_, keys_, "bkt2");
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report->rewrapped, 1u);
  EXPECT_EQ(testing::FakeKeyService::VersionOf(Record("bkt2", "s3").data_key_ciphertext), 2u);
  EXPECT_EQ(testing::FakeKeyService::VersionOf(Record("bkt1", "s3").data_key_ciphertext), 1u);

  report = RewrapObjects(*set_, *engine_, keys_, "");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->versions, 5u);
  EXPECT_EQ(report->encrypted, 4u);
  EXPECT_EQ(report->rewrapped, 3u);  // bkt2/s3 again (already newest: harmless).
  EXPECT_EQ(report->skipped, 1u);    // SSE-C.
  EXPECT_TRUE(report->failures.empty());
  EXPECT_EQ(testing::FakeKeyService::VersionOf(Record("bkt1", "s3").data_key_ciphertext), 2u);
  EXPECT_EQ(testing::FakeKeyService::VersionOf(Record("bkt1", "kms").data_key_ciphertext), 2u);
  EXPECT_EQ(Record("bkt1", "ssec"), ssec_before);

  EXPECT_EQ(Get("bkt1", "s3", nullptr), "plain s3");
  EXPECT_EQ(Get("bkt1", "kms", nullptr), std::string(300000, 'x'));
  EXPECT_EQ(Get("bkt1", "ssec", &customer), "plain c");
  EXPECT_EQ(Get("bkt2", "s3", nullptr), "other bucket");
}

TEST_F(Rewrap, KeyServiceDownIsReportedPerObjectAndChangesNothing) {
  Put("bkt1", "s3", {.mode = Mode::kSseS3, .key_name = "coffer-sse-s3"}, "x");
  const Metadata before = Record("bkt1", "s3");
  keys_.down = true;
  auto report = RewrapObjects(*set_, *engine_, keys_, "bkt1");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->rewrapped, 0u);
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_NE(report->failures[0].find("bkt1/s3"), std::string::npos);
  EXPECT_EQ(Record("bkt1", "s3"), before);
  EXPECT_FALSE(RewrapObjects(*set_, *engine_, keys_, "nobucket").has_value());
}

TEST_F(Rewrap, UpdateObjectEncryptionRefusesAStaleRecord) {
  Put("bkt1", "s3", {.mode = Mode::kSseS3, .key_name = "coffer-sse-s3"}, "x");
  auto info = set_->StatObject("bkt1", "s3", "");
  auto updated =
      set_->UpdateObjectEncryption("bkt1", "s3", info->version_id, "stale", info->encryption);
  ASSERT_FALSE(updated.has_value());
  EXPECT_EQ(updated.error().code(), base::ErrorCode::kAborted);
}

}  // namespace
}  // namespace coffer::core::sse
