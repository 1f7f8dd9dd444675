#pragma once
// Liveness and readiness, answered under Coffer's paths (/health/live,
// /health/ready) and MinIO's (/minio/health/live, /minio/health/ready) so that
// existing load balancers and probes work unchanged. Live means the process
// serves requests; ready means every registered component reports ready
// (drives at quorum, IAM snapshot loaded, last reconcile good).

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/core/http.h"

namespace coffer::core {

class Health {
 public:
  // Records the state of one component. `reason` says why it is not ready and
  // must hold no secret. A component that does not `gate_readiness` (the key
  // service: plain requests work without it) is reported but never makes the
  // appliance unready. Thread-safe.
  void Set(std::string_view component, bool ready, std::string_view reason = {},
           bool gate_readiness = true);

  // True when every component is ready (and at least one has reported).
  bool Ready() const;

  // Answers a health request, or nullopt when `request` is not a health path.
  // GET and HEAD only. Thread-safe.
  std::optional<HttpResponse> Handle(const HttpRequest& request) const;

 private:
  struct Component {
    bool ready = false;
    bool gate_readiness = true;
    std::string reason;
  };
  mutable std::mutex mu_;
  std::map<std::string, Component, std::less<>> components_;
};

}  // namespace coffer::core
