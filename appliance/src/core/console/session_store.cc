#include "session_store.h"

#include <array>
#include <cstddef>
#include <utility>

#include "coffer/base/assert.h"

namespace coffer::core::console {

SessionStore::SessionStore(base::Clock& clock, base::Random& random,
                           std::chrono::seconds idle_timeout, std::chrono::seconds absolute_timeout,
                           std::size_t max_sessions)
    : clock_(clock),
      random_(random),
      idle_timeout_(idle_timeout),
      absolute_timeout_(absolute_timeout),
      max_sessions_(max_sessions == 0 ? 1 : max_sessions) {}

bool SessionStore::Expired(const Session& session, base::MonoTime now) const {
  return now - session.last_used >= idle_timeout_ || now - session.created >= absolute_timeout_;
}

// SECURITY: 32 bytes from the Env's random (OpenSSL's DRBG in production), so
// a session id or CSRF token cannot be guessed.
std::string SessionStore::RandomHexLocked() {
  std::array<std::byte, 32> bytes{};
  random_.Fill(bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    const auto v = static_cast<unsigned>(b);
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 0xf]);
  }
  return out;
}

void SessionStore::EvictLocked(base::MonoTime now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
  while (sessions_.size() >= max_sessions_) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    sessions_.erase(oldest);
  }
}

SessionStore::Created SessionStore::Create(std::shared_ptr<const Principal> principal) {
  COFFER_ASSERT(principal != nullptr);
  const base::MonoTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  EvictLocked(now);
  Created created;
  do {
    created.id = RandomHexLocked();
  } while (sessions_.contains(created.id));
  created.csrf_token = RandomHexLocked();
  sessions_.emplace(created.id, Session{created.csrf_token, std::move(principal), now, now});
  return created;
}

std::optional<SessionView> SessionStore::Touch(std::string_view id) {
  const base::MonoTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  const auto left = absolute_timeout_ - (now - it->second.created);
  return SessionView{it->second.csrf_token, it->second.principal,
                     std::chrono::duration_cast<std::chrono::seconds>(left)};
}

bool SessionStore::Remove(std::string_view id) {
  std::lock_guard lock(mu_);
  return sessions_.erase(std::string(id)) > 0;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace coffer::core::console
