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

namespace {
constexpr std::string_view kUnchanged = "IAM store unchanged by other processes";
}  // namespace

base::Result<bool> ExternalWriteWatcher::Poll() {
  bool changed = false;
  base::Status status = live_.Change(
      [&](state::Store& store, const state::MasterKey&) -> base::Status {
        base::Result<std::int64_t> version = store.DataVersion();
        if (!version.has_value()) return version.error();
        changed = !last_version_.has_value() || *last_version_ != *version;
        last_version_ = *version;
        // Unchanged: an error skips the rebuild Change() would do.
        return changed ? base::Ok() : base::Aborted(std::string(kUnchanged));
      },
      clock_.Now());
  if (!status.has_value()) {
    // A failed rebuild is retried by the next poll.
    if (changed) last_version_.reset();
    if (!changed && status.error().code() == base::ErrorCode::kAborted &&
        status.error().message() == kUnchanged) {
      return false;
    }
    return status.error();
  }
  return changed;
}

}  // namespace coffer::core::sts
