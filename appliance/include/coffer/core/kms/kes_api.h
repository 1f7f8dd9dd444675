#pragma once
// KesApi: KES's HTTP API over a LocalKeyService, for `coffer kms serve`. The
// shell terminates mTLS and hands over the client's identity
// (HttpRequest::client_cert_spki_sha256); this handler authorizes each call
// with the KesPolicySet, runs it, and writes one audit line per request.
//
// Endpoints (KES's, JSON bodies with base64 byte strings):
//   GET    /version                      {"version"}
//   GET    /v1/status                    {"version","uptime","kms":{"state"}}
//   POST   /v1/key/create/NAME
//   POST   /v1/key/import/NAME           {"bytes"}
//   DELETE /v1/key/delete/NAME
//   GET    /v1/key/list/PATTERN          ndjson {"name","latest_version"}
//   POST   /v1/key/generate/NAME         {"context"?} -> {"plaintext","ciphertext"}
//   POST   /v1/key/encrypt/NAME          {"plaintext","context"?} -> {"ciphertext"}
//   POST   /v1/key/decrypt/NAME          {"ciphertext","context"?} -> {"plaintext"}
// and two Coffer extensions for rotation:
//   POST   /v1/key/rotate/NAME           -> {"name","latest_version"}
//   POST   /v1/key/rewrap/NAME           {"ciphertext","context"?} -> {"ciphertext"}
//
// Errors answer {"message": "..."} with KES's statuses: 400 bad request or a
// ciphertext that does not open, 403 unknown identity or not allowed by the
// policy, 404 no such key, 405 wrong method, 409 key exists, 503 store down.
//
// Audit line (JSON, one per request, never key material):
//   {"time","request":{"path","identity","ip","api","key"},"response":{"code"}}

#include <functional>
#include <string>
#include <string_view>

#include "coffer/core/http.h"
#include "coffer/core/kms/kes_policy.h"
#include "coffer/core/kms/local_key_service.h"
#include "coffer/env/env.h"

namespace coffer::core::kms {

// Receives one finished audit line (no trailing newline). Must be thread-safe.
using KesAuditSink = std::function<void(std::string_view line)>;

class KesApi final : public RequestHandler {
 public:
  // `env`, `keys` and `policies` must outlive the handler. `version` is what
  // /version reports.
  KesApi(env::Env& env, LocalKeyService& keys, const KesPolicySet& policies, KesAuditSink audit,
         std::string version);

  // Thread-safe.
  HttpResponse Handle(const HttpRequest& request) override;

  // The largest body a call takes (a 1 MiB plaintext in base64 plus JSON).
  static constexpr std::size_t kBodyLimitBytes = 2 * 1024 * 1024;

 private:
  struct Call;
  HttpResponse Dispatch(Call& call, const HttpRequest& request);
  HttpResponse KeyCall(Call& call, const HttpRequest& request);
  void Audit(const Call& call, const HttpRequest& request, unsigned status);

  env::Env& env_;
  LocalKeyService& keys_;
  const KesPolicySet& policies_;
  KesAuditSink audit_;
  std::string version_;
  base::MonoTime started_;
};

}  // namespace coffer::core::kms
