#include "coffer/core/audit/entry.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "coffer/core/audit/redact.h"
#include "coffer/env/log.h"
#include "coffer/state/store.h"

namespace coffer::core::audit {
namespace {

using nlohmann::json;

// The entry format's version, as MinIO's audit ("1").
constexpr std::string_view kEntryVersion = "1";

std::string Nanos(std::chrono::nanoseconds d) { return std::to_string(d.count()) + "ns"; }

// The IP of "ip:port" or "[v6]:port".
std::string HostOf(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    const auto close = remote.find(']');
    return std::string(
        remote.substr(1, close == std::string_view::npos ? remote.size() - 1 : close - 1));
  }
  return std::string(remote.substr(0, remote.rfind(':')));
}

json HeaderObject(const HeaderList& headers) {
  json out = json::object();
  for (const auto& [name, value] : RedactHeaders(headers)) {
    // Repeated headers are joined as HTTP allows.
    if (out.contains(name)) {
      out[name] = out[name].get<std::string>() + "," + value;
    } else {
      out[name] = value;
    }
  }
  return out;
}

std::string Dump(const json& doc) {
  // Header values may hold any bytes: replace invalid UTF-8 rather than throw.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string_view StatusText(unsigned status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 416:
      return "Requested Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "";
  }
}

std::string BuildRequestEntry(std::string_view deployment_id, base::WallTime time,
                              const HttpRequest& request, const RequestFacts& facts,
                              const RequestOutcome& outcome) {
  json api = json::object();
  api["name"] = facts.api;
  if (!facts.bucket.empty()) api["bucket"] = facts.bucket;
  if (!facts.object.empty()) api["object"] = facts.object;
  api["status"] = std::string(StatusText(outcome.status));
  api["statusCode"] = outcome.status;
  api["rx"] = outcome.rx_bytes;
  api["tx"] = outcome.tx_bytes;
  api["timeToFirstByte"] = Nanos(outcome.time_to_first_byte);
  api["timeToResponse"] = Nanos(outcome.time_to_response);

  json query = json::object();
  for (auto& [key, value] : RedactedQuery(request.target)) query[key] = value;
  json tags = json::object();
  for (const auto& [key, value] : facts.tags) tags[key] = value;

  json doc = json::object();
  doc["version"] = kEntryVersion;
  doc["deploymentid"] = std::string(deployment_id);
  doc["time"] = env::FormatRfc3339(time);
  doc["trigger"] = "incoming";
  doc["event"] = "";
  doc["api"] = std::move(api);
  doc["remotehost"] = HostOf(request.remote_address);
  doc["requestID"] = request.request_id;
  doc["userAgent"] = std::string(request.Header("user-agent"));
  doc["requestMethod"] = request.method;
  doc["requestPath"] = RequestPath(request.target);
  doc["requestHost"] = std::string(request.Header("host"));
  doc["requestQuery"] = std::move(query);
  doc["requestHeader"] = HeaderObject(request.headers);
  doc["responseHeader"] = HeaderObject(outcome.response_headers);
  doc["tags"] = std::move(tags);
  if (!facts.access_key.empty()) doc["accessKey"] = facts.access_key;
  if (!facts.parent_user.empty()) doc["parentUser"] = facts.parent_user;
  if (!facts.error_code.empty()) doc["error"] = facts.error_code;
  if (!request.client_cert_subject.empty()) doc["clientCertSubject"] = request.client_cert_subject;
  if (!facts.deny_policy.empty() || !facts.deny_statement.empty()) {
    doc["deny"] = {{"policy", facts.deny_policy}, {"statement", facts.deny_statement}};
  }
  return Dump(doc);
}

std::string BuildConfigEntry(std::string_view deployment_id, const state::OutboxRecord& record) {
  auto parse = [](const std::string& text) {
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    return value.is_discarded() ? json(text) : value;
  };
  json doc = json::object();
  doc["version"] = kEntryVersion;
  doc["deploymentid"] = std::string(deployment_id);
  doc["time"] = env::FormatRfc3339(record.at);
  doc["trigger"] = "config";
  doc["event"] = "config." + record.action;
  doc["api"] = {{"name", "ConfigApply"},
                {"status", "OK"},
                {"statusCode", 200},
                {"rx", 0},
                {"tx", 0},
                {"timeToFirstByte", "0ns"},
                {"timeToResponse", "0ns"}};
  doc["requestID"] = "config-" + std::to_string(record.seq);
  doc["requestQuery"] = json::object();
  doc["requestHeader"] = json::object();
  doc["responseHeader"] = json::object();
  doc["tags"] = {{"revision", record.revision},
                 {"action", record.action},
                 {"kind", record.kind},
                 {"name", record.name},
                 {"old", parse(record.old_value)},
                 {"new", parse(record.new_value)}};
  return Dump(doc);
}

namespace {

// The HTTP status a key-service error would have at a KES server.
unsigned KeyStatus(std::string_view error_code) {
  if (error_code.empty()) return 200;
  if (error_code == "NOT_FOUND") return 404;
  if (error_code == "ALREADY_EXISTS") return 409;
  if (error_code == "PERMISSION_DENIED" || error_code == "UNAUTHENTICATED") return 403;
  if (error_code == "INVALID_ARGUMENT" || error_code == "FAILED_PRECONDITION") return 400;
  if (error_code == "UNAVAILABLE" || error_code == "DEADLINE_EXCEEDED" ||
      error_code == "RESOURCE_EXHAUSTED") {
    return 503;
  }
  return 500;
}

}  // namespace

std::string BuildKeyEntry(std::string_view deployment_id, base::WallTime time,
                          const KeyOperationFacts& facts) {
  const unsigned status = KeyStatus(facts.error_code);
  std::string event = "kms.";
  for (char c : std::string_view(facts.api).substr(facts.api.find('.') + 1)) {
    event.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  json doc = json::object();
  doc["version"] = kEntryVersion;
  doc["deploymentid"] = std::string(deployment_id);
  doc["time"] = env::FormatRfc3339(time);
  doc["trigger"] = "key-service";
  doc["event"] = event;
  doc["api"] = {{"name", facts.api},
                {"status", std::string(StatusText(status))},
                {"statusCode", status},
                {"rx", 0},
                {"tx", 0},
                {"timeToFirstByte", Nanos(facts.duration)},
                {"timeToResponse", Nanos(facts.duration)}};
  doc["requestID"] = facts.request_id;
  doc["requestQuery"] = json::object();
  doc["requestHeader"] = json::object();
  doc["responseHeader"] = json::object();
  doc["accessKey"] = facts.identity;
  doc["tags"] = {{"key", facts.key}, {"context", facts.context}, {"keyService", facts.key_service}};
  if (!facts.error_code.empty()) doc["error"] = facts.error_code;
  return Dump(doc);
}

}  // namespace coffer::core::audit
