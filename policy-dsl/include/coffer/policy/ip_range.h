#pragma once
// IP address ranges outside policies, with the same parser the IpAddress
// condition operators use: e.g. the appliance's trusted proxies.

#include <string_view>

namespace coffer::policy {

// True when `cidr` ("10.0.0.0/8", "::1", "fd00::/8") parses and holds the
// single address `address`. IPv4 and IPv6 never match each other. Does not
// allocate.
bool AddressInRange(std::string_view address, std::string_view cidr);
// True when `text` is a valid address or CIDR block.
bool IsValidRange(std::string_view text);

}  // namespace coffer::policy
