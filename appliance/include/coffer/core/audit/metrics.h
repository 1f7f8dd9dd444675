#pragma once
// Metrics in Prometheus text format (exposition format 0.0.4) at /metrics:
// per audit target delivered, failed, queued, dropped, refused and delivery
// latency; per API and status the request count; per API a latency
// histogram.
//
// Access (SECURITY), any one of:
//   - "Authorization: Bearer <token>" matching the [appliance.metrics]
//     bearer_token secret of the config repo (compared in constant time);
//   - a SigV4-signed request by a key whose policies allow admin:Prometheus
//     (metrics_access.h), as MinIO's Prometheus scrape with an admin key;
//   - anything at all, only when the repo says [appliance.metrics]
//     public = true (MinIO's MINIO_PROMETHEUS_AUTH_TYPE=public).
// Otherwise the answer is 403 AccessDenied (or the signature's own S3 error)
// and no metric leaves the appliance.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "coffer/core/audit/audit_log.h"
#include "coffer/core/audit/metrics_access.h"
#include "coffer/core/http.h"

namespace coffer::state {
class Snapshot;
}

namespace coffer::core::audit {

// Request counts and latencies. Thread-safe.
class RequestMetrics {
 public:
  static constexpr std::array<double, 9> kBucketsSeconds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,  0.1,    0.5,   2.5};

  void Record(std::string_view api, unsigned status, std::chrono::nanoseconds duration);
  // Appends the request metrics in Prometheus text format.
  void Render(std::string& out) const;

 private:
  struct Api {
    std::map<unsigned, std::uint64_t> by_status;
    std::array<std::uint64_t, kBucketsSeconds.size()> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Api, std::less<>> apis_;  // GUARDED_BY(mu_)
};

// The whole /metrics document.
std::string RenderMetrics(const RequestMetrics& requests, const AuditLog& audit);

class MetricsHandler final : public Handler {
 public:
  using Snapshots = std::function<std::shared_ptr<const state::Snapshot>()>;
  // `signed_access` (borrowed, may be null: bearer token only) decides
  // SigV4-signed requests.
  MetricsHandler(RequestMetrics& requests, AuditLog& audit, Snapshots snapshots,
                 const SignedMetricsAccess* signed_access = nullptr)
      : requests_(requests),
        audit_(audit),
        snapshots_(std::move(snapshots)),
        signed_access_(signed_access) {}

  // True for GET /metrics (and MinIO's /minio/v2/metrics/cluster).
  static bool Owns(const HttpRequest& request);
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

 private:
  RequestMetrics& requests_;
  AuditLog& audit_;
  Snapshots snapshots_;
  const SignedMetricsAccess* signed_access_;
};

}  // namespace coffer::core::audit
