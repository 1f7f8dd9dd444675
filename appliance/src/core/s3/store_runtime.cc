#include "coffer/core/s3/store_runtime.h"

namespace coffer::core::s3 {

base::Status StoreRuntime::Edit(std::string_view bucket,
                                const std::function<void(state::RuntimeBucket&)>& edit) {
  return live_.Change(
      [&](state::Store& store, const state::MasterKey&) -> base::Status {
        base::Result<state::RuntimeBucket> row = store.GetRuntimeBucket(bucket);
        state::RuntimeBucket b;
        if (row.has_value()) {
          b = *std::move(row);
        } else if (row.error().code() == base::ErrorCode::kNotFound) {
          b.name = std::string(bucket);
        } else {
          return row.error();
        }
        edit(b);
        // Put first: it refuses a repo-owned bucket (kFailedPrecondition).
        COFFER_RETURN_IF_ERROR(store.PutRuntimeBucket(b, clock_.Now()));
        if (b.policy.empty() && b.encryption == "none") {
          return store.DeleteRuntimeBucket(bucket);  // Nothing left to remember.
        }
        return base::Ok();
      },
      clock_.Now());
}

base::Status StoreRuntime::SetBucketPolicy(std::string_view bucket, std::string_view policy) {
  return Edit(bucket, [&](state::RuntimeBucket& b) { b.policy = std::string(policy); });
}

base::Status StoreRuntime::SetBucketEncryption(std::string_view bucket, std::string_view encryption,
                                               std::string_view kms_key) {
  return Edit(bucket, [&](state::RuntimeBucket& b) {
    b.encryption = std::string(encryption);
    b.kms_key = std::string(kms_key);
  });
}

base::Status StoreRuntime::ForgetBucket(std::string_view bucket) {
  return live_.Change([&](state::Store& store,
                          const state::MasterKey&) { return store.DeleteRuntimeBucket(bucket); },
                      clock_.Now());
}

base::Status StoreRuntime::CreateServiceAccount(const state::RuntimeCredential& credential,
                                                base::Random& random) {
  return live_.Change(
      [&](state::Store& store, const state::MasterKey& key) {
        return store.PutServiceAccount(credential, key, random, clock_.Now());
      },
      clock_.Now());
}

base::Result<std::vector<state::ServiceAccountInfo>> StoreRuntime::ListServiceAccounts(
    std::string_view parent) {
  // LiveStore offers only Change (one writer at a time), so a listing also
  // rebuilds the snapshot; listings are rare admin calls, so that is cheap
  // enough and keeps the Store single-owner.
  std::vector<state::ServiceAccountInfo> out;
  COFFER_RETURN_IF_ERROR(live_.Change(
      [&](state::Store& store, const state::MasterKey&) -> base::Status {
        COFFER_ASSIGN_OR_RETURN(out, store.ListServiceAccounts(parent));
        return base::Ok();
      },
      clock_.Now()));
  return out;
}

base::Status StoreRuntime::DeleteServiceAccount(std::string_view access_key) {
  return live_.Change(
      [&](state::Store& store, const state::MasterKey&) {
        return store.DeleteServiceAccount(access_key);
      },
      clock_.Now());
}

base::Result<std::vector<state::StsSessionInfo>> StoreRuntime::ListStsSessions(
    std::string_view parent) {
  std::vector<state::StsSessionInfo> out;
  bool listed = false;
  // As ListServiceAccounts; the error skips the rebuild a listing does not need.
  base::Status status = live_.Change(
      [&](state::Store& store, const state::MasterKey&) -> base::Status {
        COFFER_ASSIGN_OR_RETURN(out, store.ListStsSessions(parent));
        listed = true;
        return base::Aborted("sts sessions listed");
      },
      clock_.Now());
  if (!listed) return status.error();
  return out;
}

base::Result<std::int64_t> StoreRuntime::RevokeStsSessions(std::string_view access_key,
                                                           std::string_view parent) {
  std::int64_t revoked = 0;
  COFFER_RETURN_IF_ERROR(live_.Change(
      [&](state::Store& store, const state::MasterKey&) -> base::Status {
        COFFER_ASSIGN_OR_RETURN(revoked, store.RevokeStsSessions(access_key, parent));
        return base::Ok();
      },
      clock_.Now()));
  return revoked;
}

}  // namespace coffer::core::s3
