#pragma once
// Redaction of audit entries, in one place. Every header and query value
// that carries a secret (SigV4/SigV2 signatures and credentials, session
// tokens, SSE-C keys, STS passwords and tokens) is replaced by kRedacted
// before an entry leaves the request. Bodies are never audited.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/core/http.h"

namespace coffer::core::audit {

inline constexpr std::string_view kRedacted = "REDACTED";

// True for a header (lower-case name) whose value is a secret.
bool IsSecretHeader(std::string_view name);
// True for a query parameter (any case) whose value is a secret.
bool IsSecretQueryKey(std::string_view name);

// The headers with secret values replaced, in order.
HeaderList RedactHeaders(const HeaderList& headers);

// The query of a request target as decoded (key, value) pairs, secret values
// replaced. Malformed escapes are kept as written.
std::vector<std::pair<std::string, std::string>> RedactedQuery(std::string_view target);

// The path of a request target, decoded (no query).
std::string RequestPath(std::string_view target);

}  // namespace coffer::core::audit
