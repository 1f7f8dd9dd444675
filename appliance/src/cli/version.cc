#include "version.h"

#include <cstdio>

#include "coffer/build_info.h"

namespace coffer::cli {

std::string VersionLine() {
  return std::string("coffer ") + COFFER_VERSION + " (git " + COFFER_GIT_REVISION + ", " +
         COFFER_BUILD_TYPE + ")";
}

std::string SourceDir() { return COFFER_SOURCE_DIR; }

}  // namespace coffer::cli
