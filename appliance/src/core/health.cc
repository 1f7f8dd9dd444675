#include "coffer/core/health.h"

#include "coffer/base/json_escape.h"

namespace coffer::core {
namespace {

enum class Probe { kLive, kReady };

std::optional<Probe> ProbeFor(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/health/live" || path == "/minio/health/live") return Probe::kLive;
  if (path == "/health/ready" || path == "/minio/health/ready") return Probe::kReady;
  return std::nullopt;
}

}  // namespace

void Health::Set(std::string_view component, bool ready, std::string_view reason,
                 bool gate_readiness) {
  std::lock_guard lock(mu_);
  auto& c = components_[std::string(component)];
  c.ready = ready;
  c.gate_readiness = gate_readiness;
  c.reason = ready ? std::string() : std::string(reason);
}

bool Health::Ready() const {
  std::lock_guard lock(mu_);
  if (components_.empty()) return false;
  for (const auto& [name, c] : components_) {
    if (!c.ready && c.gate_readiness) return false;
  }
  return true;
}

std::optional<HttpResponse> Health::Handle(const HttpRequest& request) const {
  const auto probe = ProbeFor(request.target);
  if (!probe) return std::nullopt;
  HttpResponse response;
  response.headers.emplace_back("content-type", "application/json");
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.headers.emplace_back("allow", "GET, HEAD");
    response.body = "{\"status\":\"method not allowed\"}";
    return response;
  }
  if (*probe == Probe::kLive) {
    response.body = "{\"status\":\"ok\"}";
    return response;
  }
  std::lock_guard lock(mu_);
  bool ready = !components_.empty();
  std::string body = "{\"components\":{";
  bool first = true;
  for (const auto& [name, c] : components_) {
    ready = ready && (c.ready || !c.gate_readiness);
    if (!first) body += ',';
    first = false;
    body += '"';
    base::AppendJsonEscaped(body, name);
    body += "\":{\"ready\":";
    body += c.ready ? "true" : "false";
    if (!c.ready) {
      body += ",\"reason\":\"";
      base::AppendJsonEscaped(body, c.reason);
      body += '"';
    }
    body += '}';
  }
  body += "},\"status\":\"";
  body += ready ? "ok" : "degraded";
  body += "\"}";
  response.status = ready ? 200 : 503;
  response.body = std::move(body);
  return response;
}

}  // namespace coffer::core
