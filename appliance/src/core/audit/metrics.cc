#include "coffer/core/audit/metrics.h"

#include <cstdio>

#include "coffer/base/bytes.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::audit {
namespace {

// Label values are escaped as the exposition format asks (\\, \", \n).
std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void Send(ResponseWriter& response, unsigned status, std::string_view content_type,
          const std::string& body) {
  const HeaderList headers = {{"content-type", std::string(content_type)}};
  if (response.Start(status, headers, body.size()).has_value() &&
      response.Write(base::AsBytes(body)).has_value()) {
    (void)response.Finish();
  }
}

}  // namespace

void RequestMetrics::Record(std::string_view api, unsigned status,
                            std::chrono::nanoseconds duration) {
  const double seconds = static_cast<double>(duration.count()) / 1e9;
  std::lock_guard lock(mu_);
  auto it = apis_.find(api);
  if (it == apis_.end()) it = apis_.emplace(std::string(api), Api{}).first;
  Api& a = it->second;
  a.by_status[status]++;
  a.count++;
  a.sum_seconds += seconds;
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) a.buckets[i]++;
  }
}

void RequestMetrics::Render(std::string& out) const {
  std::lock_guard lock(mu_);
  Header(out, "coffer_requests_total", "counter", "Requests served, by API and HTTP status.");
  for (const auto& [api, a] : apis_) {
    for (const auto& [status, n] : a.by_status) {
      out += "coffer_requests_total{api=\"" + Label(api) + "\",status=\"" + std::to_string(status) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  Header(out, "coffer_request_duration_seconds", "histogram",
         "Time to response of requests, by API.");
  for (const auto& [api, a] : apis_) {
    const std::string l = "api=\"" + Label(api) + "\"";
    for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      out += "coffer_request_duration_seconds_bucket{" + l + ",le=\"" + Number(kBucketsSeconds[i]) +
             "\"} " + std::to_string(a.buckets[i]) + "\n";
    }
    out += "coffer_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} " +
           std::to_string(a.count) + "\n";
    out += "coffer_request_duration_seconds_sum{" + l + "} " + Number(a.sum_seconds) + "\n";
    out += "coffer_request_duration_seconds_count{" + l + "} " + std::to_string(a.count) + "\n";
  }
}

std::string RenderMetrics(const RequestMetrics& requests, const AuditLog& audit) {
  std::string out;
  const std::vector<TargetStats> stats = audit.Stats();
  struct Counter {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t TargetStats::*field;
  };
  const Counter counters[] = {
      {"coffer_audit_delivered_total", "counter", "Audit entries delivered to the target.",
       &TargetStats::delivered},
      {"coffer_audit_failed_total", "counter", "Failed audit delivery attempts.",
       &TargetStats::failed},
      {"coffer_audit_queued", "gauge", "Audit entries spooled and not yet delivered.",
       &TargetStats::queued},
      {"coffer_audit_dropped_total", "counter",
       "Audit entries dropped because the spool was full (best-effort mode).",
       &TargetStats::dropped},
      {"coffer_audit_refused_total", "counter",
       "Requests refused because the spool was full (strict mode).", &TargetStats::refused},
  };
  for (const Counter& c : counters) {
    Header(out, c.name, c.type, c.help);
    for (const TargetStats& s : stats) {
      out += std::string(c.name) + "{target=\"" + Label(s.id) + "\"} " +
             std::to_string(s.*(c.field)) + "\n";
    }
  }
  Header(out, "coffer_audit_delivery_latency_seconds", "summary",
         "Time to deliver one batch of audit entries.");
  for (const TargetStats& s : stats) {
    const std::string l = "{target=\"" + Label(s.id) + "\"}";
    out += "coffer_audit_delivery_latency_seconds_sum" + l + " " +
           Number(static_cast<double>(s.latency_sum.count()) / 1e9) + "\n";
    out += "coffer_audit_delivery_latency_seconds_count" + l + " " +
           std::to_string(s.latency_count) + "\n";
  }
  requests.Render(out);
  return out;
}

bool MetricsHandler::Owns(const HttpRequest& request) {
  const std::string_view path =
      std::string_view(request.target).substr(0, request.target.find('?'));
  return path == "/metrics" || path == "/minio/v2/metrics/cluster";
}

void MetricsHandler::Serve(const HttpRequest& request, BodyReader& /*body*/,
                           ResponseWriter& response) {
  if (request.facts != nullptr) request.facts->api = "Metrics";
  if (request.method != "GET" && request.method != "HEAD") {
    Send(response, 405, "text/plain", "method not allowed\n");
    return;
  }
  const auto snapshot = snapshots_ ? snapshots_() : nullptr;
  const state::SettingsEntry* appliance =
      snapshot != nullptr ? snapshot->FindSettings("appliance", "appliance") : nullptr;
  const base::Secret* token = nullptr;
  bool is_public = false;
  if (appliance != nullptr) {
    auto it = appliance->secrets.find("metrics.bearer_token");
    if (it != appliance->secrets.end() && it->second.size() > 0) token = &it->second;
    auto pub = appliance->fields.find("metrics.public");
    is_public = pub != appliance->fields.end() && pub->second == "true";
  }
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view auth = request.Header("authorization");
  base::Status allowed = base::Ok();
  if (auth.starts_with(kBearer)) {
    // SECURITY: no token configured means no bearer access; the comparison
    // is constant-time.
    if (token == nullptr || !token->EqualsConstantTime(auth.substr(kBearer.size()))) {
      allowed =
          auth::MakeS3Error(auth::S3ErrorCode::kAccessDenied, "metrics need a valid bearer token");
    }
  } else if (signed_access_ != nullptr && SignedMetricsAccess::IsSigned(request)) {
    auto key = signed_access_->Check(request);
    if (key.has_value()) {
      if (request.facts != nullptr) request.facts->access_key = *key;
    } else {
      allowed = key.error();
    }
  } else if (!is_public) {
    allowed = auth::MakeS3Error(auth::S3ErrorCode::kAccessDenied,
                                "metrics need a bearer token or a request signed by a key "
                                "allowed admin:Prometheus");
  }
  if (!allowed.has_value()) {
    const auth::S3ErrorReply reply = auth::ToS3ErrorReply(allowed.error());
    if (request.facts != nullptr) request.facts->error_code = std::string(reply.info->name);
    const std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                            std::string(reply.info->name) + "</Code><Message>" + reply.message +
                            "</Message><RequestId>" + request.request_id + "</RequestId></Error>";
    Send(response, reply.info->http_status, "application/xml", xml);
    return;
  }
  Send(response, 200, "text/plain; version=0.0.4", RenderMetrics(requests_, audit_));
}

}  // namespace coffer::core::audit
