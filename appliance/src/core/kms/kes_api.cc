#include "coffer/core/kms/kes_api.h"

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "coffer/env/log.h"
#include "coffer/state/crypto.h"

namespace coffer::core::kms {

using Json = nlohmann::json;

// One request as it goes through: what the audit line will say.
struct KesApi::Call {
  std::string path;      // Without the query.
  std::string api;       // "key/generate", "status", ...
  std::string argument;  // Key name or list pattern.
  std::string identity;
};

namespace {

HttpResponse JsonResponse(unsigned status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.body = body.dump();
  return r;
}

HttpResponse ErrorResponse(unsigned status, std::string_view message) {
  return JsonResponse(status, Json{{"message", std::string(message)}});
}

// KES's statuses for the core's error codes.
HttpResponse FromError(const base::Error& e) {
  switch (e.code()) {
    case base::ErrorCode::kNotFound:
      return ErrorResponse(404, "key does not exist");
    case base::ErrorCode::kAlreadyExists:
      return ErrorResponse(409, "key already exists");
    case base::ErrorCode::kInvalidArgument:
      return ErrorResponse(400, e.message());
    case base::ErrorCode::kDataLoss:
      return ErrorResponse(400, "ciphertext is not authentic");
    case base::ErrorCode::kPermissionDenied:
      return ErrorResponse(403, "not authorized: insufficient permissions");
    case base::ErrorCode::kUnavailable:
    case base::ErrorCode::kResourceExhausted:
      return ErrorResponse(503, "key store unavailable");
    default:
      return ErrorResponse(500, "internal error");
  }
}

// A base64 field of a JSON body: nullopt when absent (and not `required`),
// an error when present but not base64.
base::Result<std::optional<std::string>> Base64Field(const Json& body, const char* name,
                                                     bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return base::InvalidArgument(std::string("missing field ") + name);
    return std::optional<std::string>();
  }
  if (!it->is_string()) return base::InvalidArgument(std::string(name) + " must be a string");
  std::optional<std::string> raw = state::Base64Decode(it->get<std::string>());
  if (!raw) return base::InvalidArgument(std::string(name) + " is not base64");
  return raw;
}

// The method each API takes (KES's).
std::string_view MethodOf(std::string_view api) {
  if (api == "key/delete") return "DELETE";
  if (api == "key/list" || api == "status" || api == "version") return "GET";
  return "POST";
}

bool IsKeyApi(std::string_view api) {
  for (std::string_view a : {"key/create", "key/import", "key/delete", "key/list", "key/generate",
                             "key/encrypt", "key/decrypt", "key/rotate", "key/rewrap"}) {
    if (api == a) return true;
  }
  return false;
}

}  // namespace

KesApi::KesApi(env::Env& env, LocalKeyService& keys, const KesPolicySet& policies,
               KesAuditSink audit, std::string version)
    : env_(env),
      keys_(keys),
      policies_(policies),
      audit_(std::move(audit)),
      version_(std::move(version)),
      started_(env.clock().Monotonic()) {}

HttpResponse KesApi::Handle(const HttpRequest& request) {
  Call call;
  call.path = request.target.substr(0, request.target.find('?'));
  call.identity = request.client_cert_spki_sha256;
  HttpResponse response = Dispatch(call, request);
  Audit(call, request, response.status);
  if (request.facts != nullptr) {
    request.facts->api = "kms:" + call.api;
    if (response.status >= 400) request.facts->error_code = std::to_string(response.status);
  }
  return response;
}

HttpResponse KesApi::Dispatch(Call& call, const HttpRequest& request) {
  // Split "/v1/key/generate/NAME" into api "key/generate" and argument NAME.
  std::string_view path = call.path;
  if (path == "/version") {
    call.api = "version";
  } else if (path == "/v1/status") {
    call.api = "status";
  } else if (path.starts_with("/v1/key/")) {
    std::string_view rest = path.substr(8);
    const auto slash = rest.find('/');
    call.api = "key/" + std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) call.argument = std::string(rest.substr(slash + 1));
  }
  // SECURITY: the shell requires a verified certificate; an identity no
  // policy names is refused before anything else, as KES does.
  const KesDecision decision = policies_.Decide(call.identity, call.path);
  if (decision == KesDecision::kUnknownIdentity) {
    return ErrorResponse(403, "not authorized: unknown identity");
  }
  if (call.api.empty() || (call.api != "version" && call.api != "status" && !IsKeyApi(call.api))) {
    call.api = "unknown";
    return ErrorResponse(404, "no such API");
  }
  if (request.method != MethodOf(call.api)) return ErrorResponse(405, "method not allowed");
  if (call.api == "version") return JsonResponse(200, Json{{"version", version_}});
  if (decision != KesDecision::kAllow) {
    return ErrorResponse(403, "not authorized: insufficient permissions");
  }
  if (call.api == "status") {
    auto status = keys_.Status();
    const auto uptime = env_.clock().Monotonic() - started_;
    return JsonResponse(
        200,
        Json{{"version", version_},
             {"uptime", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
             {"kms", {{"state", status.has_value() && status->ready ? "reachable" : "down"}}}});
  }
  return KeyCall(call, request);
}

HttpResponse KesApi::KeyCall(Call& call, const HttpRequest& request) {
  const std::string& name = call.argument;
  if (call.api == "key/list") {
    auto keys = keys_.ListKeys(name.empty() ? "*" : name);
    if (!keys.has_value()) return FromError(keys.error());
    HttpResponse r;
    r.headers.emplace_back("content-type", "application/x-ndjson");
    for (const env::KeyInfo& k : *keys) {
      r.body += Json{{"name", k.name}, {"latest_version", k.latest_version}}.dump() + "\n";
    }
    return r;
  }
  if (auto valid = ValidateKeyName(name); !valid.has_value()) return FromError(valid.error());
  if (call.api == "key/create") {
    auto s = keys_.CreateKey(name);
    return s.has_value() ? JsonResponse(200, Json::object()) : FromError(s.error());
  }
  if (call.api == "key/delete") {
    auto s = keys_.DeleteKey(name);
    return s.has_value() ? JsonResponse(200, Json::object()) : FromError(s.error());
  }
  if (call.api == "key/rotate") {
    auto info = keys_.RotateKey(name);
    if (!info.has_value()) return FromError(info.error());
    return JsonResponse(200, Json{{"name", info->name}, {"latest_version", info->latest_version}});
  }
  Json body = Json::parse(request.body.empty() ? std::string_view("{}") : request.body, nullptr,
                          /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrorResponse(400, "body is not a JSON object");
  auto context = Base64Field(body, "context", false);
  if (!context.has_value()) return FromError(context.error());
  const std::string ctx = context->value_or("");
  if (call.api == "key/import") {
    auto bytes = Base64Field(body, "bytes", true);
    if (!bytes.has_value()) return FromError(bytes.error());
    auto s = keys_.ImportKey(name, base::Secret(std::move(**bytes)));
    return s.has_value() ? JsonResponse(200, Json::object()) : FromError(s.error());
  }
  if (call.api == "key/generate") {
    auto dk = keys_.GenerateKey(name, ctx);
    if (!dk.has_value()) return FromError(dk.error());
    // SECURITY: the plaintext data key goes to this authorized client only;
    // the audit line never carries it.
    return JsonResponse(200, Json{{"plaintext", state::Base64Encode(dk->plaintext.Reveal())},
                                  {"ciphertext", state::Base64Encode(dk->ciphertext)}});
  }
  if (call.api == "key/encrypt") {
    auto plaintext = Base64Field(body, "plaintext", true);
    if (!plaintext.has_value()) return FromError(plaintext.error());
    auto ct = keys_.Encrypt(name, **plaintext, ctx);
    if (!ct.has_value()) return FromError(ct.error());
    return JsonResponse(200, Json{{"ciphertext", state::Base64Encode(*ct)}});
  }
  auto ciphertext = Base64Field(body, "ciphertext", true);
  if (!ciphertext.has_value()) return FromError(ciphertext.error());
  if (call.api == "key/decrypt") {
    auto pt = keys_.Decrypt(name, **ciphertext, ctx);
    if (!pt.has_value()) return FromError(pt.error());
    return JsonResponse(200, Json{{"plaintext", state::Base64Encode(pt->Reveal())}});
  }
  auto ct = keys_.Rewrap(name, **ciphertext, ctx);  // key/rewrap
  if (!ct.has_value()) return FromError(ct.error());
  return JsonResponse(200, Json{{"ciphertext", state::Base64Encode(*ct)}});
}

void KesApi::Audit(const Call& call, const HttpRequest& request, unsigned status) {
  if (!audit_) return;
  Json line{{"time", env::FormatRfc3339(env_.clock().Now())},
            {"request",
             {{"path", call.path},
              {"identity", call.identity},
              {"ip", request.remote_address},
              {"api", call.api},
              {"key", call.argument}}},
            {"response", {{"code", status}}}};
  audit_(line.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace coffer::core::kms
