#pragma once
// One flag-parsing idiom for every verb: Boost.Program_options, a clear message
// and exit code 2 for an unknown flag or a bad value, --help to stdout.
//
//   po::options_description desc("coffer serve");
//   desc.add_options()("data", po::value<std::string>(), "...");
//   po::variables_map vm;
//   if (auto exit = ParseFlags("coffer serve", desc, args, vm)) return *exit;

#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>

#include "commands.h"

namespace coffer::cli {

namespace po = boost::program_options;

// Parses `args` into `vm`. Returns an exit code when the caller should stop
// (0 after --help, 2 on a usage error), nullopt to go on. `positional` names
// the option that receives positional arguments (empty: none allowed).
inline std::optional<int> ParseFlags(const std::string& command, po::options_description& desc,
                                     const Args& args, po::variables_map& vm,
                                     const std::string& positional = "") {
  desc.add_options()("help,h", "show this help");
  try {
    po::positional_options_description pos;
    if (!positional.empty()) pos.add(positional.c_str(), -1);
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help") != 0) {
      std::ostringstream out;
      out << desc;
      std::printf("usage: %s [options]\n%s", command.c_str(), out.str().c_str());
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    // Boost.Program_options reports through exceptions; they stop here.
    std::fprintf(stderr, "%s: %s\nRun '%s --help' for the options.\n", command.c_str(), e.what(),
                 command.c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace coffer::cli
