#pragma once
// Planted bugs: known security bugs that the simulator switches on to prove
// its invariants catch them (issue #12: "the simulator's own power is
// tested"). They exist only in COFFER_TESTING builds; everywhere else
// Planted() is a constant false and every hook compiles away.
//
//   if (now > expires && !base::Planted(base::PlantedBug::kSkipPresignExpiry)) ...

#if defined(COFFER_TESTING)
#include <atomic>
#endif

namespace coffer::base {

enum class PlantedBug : unsigned {
  kSkipPresignExpiry = 1u << 0,      // SigV4: presigned URLs are accepted after they expire.
  kSkipSessionExpiry = 1u << 1,      // STS: session credentials are accepted after expiry.
  kAllowOverridesDeny = 1u << 2,     // Policy: an explicit Deny is ignored, so an Allow wins.
  kSkipBitrotCheck = 1u << 3,        // Storage: a shard whose checksum fails is used anyway.
  kAckBeforeAuditDurable = 1u << 4,  // Audit: the response completes before its record is durable.
};

#if defined(COFFER_TESTING)
namespace internal {
inline std::atomic<unsigned> planted_bugs{0};
}  // namespace internal

inline bool Planted(PlantedBug bug) {
  return (internal::planted_bugs.load(std::memory_order_relaxed) & static_cast<unsigned>(bug)) != 0;
}
// Replaces the set of planted bugs (a mask of PlantedBug values; 0: none).
inline void PlantBugsForTest(unsigned mask) {
  internal::planted_bugs.store(mask, std::memory_order_relaxed);
}
#else
constexpr bool Planted(PlantedBug) { return false; }
#endif

}  // namespace coffer::base
