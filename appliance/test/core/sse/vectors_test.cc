// The package format and the metadata record against a second, independent
// implementation (make_fuzz_seeds.py, Python's `cryptography`): the seed
// corpora it writes must decrypt and parse here.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "coffer/core/sse/metadata.h"

#include "test_util.h"

namespace coffer::core::sse {
namespace {

std::string ReadFixture(const std::string& path) {
  std::ifstream in(std::string(COFFER_SOURCE_DIR) + "/fixtures/fuzz/" + path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ObjectKey SeedKey() {
  std::string key(32, '\0');
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(i);
  return ObjectKey(base::Secret(std::move(key)));
}

TEST(SseVectors, PythonStreamsDecrypt) {
  testing::Fixture f;
  struct Case {
    const char* name;
    std::size_t size;
    std::uint32_t seed;
    Algorithm algorithm;
    std::uint32_t part;
  };
  for (const Case& c : {Case{"aes-empty", 0, 1, Algorithm::kAes256Gcm, 0},
                        Case{"aes-short", 100, 2, Algorithm::kAes256Gcm, 0},
                        Case{"aes-2pkg", kPackagePlaintextBytes + 10, 3, Algorithm::kAes256Gcm, 0},
                        Case{"chacha-short", 77, 4, Algorithm::kChaCha20Poly1305, 0},
                        Case{"aes-part1", 1000, 5, Algorithm::kAes256Gcm, 1}}) {
    const std::string stored = ReadFixture(std::string("sse-package/") + c.name + ".bin");
    ASSERT_EQ(stored.size(), CiphertextSize(c.size)) << c.name;
    auto layout = c.part == 0 ? ObjectLayout::Single(stored.size())
                              : ObjectLayout::Multipart({{c.part, stored.size()}});
    ASSERT_TRUE(layout.has_value());
    auto plain = f.Decrypt(SeedKey(), c.algorithm, *layout, stored);
    ASSERT_TRUE(plain.has_value()) << c.name << ": " << plain.error().ToString();
    EXPECT_EQ(*plain, testing::Pattern(c.size, c.seed)) << c.name;
  }
}

TEST(SseVectors, PythonRecordsParseAndReserialise) {
  for (const char* name : {"sse-s3", "sse-kms", "sse-c"}) {
    const std::string record = ReadFixture(std::string("sse-metadata/") + name + ".bin");
    auto parsed = ParseMetadata(record);
    ASSERT_TRUE(parsed.has_value()) << name << ": " << parsed.error().ToString();
    EXPECT_EQ(SerializeMetadata(*parsed), record) << name;
  }
}

}  // namespace
}  // namespace coffer::core::sse
