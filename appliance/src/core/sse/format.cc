#include "coffer/core/sse/format.h"

#include <algorithm>
#include <string>

#include "coffer/core/storage/object_layer.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace coffer::core::sse {

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kAes256Gcm:
      return "AES-256-GCM";
    case Algorithm::kChaCha20Poly1305:
      return "ChaCha20-Poly1305";
  }
  return "unknown";
}

namespace {

bool CpuHasAes() {
#if defined(__x86_64__) || defined(__i386__)
  // GCM's speed needs both: AES rounds and the carry-less multiply of GHASH.
  return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#elif defined(__aarch64__)
  constexpr unsigned long kHwcapAes = 1UL << 3;
  constexpr unsigned long kHwcapPmull = 1UL << 4;
  const unsigned long hwcap = getauxval(AT_HWCAP);
  return (hwcap & kHwcapAes) != 0 && (hwcap & kHwcapPmull) != 0;
#else
  return false;
#endif
}

}  // namespace

Algorithm PreferredAlgorithm() {
  // INVARIANT: the CPU does not change under a running process; a function
  // static is initialised once, thread-safely.
  static const Algorithm preferred =
      CpuHasAes() ? Algorithm::kAes256Gcm : Algorithm::kChaCha20Poly1305;
  return preferred;
}

std::uint64_t PackageCount(std::uint64_t plaintext_bytes) {
  if (plaintext_bytes == 0) return 1;
  return (plaintext_bytes - 1) / kPackagePlaintextBytes + 1;
}

std::uint64_t CiphertextSize(std::uint64_t plaintext_bytes) {
  return plaintext_bytes + PackageCount(plaintext_bytes) * kPackageOverheadBytes;
}

base::Result<std::uint64_t> PlaintextSize(std::uint64_t ciphertext_bytes) {
  if (ciphertext_bytes < kPackageOverheadBytes) {
    return base::DataLoss("sse: stored stream of " + std::to_string(ciphertext_bytes) +
                          " bytes is shorter than one package");
  }
  const std::uint64_t full = ciphertext_bytes / kPackageBytes;
  const std::uint64_t rest = ciphertext_bytes % kPackageBytes;
  std::uint64_t plaintext = full * kPackagePlaintextBytes;
  if (rest != 0) {
    // The final, short package: at least its overhead, and not empty unless
    // it is the only package.
    if (rest < kPackageOverheadBytes || (rest == kPackageOverheadBytes && full != 0)) {
      return base::DataLoss("sse: stored stream of " + std::to_string(ciphertext_bytes) +
                            " bytes ends inside a package");
    }
    plaintext += rest - kPackageOverheadBytes;
  }
  if (plaintext > kMaxStreamPlaintextBytes) {
    return base::DataLoss("sse: stored stream is larger than the format allows");
  }
  return plaintext;
}

base::Result<ObjectLayout> ObjectLayout::Single(std::uint64_t ciphertext_bytes) {
  COFFER_ASSIGN_OR_RETURN(const std::uint64_t plaintext, PlaintextSize(ciphertext_bytes));
  ObjectLayout layout;
  layout.streams_.push_back(StreamLayout{0, ciphertext_bytes, plaintext, 0, 0});
  layout.plaintext_bytes_ = plaintext;
  layout.ciphertext_bytes_ = ciphertext_bytes;
  return layout;
}

base::Result<ObjectLayout> ObjectLayout::Multipart(const std::vector<Part>& parts) {
  if (parts.empty()) return base::InvalidArgument("sse: a multipart layout needs parts");
  ObjectLayout layout;
  std::uint32_t previous = 0;
  for (const Part& part : parts) {
    if (part.number == 0 || part.number <= previous) {
      return base::InvalidArgument("sse: part numbers must be positive and increasing");
    }
    previous = part.number;
    auto plaintext = PlaintextSize(part.ciphertext_bytes);
    if (!plaintext.has_value()) {
      return plaintext.error().WithContext("part " + std::to_string(part.number));
    }
    layout.streams_.push_back(StreamLayout{part.number, part.ciphertext_bytes, *plaintext,
                                           layout.ciphertext_bytes_, layout.plaintext_bytes_});
    layout.ciphertext_bytes_ += part.ciphertext_bytes;
    layout.plaintext_bytes_ += *plaintext;
  }
  return layout;
}

base::Result<ObjectLayout> ObjectLayout::FromObjectInfo(const storage::ObjectInfo& info) {
  if (info.part_sizes.empty()) return Single(info.size_bytes);
  if (info.part_numbers.size() != info.part_sizes.size()) {
    return base::DataLoss("sse: object info lists " + std::to_string(info.part_sizes.size()) +
                          " part sizes but " + std::to_string(info.part_numbers.size()) +
                          " part numbers");
  }
  std::vector<Part> parts;
  parts.reserve(info.part_sizes.size());
  for (std::size_t i = 0; i < info.part_sizes.size(); ++i) {
    parts.push_back(Part{info.part_numbers[i], info.part_sizes[i]});
  }
  auto layout = Multipart(parts);
  if (!layout.has_value()) return base::DataLoss(layout.error().message());
  if (layout->ciphertext_bytes() != info.size_bytes) {
    return base::DataLoss("sse: part sizes do not add up to the object size");
  }
  return layout;
}

namespace {

// The stored offset of the package holding plaintext byte `offset` (which is
// below the layout's plaintext size): its start, or with `end` its end.
std::uint64_t PackageBound(const ObjectLayout& layout, std::uint64_t offset, bool end) {
  for (const StreamLayout& s : layout.streams()) {
    if (offset >= s.plaintext_offset + s.plaintext_bytes) continue;
    const std::uint64_t package = (offset - s.plaintext_offset) / kPackagePlaintextBytes;
    if (!end) return s.ciphertext_offset + package * kPackageBytes;
    return std::min(s.ciphertext_offset + (package + 1) * kPackageBytes,
                    s.ciphertext_offset + s.ciphertext_bytes);
  }
  return layout.ciphertext_bytes();
}

}  // namespace

base::Result<RangePlan> PlanRange(const ObjectLayout& layout, std::uint64_t offset,
                                  std::optional<std::uint64_t> length) {
  const std::uint64_t size = layout.plaintext_bytes();
  RangePlan plan;
  if (size == 0 && offset == 0) {
    // An empty object still reads (and authenticates) its empty package(s).
    plan.ciphertext_offset = 0;
    plan.ciphertext_length = layout.ciphertext_bytes();
    return plan;
  }
  if (offset >= size) {
    return base::OutOfRange("sse: range starts at " + std::to_string(offset) + " of an object of " +
                            std::to_string(size) + " bytes");
  }
  std::uint64_t wanted = size - offset;
  if (length.has_value()) wanted = std::min(wanted, *length);
  plan.plaintext_offset = offset;
  plan.plaintext_length = wanted;
  plan.ciphertext_offset = PackageBound(layout, offset, false);
  if (wanted == 0) return plan;
  plan.ciphertext_length = PackageBound(layout, offset + wanted - 1, true) - plan.ciphertext_offset;
  return plan;
}

}  // namespace coffer::core::sse
