#include "coffer/core/sts/store_sessions.h"

namespace coffer::core::sts {

base::Status StoreSessionRecorder::Record(const state::RuntimeCredential& credential,
                                          std::string_view token_digest) {
  const base::WallTime now = clock_.Now();
  return live_.Change(
      [&](state::Store& store, const state::MasterKey& key) -> base::Status {
        // Expired sessions (revoked ones included) are no longer needed to
        // refuse their tokens: the tokens refuse themselves.
        base::Result<std::int64_t> pruned = store.DeleteExpiredStsSessions(now);
        if (!pruned.has_value()) return pruned.error();
        return store.PutStsSession(credential, token_digest, key, random_, now);
      },
      now);
}

}  // namespace coffer::core::sts
