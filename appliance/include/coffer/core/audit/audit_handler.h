#pragma once
// The auditing decorator around the appliance's one handler (core::Router):
// every request gets a RequestFacts for the handlers to fill, its body and
// response are measured (rx, tx, time to first byte, time to response), and
// its audit entry is made durable in every target's spool before the client
// can see the response complete.
//
// How "durable before acknowledged" is kept: the response's head is held
// back until its first body byte (for HEAD and empty bodies, until the
// handler finishes), and the last piece of a Content-Length body and the
// end of a chunked one are held until the entry is durable. When the entry
// cannot be made durable in a strict target, the held parts are never sent
// and the connection closes: the client never sees success.
//
// Before the inner handler runs, room is reserved in every spool
// (AuditLog::Begin). When a strict target has none, the request is answered
// 503 ServiceUnavailable without running the handler: nothing changes.
//
// Thread-safe.

#include <chrono>
#include <functional>

#include "coffer/core/audit/audit_log.h"
#include "coffer/core/audit/metrics.h"
#include "coffer/core/http.h"
#include "coffer/env/env.h"

namespace coffer::core::audit {

class AuditHandler final : public Handler {
 public:
  // Borrowed references outlive the handler.
  AuditHandler(env::Env& env, Handler& inner, AuditLog& log, RequestMetrics& metrics)
      : env_(env), inner_(inner), log_(log), metrics_(metrics) {}

  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

 private:
  void Refuse(const HttpRequest& request, ResponseWriter& response, std::string_view why);

  env::Env& env_;
  Handler& inner_;
  AuditLog& log_;
  RequestMetrics& metrics_;
};

}  // namespace coffer::core::audit
