// `coffer heal`: the offline repair verb over the production POSIX drives.

#include "heal_command.h"

#include <cstdio>
#include <string>

#include <boost/asio/io_context.hpp>

#include "coffer/core/storage/erasure_set.h"
#include "coffer/posix/posix_env.h"

#include "data_layout.h"
#include "options.h"

namespace coffer::cli {
namespace {

const char* OutcomeName(core::storage::HealOutcome outcome) {
  switch (outcome) {
    case core::storage::HealOutcome::kHealthy:
      return "ok";
    case core::storage::HealOutcome::kHealed:
      return "healed";
    case core::storage::HealOutcome::kWouldHeal:
      return "needs-heal";
    case core::storage::HealOutcome::kUnrecoverable:
      return "UNRECOVERABLE";
    case core::storage::HealOutcome::kFailed:
      return "FAILED";
  }
  return "?";
}

const char* DriveStateName(core::storage::DriveState state) {
  switch (state) {
    case core::storage::DriveState::kOk:
      return "ok";
    case core::storage::DriveState::kMissing:
      return "missing";
    case core::storage::DriveState::kForeign:
      return "foreign";
    case core::storage::DriveState::kReplaced:
      return "replaced";
  }
  return "?";
}

void PrintReport(const core::storage::HealReport& report, bool dry_run) {
  for (const auto& d : report.drives) {
    std::printf("drive %d %s: %s%s%s\n", d.index, d.location.c_str(), DriveStateName(d.state),
                d.detail.empty() ? "" : ", ", d.detail.c_str());
  }
  for (const auto& a : report.bucket_actions) std::printf("%s\n", a.c_str());
  for (const auto& o : report.objects) {
    std::printf("%s/%s: %s\n", o.bucket.c_str(), o.key.c_str(), OutcomeName(o.outcome));
    for (const auto& a : o.actions) std::printf("  %s\n", a.c_str());
  }
  std::printf("%s: %llu healthy, %llu %s, %llu unrecoverable, %llu failed\n",
              dry_run ? "dry run" : "heal", static_cast<unsigned long long>(report.healthy),
              static_cast<unsigned long long>(report.healed), dry_run ? "need healing" : "healed",
              static_cast<unsigned long long>(report.unrecoverable),
              static_cast<unsigned long long>(report.failed));
}

}  // namespace

int RunHeal(const Args& args) {
  std::string data = "./coffer-data";
  int drives = 4;
  po::options_description desc("coffer heal");
  desc.add_options()("data", po::value(&data)->default_value(data),
                     "data folder whose drive1..N form the set")(
      "drives", po::value(&drives)->default_value(drives), "number of drives in the set")(
      "dry-run", "report what would be repaired without changing anything");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer heal", desc, args, vm)) return *exit;
  if (drives < 2 || drives > 32) {
    std::fprintf(stderr, "coffer heal: --drives must be between 2 and 32\n");
    return 2;
  }
  const bool dry_run = vm.count("dry-run") != 0;
  boost::asio::io_context io;
  posix::PosixEnv env(io, env::LogLevel::kWarn);
  core::storage::ErasureSetOptions options;
  options.drive_locations = DriveFolders(data, drives);
  options.adopt_empty_drives = !dry_run;
  options.heal_on_read = false;
  auto set = core::storage::ErasureSet::Open(env, options);
  if (!set) {
    std::fprintf(stderr, "coffer heal: %s\n", set.error().ToString().c_str());
    return 1;
  }
  auto report = (*set)->HealAll(core::storage::HealOptions{dry_run});
  if (!report) {
    std::fprintf(stderr, "coffer heal: %s\n", report.error().ToString().c_str());
    return 1;
  }
  PrintReport(*report, dry_run);
  return report->unrecoverable == 0 && report->failed == 0 ? 0 : 1;
}

}  // namespace coffer::cli
