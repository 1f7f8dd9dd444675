// IpAddress and NotIpAddress over IPv4 and IPv6 CIDR blocks. An IPv4 address never matches an
// IPv6 block and the reverse, as in AWS.

#include "coffer/policy/ip_range.h"

#include "condition.h"

namespace coffer::policy::internal {
namespace {

std::optional<uint32_t> SmallNumber(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint32_t out = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    out = out * 10 + static_cast<uint32_t>(c - '0');
  }
  if (out > max) return std::nullopt;
  return out;
}

bool ParseV4(std::string_view text, uint8_t* out) {
  for (int part = 0; part < 4; ++part) {
    const size_t dot = part < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos) return false;
    const auto n = SmallNumber(text.substr(0, dot), 255);
    if (!n) return false;
    out[part] = static_cast<uint8_t>(*n);
    text = part < 3 ? text.substr(dot + 1) : std::string_view();
  }
  return true;
}

std::optional<uint32_t> Hex16(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  uint32_t out = 0;
  for (const char c : text) {
    uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    out = out * 16 + d;
  }
  return out;
}

// Parses groups "a:b:c" (possibly with a trailing IPv4) into 16-bit words; returns the count.
int Groups(std::string_view text, uint16_t* words, int max_words) {
  if (text.empty()) return 0;
  int n = 0;
  while (true) {
    const size_t colon = text.find(':');
    const std::string_view group = text.substr(0, colon);
    if (colon == std::string_view::npos && group.find('.') != std::string_view::npos) {
      uint8_t v4[4];
      if (n + 2 > max_words || !ParseV4(group, v4)) return -1;
      words[n++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      words[n++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      return n;
    }
    const auto w = Hex16(group);
    if (!w || n >= max_words) return -1;
    words[n++] = static_cast<uint16_t>(*w);
    if (colon == std::string_view::npos) return n;
    text = text.substr(colon + 1);
  }
}

bool ParseV6(std::string_view text, uint8_t* out) {
  uint16_t words[8] = {};
  const size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (Groups(text, words, 8) != 8) return false;
  } else {
    uint16_t tail[8] = {};
    const int head_n = Groups(text.substr(0, gap), words, 7);
    const int tail_n = Groups(text.substr(gap + 2), tail, 7);
    if (head_n < 0 || tail_n < 0 || head_n + tail_n > 7) return false;
    for (int i = 0; i < tail_n; ++i) words[8 - tail_n + i] = tail[i];
  }
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(words[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(words[i] & 0xFF);
  }
  return true;
}

bool Contains(const Cidr& block, const Cidr& address) {
  if (block.v6 != address.v6) return false;
  uint32_t bits = block.prefix_bits;
  for (size_t i = 0; bits > 0; ++i) {
    const uint32_t take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<uint8_t>(0xFF << (8 - take));
    if ((block.addr[i] & mask) != (address.addr[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

}  // namespace

std::optional<Cidr> ParseCidr(std::string_view text) {
  Cidr out;
  const size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  out.v6 = address.find(':') != std::string_view::npos;
  if (out.v6 ? !ParseV6(address, out.addr.data()) : !ParseV4(address, out.addr.data())) {
    return std::nullopt;
  }
  const uint32_t max_bits = out.v6 ? 128 : 32;
  out.prefix_bits = max_bits;
  if (slash != std::string_view::npos) {
    const auto bits = SmallNumber(text.substr(slash + 1), max_bits);
    if (!bits) return std::nullopt;
    out.prefix_bits = *bits;
  }
  return out;
}

Tri MatchIpValue(const CompiledCondition& c, std::string_view value) {
  const std::optional<Cidr> request = ParseCidr(value);
  if (!request || request->prefix_bits != (request->v6 ? 128u : 32u)) return Tri::kError;
  for (const Cidr& block : c.cidrs) {
    if (Contains(block, *request)) return Tri::kTrue;
  }
  return Tri::kFalse;
}

}  // namespace coffer::policy::internal

namespace coffer::policy {

bool AddressInRange(std::string_view address, std::string_view cidr) {
  const std::optional<internal::Cidr> block = internal::ParseCidr(cidr);
  const std::optional<internal::Cidr> addr = internal::ParseCidr(address);
  if (!block || !addr || addr->prefix_bits != (addr->v6 ? 128u : 32u)) return false;
  return internal::Contains(*block, *addr);
}

bool IsValidRange(std::string_view text) { return internal::ParseCidr(text).has_value(); }

}  // namespace coffer::policy
