#pragma once
// One audit entry: a JSON document with MinIO's audit fields (version,
// deploymentid, time, trigger, event, api{...}, remotehost, requestID,
// userAgent, requestPath, requestHost, requestQuery, requestHeader,
// responseHeader, accessKey, parentUser, tags, error) plus, on an
// authorization deny, "deny": {"policy", "statement"}. Headers and query are
// redacted (redact.h); bodies never appear. Keys are sorted, so the same
// input gives the same bytes.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/base/clock.h"
#include "coffer/core/http.h"

namespace coffer::state {
struct OutboxRecord;
}

namespace coffer::core::audit {

struct RequestOutcome {
  unsigned status = 0;  // 0 when no response was started.
  HeaderList response_headers;
  std::uint64_t rx_bytes = 0;  // Request body bytes read.
  std::uint64_t tx_bytes = 0;  // Response body bytes written.
  std::chrono::nanoseconds time_to_first_byte{0};
  std::chrono::nanoseconds time_to_response{0};
};

// The entry of one request. `facts` may be empty (a request no handler
// described).
std::string BuildRequestEntry(std::string_view deployment_id, base::WallTime time,
                              const HttpRequest& request, const RequestFacts& facts,
                              const RequestOutcome& outcome);

// The entry of one change applied from the config repo (the store's outbox):
// trigger "config", api.name "ConfigApply", tags revision/action/kind/name/
// old/new (secrets already "(sensitive)"). Its request ID is stable across
// redeliveries: "config-<seq>".
std::string BuildConfigEntry(std::string_view deployment_id, const state::OutboxRecord& record);

// The HTTP reason phrase of a status ("OK", "Forbidden", ...).
std::string_view StatusText(unsigned status);

}  // namespace coffer::core::audit
