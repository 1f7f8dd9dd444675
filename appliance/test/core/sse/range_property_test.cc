// Range decryption property (issue #9): for random object sizes, random
// multipart splits and random byte ranges, decrypting the planned ciphertext
// range yields exactly the plaintext range, and the plan touches only the
// packages holding it. Prints its RC_PARAMS seed like every rapidcheck test.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "test_util.h"

namespace coffer::core::sse {
namespace {

constexpr std::uint64_t kP = kPackagePlaintextBytes;

RC_GTEST_PROP(SseRangeProperty, RandomRangesRoundTrip, ()) {
  testing::Fixture f;
  const auto algorithm = *rc::gen::element(Algorithm::kAes256Gcm, Algorithm::kChaCha20Poly1305);
  const auto part_count = *rc::gen::inRange<std::size_t>(1, 4);
  std::vector<std::uint64_t> sizes;
  for (std::size_t i = 0; i < part_count; ++i) {
    // Sizes cluster around package boundaries, where the arithmetic is subtle.
    const auto packages = *rc::gen::inRange<std::uint64_t>(0, 4);
    const auto delta = *rc::gen::inRange<std::int64_t>(-2, 3);
    std::int64_t size = static_cast<std::int64_t>(packages * kP) + delta;
    if (*rc::gen::arbitrary<bool>()) size = *rc::gen::inRange<std::int64_t>(0, 3 * kP);
    sizes.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(0, size)));
  }
  const ObjectKey key(base::Secret(f.random.Bytes(32)));
  std::string plaintext, stored;
  std::vector<ObjectLayout::Part> parts;
  std::uint32_t number = 0;
  for (std::size_t i = 0; i < part_count; ++i) {
    number += *rc::gen::inRange<std::uint32_t>(1, 5);
    const std::string part = testing::Pattern(sizes[i], number);
    const std::uint32_t keyed = part_count == 1 ? 0 : number;
    const std::string enc = f.Encrypt(key, algorithm, keyed, part,
                                      *rc::gen::element<std::size_t>(1 << 20, 4096, 65599));
    RC_ASSERT(enc.size() == CiphertextSize(part.size()));
    plaintext += part;
    stored += enc;
    parts.push_back({keyed, enc.size()});
  }
  auto layout =
      part_count == 1 ? ObjectLayout::Single(stored.size()) : ObjectLayout::Multipart(parts);
  RC_ASSERT(layout.has_value());
  RC_ASSERT(layout->plaintext_bytes() == plaintext.size());

  const std::uint64_t size = plaintext.size();
  const auto offset = size == 0 ? 0 : *rc::gen::inRange<std::uint64_t>(0, size);
  std::optional<std::uint64_t> length;
  if (*rc::gen::arbitrary<bool>()) length = *rc::gen::inRange<std::uint64_t>(1, 3 * kP);
  const auto chunk = *rc::gen::element<std::size_t>(1, 333, 65568, 1 << 20);
  auto plan = PlanRange(*layout, offset, length);
  RC_ASSERT(plan.has_value());
  // Whole packages, and no more than one package beyond the range per side
  // and per stream boundary.
  RC_ASSERT(plan->ciphertext_offset + plan->ciphertext_length <= stored.size());
  RC_ASSERT(plan->ciphertext_length <=
            (plan->plaintext_length / kP + 2 + part_count) * kPackageBytes);
  if (chunk == 1 && plan->ciphertext_length > 200000) return;  // Keep ASan runs short.
  auto got = f.Decrypt(key, algorithm, *layout, stored, offset, length, chunk);
  RC_ASSERT(got.has_value());
  const std::uint64_t want_length =
      size == 0 ? 0 : std::min(size - offset, length.value_or(size - offset));
  RC_ASSERT(*got == plaintext.substr(offset, want_length));
}

}  // namespace
}  // namespace coffer::core::sse
