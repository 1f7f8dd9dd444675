#pragma once
// Where `coffer serve` keeps things under its data folder, in one place so
// that serve, heal and the GitOps verbs agree:
//   DATA/drive1 .. DATA/driveN   the erasure set's drives (N = 4 by default)
//   DATA/iam.db                  the SQLite IAM store
//   DATA/master.key, seal.key    the appliance's key files (0600)
//   DATA/root.credentials        generated root credentials (0600)

#include <string>
#include <vector>

namespace coffer::cli {

inline constexpr int kDefaultDriveCount = 4;

inline std::vector<std::string> DriveFolders(const std::string& data_dir, int count) {
  std::vector<std::string> out;
  for (int i = 1; i <= count; ++i) out.push_back(data_dir + "/drive" + std::to_string(i));
  return out;
}

inline std::string StorePath(const std::string& data_dir) { return data_dir + "/iam.db"; }

}  // namespace coffer::cli
