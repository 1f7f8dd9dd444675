#pragma once
// Views between text and bytes. Coffer passes binary data as std::span<const
// std::byte>; these helpers convert without copying.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace coffer::base {

inline std::span<const std::byte> AsBytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

inline std::span<std::byte> AsWritableBytes(std::string& s) {
  return std::as_writable_bytes(std::span<char>(s.data(), s.size()));
}

inline std::string_view AsChars(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace coffer::base
