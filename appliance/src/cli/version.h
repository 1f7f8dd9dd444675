#pragma once
// Build facts baked in by CMake.

#include <string>

namespace coffer::cli {

// "coffer 0.1.0 (git 1a2b3c4d5e6f, Debug)".
std::string VersionLine();
// The source tree this binary was built from (for the embedded default config).
std::string SourceDir();

}  // namespace coffer::cli
