#pragma once
// The appliance's one entry point: routes each request to the API that owns
// it. Health probes first, then the routes in the order they were added
// (admin API under /coffer/admin/, STS on POST / with an Action, the console,
// ...), and every other request to the S3 API. The server and the simulator
// both serve through a Router, so they route the same way.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coffer/core/health.h"
#include "coffer/core/http.h"

namespace coffer::core {

class Router final : public Handler {
 public:
  // Decides from the request head alone whether a route owns the request.
  using Owns = std::function<bool(const HttpRequest&)>;

  explicit Router(const Health& health) : health_(health) {}

  // Installed before the listeners start; not thread-safe against Serve().
  void AddRoute(std::string name, Owns owns, std::unique_ptr<Handler> handler);
  void SetFallback(std::unique_ptr<Handler> handler);  // The S3 API.

  // Thread-safe once set up.
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

 private:
  struct Route {
    std::string name;
    Owns owns;
    std::unique_ptr<Handler> handler;
  };
  const Health& health_;
  std::vector<Route> routes_;
  std::unique_ptr<Handler> fallback_;
};

}  // namespace coffer::core
