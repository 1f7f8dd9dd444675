#pragma once
// Assertions for programmer errors. COFFER_ASSERT stays on in every build type:
// stopping beats running in a wrong state. Never assert on input; return an
// Error instead. COFFER_DCHECK is for expensive checks and runs only when
// COFFER_TESTING is defined (debug, fuzz and simulation builds).

#include <cstdio>
#include <cstdlib>

namespace coffer::base::internal {

[[noreturn]] inline void AssertFail(const char* expr, const char* file, int line) {
  std::fprintf(stderr,
               "{\"level\":\"fatal\",\"component\":\"assert\",\"msg\":\"%s\",\"at\":\"%s:%d\"}\n",
               expr, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace coffer::base::internal

#define COFFER_ASSERT(cond)                                            \
  do {                                                                 \
    if (!(cond)) [[unlikely]] {                                        \
      ::coffer::base::internal::AssertFail(#cond, __FILE__, __LINE__); \
    }                                                                  \
  } while (false)

#if defined(COFFER_TESTING)
#define COFFER_DCHECK(cond) COFFER_ASSERT(cond)
#else
#define COFFER_DCHECK(cond) \
  do {                      \
    (void)sizeof(cond);     \
  } while (false)
#endif

#define COFFER_UNREACHABLE() ::coffer::base::internal::AssertFail("unreachable", __FILE__, __LINE__)
