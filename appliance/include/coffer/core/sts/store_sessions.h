#pragma once
// The production SessionRecorder: each minted STS session becomes a row of
// the IAM store (secret encrypted under the master key), written through
// state::LiveStore (one transaction, then a snapshot swap), so the next
// request sees the session and `coffer admin sts list|revoke` can find it.

#include <cstdint>
#include <optional>

#include "coffer/base/clock.h"
#include "coffer/base/random.h"
#include "coffer/core/sts/sts_api.h"
#include "coffer/state/live_store.h"

namespace coffer::core::sts {

class StoreSessionRecorder final : public SessionRecorder {
 public:
  // All borrowed; must outlive this object. `random` must be thread-safe.
  StoreSessionRecorder(state::LiveStore& live, base::Clock& clock, base::Random& random)
      : live_(live), clock_(clock), random_(random) {}

  base::Status Record(const state::RuntimeCredential& credential,
                      std::string_view token_digest) override;

 private:
  state::LiveStore& live_;
  base::Clock& clock_;
  base::Random& random_;
};

// Notices commits other processes made to the IAM store -- `coffer admin sts
// revoke --store` while the daemon runs -- through SQLite's data_version, and
// rebuilds the snapshot then, so a revoked session's token is refused from the
// first request after the next Poll() (the daemon polls every few hundred
// milliseconds; the reconcile pass stays the backstop). The daemon's own
// commits do not count. Thread-compatible: call Poll() from one timer.
class ExternalWriteWatcher {
 public:
  // Both borrowed; must outlive this object.
  ExternalWriteWatcher(state::LiveStore& live, base::Clock& clock) : live_(live), clock_(clock) {}

  // True when another process wrote since the last call (and the snapshot was
  // rebuilt). The first call rebuilds once, to catch writes made before it.
  base::Result<bool> Poll();

 private:
  state::LiveStore& live_;
  base::Clock& clock_;
  std::optional<std::int64_t> last_version_;
};

}  // namespace coffer::core::sts
