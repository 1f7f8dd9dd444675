#pragma once
// Signed access to /metrics (issue #11): besides the Prometheus bearer token
// of [appliance.metrics], a request signed with SigV4 (Authorization header
// or presigned query) by a key whose policies allow `admin:Prometheus` may
// read the metrics, as MinIO lets such principals scrape its cluster
// metrics. Root may; service accounts act as their parent's policy narrowed
// by their own; STS session keys are refused (no session codec here).
//
// SECURITY: closed by default. An unknown key, a bad signature, a clock
// skew or a policy without admin:Prometheus is refused; anonymous access is
// decided by the metrics handler from the repo's explicit `public = true`.

#include <memory>
#include <string>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/http.h"
#include "coffer/core/s3/api.h"
#include "coffer/env/env.h"

namespace coffer::core::audit {

class SignedMetricsAccess {
 public:
  // `env` is borrowed and must outlive this. `snapshots`, `root`, `region`
  // and `trusted_proxies` are the S3 API's, so a key means the same on both.
  // Errors: the crypto provider cannot be loaded.
  static base::Result<std::unique_ptr<SignedMetricsAccess>> Create(
      env::Env& env, s3::SnapshotSource snapshots, s3::RootCredential root, std::string region,
      std::vector<std::string> trusted_proxies);
  ~SignedMetricsAccess();

  // True when `request` carries a SigV4 signature (header or query), so that
  // Check() decides it.
  static bool IsSigned(const HttpRequest& request);

  // The access key when `request` is validly signed by a key allowed
  // admin:Prometheus. Otherwise an error carrying its S3 code
  // (InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
  // AccessDenied, ...). Thread-safe.
  base::Result<std::string> Check(const HttpRequest& request) const;

  struct Impl;

 private:
  explicit SignedMetricsAccess(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::core::audit
