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

// One key-service operation (issue #11's key source): who asked (the
// appliance's identity at the key service), which API on which key, bound to
// which context, and how it ended. Never key material: no plaintext, no
// ciphertext.
struct KeyOperationFacts {
  std::string request_id;   // "kms-<16 hex>".
  std::string api;          // "KMS.GenerateKey", "KMS.Decrypt", ...
  std::string key;          // The master key's name ("" for a list of all).
  std::string context;      // The encryption context (bucket/object JSON).
  std::string identity;     // The caller at the key service.
  std::string key_service;  // "in-process" or the server's address.
  std::string error_code;   // "" on success, else base::ErrorCodeName (NOT_FOUND, ...).
  std::chrono::nanoseconds duration{0};
};

// The entry of a key-service operation: trigger "key-service", event
// "kms.<api>", api.name `api`, statusCode 200 or the code's HTTP analogue,
// accessKey the identity, tags {key, context, keyService}.
std::string BuildKeyEntry(std::string_view deployment_id, base::WallTime time,
                          const KeyOperationFacts& facts);

// The HTTP reason phrase of a status ("OK", "Forbidden", ...).
std::string_view StatusText(unsigned status);

}  // namespace coffer::core::audit
