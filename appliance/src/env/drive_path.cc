#include "coffer/env/drive.h"

namespace coffer::env {

base::Status ValidateDrivePath(std::string_view path, bool allow_root) {
  if (path.empty()) {
    if (allow_root) return base::Ok();
    return base::InvalidArgument("empty drive path");
  }
  if (path.front() == '/') return base::InvalidArgument("absolute drive path");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    // SECURITY: "." and ".." would let an object name escape its folder.
    if (part.empty() || part == "." || part == "..") {
      return base::InvalidArgument("bad drive path component");
    }
    if (part.find('\0') != std::string_view::npos) {
      return base::InvalidArgument("NUL in drive path");
    }
    start = end + 1;
  }
  return base::Ok();
}

}  // namespace coffer::env
