#include "coffer/core/sse/stream.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace coffer::core::sse {
namespace {

using testing::Fixture;
using testing::Pattern;

constexpr std::uint64_t kP = kPackagePlaintextBytes;

ObjectKey NewKey(Fixture& f) { return ObjectKey(base::Secret(f.random.Bytes(32))); }

ObjectLayout Single(const std::string& stored) {
  return std::move(ObjectLayout::Single(stored.size())).value();
}

// Decrypts the whole object into a sink and checks the rule that matters
// under tampering: an error, and whatever reached the sink is a prefix of
// the true plaintext.
void ExpectRejected(Fixture& f, const ObjectKey& key, Algorithm algorithm,
                    const ObjectLayout& layout, std::string_view stored,
                    std::string_view plaintext) {
  auto plan = PlanRange(layout, 0, std::nullopt);
  if (!plan.has_value()) return;  // The layout itself is refused: fine.
  storage::StringSink out;
  auto sink = DecryptingSink::Create(*f.engine, key, algorithm, layout, *plan, out);
  ASSERT_TRUE(sink.has_value());
  base::Status status = (*sink)->Write(base::AsBytes(stored));
  if (status.has_value()) status = (*sink)->Finish();
  ASSERT_FALSE(status.has_value()) << "tampered data decrypted";
  EXPECT_EQ(status.error().code(), base::ErrorCode::kDataLoss);
  ASSERT_LE(out.data().size(), plaintext.size());
  EXPECT_EQ(out.data(), plaintext.substr(0, out.data().size())) << "wrong bytes emitted";
}

TEST(Stream, RoundTripsEverySizeClassWithBothAlgorithms) {
  Fixture f;
  for (Algorithm algorithm : {Algorithm::kAes256Gcm, Algorithm::kChaCha20Poly1305}) {
    for (std::uint64_t n :
         std::initializer_list<std::uint64_t>{0, 1, 1000, kP - 1, kP, kP + 1, 3 * kP + 17}) {
      const ObjectKey key = NewKey(f);
      const std::string plaintext = Pattern(n, static_cast<std::uint32_t>(n));
      for (std::size_t read_size : {std::size_t{1} << 20, std::size_t{4093}}) {
        const std::string stored = f.Encrypt(key, algorithm, 0, plaintext, read_size);
        ASSERT_EQ(stored.size(), CiphertextSize(n));
        if (n >= 64) {
          EXPECT_EQ(stored.find(plaintext.substr(0, 64)), std::string::npos);
        }
        auto back = f.Decrypt(key, algorithm, Single(stored), stored, 0, std::nullopt, 777);
        ASSERT_TRUE(back.has_value()) << back.error().ToString();
        EXPECT_EQ(*back, plaintext) << n;
      }
    }
  }
}

TEST(Stream, PackagesAreWhereTheFormatSays) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, Pattern(kP + 5));
  ASSERT_EQ(stored.size(), kPackageBytes + 5 + kPackageOverheadBytes);
  EXPECT_EQ(stored[0], static_cast<char>(kFormatVersion));
  EXPECT_EQ(stored[1], static_cast<char>(Algorithm::kAes256Gcm));
  EXPECT_EQ(stored[2], 0);
  EXPECT_EQ(stored[kPackageBytes + 2], static_cast<char>(kFinalFlag));
  // The same stream id in both packages.
  EXPECT_EQ(stored.substr(8, 8), stored.substr(kPackageBytes + 8, 8));
}

TEST(Stream, FlippingAnyByteIsDetected) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  // Every byte of a small object...
  std::string plaintext = Pattern(100);
  std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    std::string bad = stored;
    bad[i] ^= 0x01;
    ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(bad), bad, plaintext);
  }
  // ...and a stride over every region of a three-package one.
  plaintext = Pattern(2 * kP + 999);
  stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  for (std::size_t i = 0; i < stored.size(); i += (i % kPackageBytes < 40 ? 1 : 4099)) {
    std::string bad = stored;
    bad[i] ^= 0x80;
    ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(bad), bad, plaintext);
  }
}

TEST(Stream, SwappedPackagesAreDetected) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string plaintext = Pattern(3 * kP);
  const std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  std::string swapped = stored.substr(kPackageBytes, kPackageBytes) +
                        stored.substr(0, kPackageBytes) + stored.substr(2 * kPackageBytes);
  ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(swapped), swapped, plaintext);
  // A full package moved to the end and the final one into the middle.
  swapped = stored.substr(0, kPackageBytes) + stored.substr(2 * kPackageBytes) +
            stored.substr(kPackageBytes, kPackageBytes);
  ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(swapped), swapped, plaintext);
}

TEST(Stream, TruncationAndExtensionAreDetected) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string plaintext = Pattern(3 * kP + 10);
  const std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  // Dropping whole packages from the end leaves a valid size whose last
  // package is not marked final.
  for (std::size_t packages : {1, 2, 3}) {
    const std::string cut = stored.substr(0, packages * kPackageBytes);
    ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(cut), cut, plaintext);
  }
  // Cut anywhere else: the size alone gives it away, or the tag.
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{31}, stored.size() - 1}) {
    const std::string cut = stored.substr(0, n);
    auto layout = ObjectLayout::Single(cut.size());
    if (layout.has_value()) ExpectRejected(f, key, Algorithm::kAes256Gcm, *layout, cut, plaintext);
  }
  // Appending the final package again, or a package of another stream.
  const std::string last = stored.substr(3 * kPackageBytes);
  std::string extended = stored + last;
  ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(extended), extended, plaintext);
  const std::string other = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  extended = stored.substr(0, 3 * kPackageBytes) + other.substr(3 * kPackageBytes);
  // Same key and part, but another stream id: still refused.
  ExpectRejected(f, key, Algorithm::kAes256Gcm, Single(extended), extended, plaintext);
  // Feeding more bytes than the plan holds.
  storage::StringSink out;
  auto layout = Single(stored);
  auto plan = PlanRange(layout, 0, std::nullopt);
  auto sink = DecryptingSink::Create(*f.engine, key, Algorithm::kAes256Gcm, layout, *plan, out);
  ASSERT_TRUE(sink.has_value());
  EXPECT_FALSE((*sink)->Write(base::AsBytes(stored + "x")).has_value());
}

TEST(Stream, SplicingPackagesOfAReuploadedPartIsDetected) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string plaintext = Pattern(3 * kP);
  const std::string a = f.Encrypt(key, Algorithm::kAes256Gcm, 4, plaintext);
  const std::string b = f.Encrypt(key, Algorithm::kAes256Gcm, 4, plaintext);
  ASSERT_NE(a, b);  // Fresh stream ids: no nonce is ever reused.
  const std::string spliced = a.substr(0, kPackageBytes) + b.substr(kPackageBytes);
  auto layout = std::move(ObjectLayout::Multipart({{4, spliced.size()}})).value();
  ExpectRejected(f, key, Algorithm::kAes256Gcm, layout, spliced, plaintext);
}

TEST(Stream, WrongKeyOrAlgorithmIsDetected) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string plaintext = Pattern(5000);
  const std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  ExpectRejected(f, NewKey(f), Algorithm::kAes256Gcm, Single(stored), stored, plaintext);
  ExpectRejected(f, key, Algorithm::kChaCha20Poly1305, Single(stored), stored, plaintext);
}

TEST(Stream, MultipartPartsCannotBeSwapped) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string p1 = Pattern(kP + 3, 1), p2 = Pattern(kP + 3, 2);
  const std::string s1 = f.Encrypt(key, Algorithm::kChaCha20Poly1305, 1, p1);
  const std::string s2 = f.Encrypt(key, Algorithm::kChaCha20Poly1305, 2, p2);
  auto layout = std::move(ObjectLayout::Multipart({{1, s1.size()}, {2, s2.size()}})).value();
  auto whole = f.Decrypt(key, Algorithm::kChaCha20Poly1305, layout, s1 + s2);
  ASSERT_TRUE(whole.has_value()) << whole.error().ToString();
  EXPECT_EQ(*whole, p1 + p2);
  // A range across the part boundary.
  auto middle = f.Decrypt(key, Algorithm::kChaCha20Poly1305, layout, s1 + s2, kP, 10);
  ASSERT_TRUE(middle.has_value());
  EXPECT_EQ(*middle, (p1 + p2).substr(kP, 10));
  // The same bytes with the parts swapped.
  ExpectRejected(f, key, Algorithm::kChaCha20Poly1305, layout, s2 + s1, p1 + p2);
  // Part 1's data claimed as another part number.
  auto renumbered = std::move(ObjectLayout::Multipart({{3, s1.size()}, {4, s2.size()}})).value();
  ExpectRejected(f, key, Algorithm::kChaCha20Poly1305, renumbered, s1 + s2, p1 + p2);
}

TEST(Stream, RangeReadsOnlyTheTouchedPackages) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string plaintext = Pattern(4 * kP);
  std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, plaintext);
  // Corrupt packages 0 and 3: a range inside packages 1..2 still reads.
  stored[100] ^= 1;
  stored[3 * kPackageBytes + 100] ^= 1;
  auto range = f.Decrypt(key, Algorithm::kAes256Gcm, Single(stored), stored, kP + 7, kP);
  ASSERT_TRUE(range.has_value()) << range.error().ToString();
  EXPECT_EQ(*range, plaintext.substr(kP + 7, kP));
  EXPECT_FALSE(f.Decrypt(key, Algorithm::kAes256Gcm, Single(stored), stored, 0, 10).has_value());
}

TEST(Stream, FinishRefusesAShortFeed) {
  Fixture f;
  const ObjectKey key = NewKey(f);
  const std::string stored = f.Encrypt(key, Algorithm::kAes256Gcm, 0, Pattern(kP + 1));
  storage::StringSink out;
  auto layout = Single(stored);
  auto plan = PlanRange(layout, 0, std::nullopt);
  auto sink = DecryptingSink::Create(*f.engine, key, Algorithm::kAes256Gcm, layout, *plan, out);
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Write(base::AsBytes(stored.substr(0, kPackageBytes))).has_value());
  EXPECT_EQ(out.data().size(), kP);
  EXPECT_EQ((*sink)->Finish().error().code(), base::ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::core::sse
