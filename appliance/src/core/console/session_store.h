#pragma once
// The console's sessions: random ids mapped to a principal and a CSRF token,
// in memory only, bounded, with an idle and an absolute expiry measured on the
// monotonic clock (a wall-clock step neither ends nor extends a session).
// Thread-safe.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "coffer/base/clock.h"
#include "coffer/base/random.h"
#include "coffer/core/console/console.h"

namespace coffer::core::console {

struct SessionView {
  std::string csrf_token;
  std::shared_ptr<const Principal> principal;
  std::chrono::seconds expires_in{0};  // Until the absolute expiry.
};

class SessionStore {
 public:
  SessionStore(base::Clock& clock, base::Random& random, std::chrono::seconds idle_timeout,
               std::chrono::seconds absolute_timeout, std::size_t max_sessions);

  struct Created {
    std::string id;  // The cookie value: 64 hex digits (256 random bits).
    std::string csrf_token;
  };
  // Opens a session for `principal`, evicting expired sessions first and,
  // when still full, the one idle the longest.
  Created Create(std::shared_ptr<const Principal> principal);

  // The live session `id` names, its idle timer restarted; nullopt when there
  // is none or it has expired (an expired session is deleted).
  std::optional<SessionView> Touch(std::string_view id);

  // Deletes session `id`. Returns whether it existed.
  bool Remove(std::string_view id);

  std::size_t size() const;

 private:
  struct Session {
    std::string csrf_token;
    std::shared_ptr<const Principal> principal;
    base::MonoTime created{};
    base::MonoTime last_used{};
  };
  bool Expired(const Session& session, base::MonoTime now) const;
  void EvictLocked(base::MonoTime now);
  std::string RandomHexLocked();

  base::Clock& clock_;
  base::Random& random_;
  const std::chrono::seconds idle_timeout_;
  const std::chrono::seconds absolute_timeout_;
  const std::size_t max_sessions_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace coffer::core::console
