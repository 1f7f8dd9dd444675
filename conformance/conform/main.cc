// coffer-conform: black-box, property-based security conformance against a live S3 endpoint.
// `coffer conform ...` runs this binary. See run.h.

#include <cstdio>
#include <string>
#include <vector>

#include "run.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = coffer::conform::ParseOptions(args);
  if (!options.has_value()) {
    if (options.error().message() == "help") {
      std::fputs(coffer::conform::kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "coffer conform: %s\n\n%s", options.error().message().c_str(),
                 coffer::conform::kUsage);
    return 2;
  }
  return coffer::conform::Run(*options);
}
