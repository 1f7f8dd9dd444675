#pragma once
// MinIO's canned policies, by MinIO's names: readonly, readwrite, writeonly, diagnostics and
// consoleAdmin. They are kept as JSON text so that they go through the same parser, validator
// and compiler as any other policy. Pure data; thread-safe.

#include <optional>
#include <span>
#include <string_view>

namespace coffer::policy {

// Returns the JSON text of the built-in policy `name`, or nullopt when there is none.
std::optional<std::string_view> BuiltinPolicyJson(std::string_view name);

// Returns the names of all built-in policies, in a stable order.
std::span<const std::string_view> BuiltinPolicyNames();

}  // namespace coffer::policy
