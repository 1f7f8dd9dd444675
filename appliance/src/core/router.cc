#include "coffer/core/router.h"

#include <span>
#include <utility>

namespace coffer::core {

void Router::AddRoute(std::string name, Owns owns, std::unique_ptr<Handler> handler) {
  routes_.push_back({std::move(name), std::move(owns), std::move(handler)});
}

void Router::SetFallback(std::unique_ptr<Handler> handler) { fallback_ = std::move(handler); }

void Router::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  if (auto r = health_.Handle(request)) {
    if (request.facts != nullptr) request.facts->api = "Health";
    if (!response.Start(r->status, r->headers, r->body.size()).has_value()) return;
    (void)response.Write(std::as_bytes(std::span(r->body.data(), r->body.size())));
    (void)response.Finish();
    return;
  }
  for (const Route& route : routes_) {
    if (route.owns(request)) {
      route.handler->Serve(request, body, response);
      return;
    }
  }
  if (fallback_ != nullptr) {
    fallback_->Serve(request, body, response);
    return;
  }
  const std::string text = "no handler\n";
  if (!response.Start(503, {{"content-type", "text/plain"}}, text.size()).has_value()) return;
  (void)response.Write(std::as_bytes(std::span(text.data(), text.size())));
  (void)response.Finish();
}

}  // namespace coffer::core
