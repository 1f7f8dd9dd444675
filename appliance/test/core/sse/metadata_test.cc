#include "coffer/core/sse/metadata.h"

#include <gtest/gtest.h>

namespace coffer::core::sse {
namespace {

Metadata KmsRecord() {
  Metadata m;
  m.mode = Mode::kSseKms;
  m.algorithm = Algorithm::kChaCha20Poly1305;
  m.key_name = "tenant-key";
  m.data_key_ciphertext = std::string(60, 'c');
  m.sealed_object_key = std::string(kSealedObjectKeyBytes, 's');
  m.context = R"({"project":"x"})";
  m.plaintext_etag = "0123456789abcdef0123456789abcdef";
  m.plaintext_bytes = 123456789;
  return m;
}

Metadata SseCRecord() {
  Metadata m;
  m.mode = Mode::kSseC;
  m.sealed_object_key = std::string(kSealedObjectKeyBytes, '\0');
  m.customer_key_salt = std::string(kCustomerKeySaltBytes, '\x01');
  m.customer_key_hmac = std::string(kCustomerKeyHmacBytes, '\xff');
  return m;
}

TEST(Metadata, RoundTrips) {
  for (const Metadata& m : {KmsRecord(), SseCRecord()}) {
    const std::string record = SerializeMetadata(m);
    EXPECT_TRUE(IsSseRecord(record));
    auto back = ParseMetadata(record);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_EQ(*back, m);
  }
}

TEST(Metadata, EveryTruncationIsDataLoss) {
  const std::string record = SerializeMetadata(KmsRecord());
  for (std::size_t n = 0; n < record.size(); ++n) {
    auto parsed = ParseMetadata(record.substr(0, n));
    ASSERT_FALSE(parsed.has_value()) << n;
    EXPECT_EQ(parsed.error().code(), base::ErrorCode::kDataLoss);
  }
}

TEST(Metadata, TrailingBytesAndUnknownValuesAreDataLoss) {
  const std::string record = SerializeMetadata(SseCRecord());
  EXPECT_FALSE(ParseMetadata(record + "x").has_value());
  std::string bad = record;
  bad[3] = 2;  // Version.
  EXPECT_FALSE(ParseMetadata(bad).has_value());
  bad = record;
  bad[4] = 9;  // Mode.
  EXPECT_FALSE(ParseMetadata(bad).has_value());
  bad = record;
  bad[5] = 0;  // Algorithm.
  EXPECT_FALSE(ParseMetadata(bad).has_value());
  bad = record;
  bad[6] = 4;  // Flags.
  EXPECT_FALSE(ParseMetadata(bad).has_value());
  // An SSE-C record relabelled as SSE-S3 breaks the per-mode rules.
  bad = record;
  bad[4] = static_cast<char>(Mode::kSseS3);
  EXPECT_EQ(ParseMetadata(bad).error().code(), base::ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::core::sse
