#pragma once
// coffer-load: an S3 load generator on Boost.Asio/Beast that signs with
// Coffer's own SigV4 signer, so benchmark results measure the server and not
// the speed of a Python client. See conformance/perf/README.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coffer::perf {

// Parses "4096", "4KiB", "4K", "1MiB", "5GiB" (binary units; "KB"/"MB"/"GB"
// are accepted as the same binary units, as most load tools do). nullopt when
// malformed or zero.
std::optional<std::uint64_t> ParseSize(std::string_view text);

// "4KiB", "1MiB", "5GiB" when exact, else the byte count.
std::string SizeLabel(std::uint64_t bytes);

// The whole tool; returns the process exit code (0: ran, even with request
// errors, which are reported in the JSON line; 1: setup failed; 2: usage).
int RunLoad(int argc, char** argv);

}  // namespace coffer::perf
