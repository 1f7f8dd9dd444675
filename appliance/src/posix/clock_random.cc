#include <unistd.h>

#include <chrono>
#include <limits>

#include <openssl/rand.h>

#include "coffer/base/assert.h"
#include "coffer/posix/posix_env.h"

namespace coffer::posix {

base::WallTime SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

base::MonoTime SystemClock::Monotonic() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

OpenSslRandom::OpenSslRandom() : ctx_(OSSL_LIB_CTX_new()) { COFFER_ASSERT(ctx_ != nullptr); }

OpenSslRandom::~OpenSslRandom() { OSSL_LIB_CTX_free(ctx_); }

void OpenSslRandom::Fill(std::span<std::byte> out) {
  if (out.empty()) return;
  // SECURITY: a DRBG failure means no trustworthy randomness is left; keys made
  // from anything else would be guessable, so stopping is the only safe move.
  const int ok = RAND_bytes_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), out.size(), 0);
  COFFER_ASSERT(ok == 1);
}

std::uint64_t OpenSslRandom::Uniform(std::uint64_t lo, std::uint64_t hi) {
  COFFER_ASSERT(lo <= hi);
  const std::uint64_t span = hi - lo;
  if (span == std::numeric_limits<std::uint64_t>::max()) {
    std::uint64_t v;
    Fill(std::as_writable_bytes(std::span(&v, 1)));
    return v;
  }
  const std::uint64_t range = span + 1;
  // Rejection sampling: drop the top sliver that would bias the modulo.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              (std::numeric_limits<std::uint64_t>::max() % range);
  for (;;) {
    std::uint64_t v;
    Fill(std::as_writable_bytes(std::span(&v, 1)));
    if (v < limit) return lo + v % range;
  }
}

void FdLogSink::Write(std::string_view line) {
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line);
  buf.push_back('\n');
  std::lock_guard lock(mu_);
  std::size_t off = 0;
  while (off < buf.size()) {
    const ssize_t n = ::write(fd_, buf.data() + off, buf.size() - off);
    if (n <= 0) return;  // A log sink has nowhere to report its own failure.
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace coffer::posix
