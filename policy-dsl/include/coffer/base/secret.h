#pragma once
// Secret: bytes that must never reach a log, an error message or plan output.
// It has no stream operator and no implicit conversion to a string; code that
// needs the bytes (HMAC, a KDF) asks for them with Reveal(), which is easy to
// grep for in review. The destructor wipes the buffer.

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace coffer::base {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string bytes) : bytes_(std::move(bytes)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) { other.Wipe(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      Wipe();
      bytes_ = std::move(other.bytes_);
      other.Wipe();
    }
    return *this;
  }
  ~Secret() { Wipe(); }

  // SECURITY: the only way to the bytes. Never pass the result to a logger.
  std::string_view Reveal() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }
  std::size_t size() const { return bytes_.size(); }

  // Constant-time comparison: the time taken does not depend on where the
  // first differing byte is.
  bool EqualsConstantTime(std::string_view other) const {
    if (other.size() != bytes_.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < bytes_.size(); ++i) {
      diff |= static_cast<unsigned char>(bytes_[i] ^ other[i]);
    }
    return diff == 0;
  }

 private:
  void Wipe() {
    if (!bytes_.empty()) {
      // A volatile pointer keeps the compiler from dropping the stores.
      volatile char* p = bytes_.data();
      for (std::size_t i = 0; i < bytes_.size(); ++i) p[i] = 0;
    }
    bytes_.clear();
  }

  std::string bytes_;
};

}  // namespace coffer::base
