#pragma once
// The production SessionRecorder: each minted STS session becomes a row of
// the IAM store (secret encrypted under the master key), written through
// state::LiveStore (one transaction, then a snapshot swap), so the next
// request sees the session and `coffer admin sts list|revoke` can find it.

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

}  // namespace coffer::core::sts
