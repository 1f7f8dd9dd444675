#pragma once
// The production RuntimeState: runtime-owned bucket settings and service
// accounts written to the IAM store through state::LiveStore (one transaction, then a snapshot
// swap).

#include "coffer/base/clock.h"
#include "coffer/core/s3/api.h"
#include "coffer/state/live_store.h"

namespace coffer::core::s3 {

class StoreRuntime final : public RuntimeState {
 public:
  // Both borrowed; must outlive this object.
  StoreRuntime(state::LiveStore& live, base::Clock& clock) : live_(live), clock_(clock) {}

  base::Status SetBucketPolicy(std::string_view bucket, std::string_view policy) override;
  base::Status SetBucketEncryption(std::string_view bucket, std::string_view encryption,
                                   std::string_view kms_key) override;
  base::Status ForgetBucket(std::string_view bucket) override;
  base::Status CreateServiceAccount(const state::RuntimeCredential& credential,
                                    base::Random& random) override;
  base::Result<std::vector<state::ServiceAccountInfo>> ListServiceAccounts(
      std::string_view parent) override;
  base::Status DeleteServiceAccount(std::string_view access_key) override;
  base::Result<std::vector<state::StsSessionInfo>> ListStsSessions(
      std::string_view parent) override;
  base::Result<std::int64_t> RevokeStsSessions(std::string_view access_key,
                                               std::string_view parent) override;

 private:
  // Reads the runtime row (or a fresh one), lets `edit` change it, writes it
  // back; a row left with no setting is removed.
  base::Status Edit(std::string_view bucket,
                    const std::function<void(state::RuntimeBucket&)>& edit);

  state::LiveStore& live_;
  base::Clock& clock_;
};

}  // namespace coffer::core::s3
