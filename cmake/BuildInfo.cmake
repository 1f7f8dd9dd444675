# Run at build time (cmake -P) so the git revision is current on every build,
# not only at configure time. Rewrites the header only when it changes, so an
# unchanged revision rebuilds nothing.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT rev)
  set(rev "unknown")
endif()
execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(dirty)
  string(APPEND rev "-dirty")
endif()
set(content "#pragma once
// Generated at build time by cmake/BuildInfo.cmake; do not edit.
#define COFFER_VERSION \"${VERSION}\"
#define COFFER_GIT_REVISION \"${rev}\"
#define COFFER_BUILD_TYPE \"${BUILD_TYPE}\"
#define COFFER_SOURCE_DIR \"${SOURCE_DIR}\"
")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
