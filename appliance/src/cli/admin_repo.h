#pragma once
// The Git side of `coffer admin`: the config repo as a Git work tree. Runs the git CLI with
// fork/exec (argv, never a shell string), writes the edited files, and commits exactly them
// with the operator as author. Shell code: files, processes and the environment.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/state/config.h"

namespace coffer::cli {

struct GitOutput {
  int exit_code = -1;  // -1: git could not be started.
  std::string output;  // stdout and stderr together, trailing newline trimmed.
};

// Runs `git -C dir ARGS...` with `extra_env` ("NAME=value") added to the environment.
GitOutput RunGit(const std::string& dir, const std::vector<std::string>& args,
                 const std::vector<std::string>& extra_env = {});

// kFailedPrecondition unless `dir` is inside a Git work tree.
base::Status RequireWorkTree(const std::string& dir);

// kFailedPrecondition naming the files when any of `paths` (relative to `dir`) has changes
// that are not committed (modified, staged, deleted or untracked).
base::Status RequireClean(const std::string& dir, const std::set<std::string>& paths);

// "Name <mail>": `flag` when given, else git config user.name/user.email, else $USER.
base::Result<std::string> ResolveAuthor(const std::string& dir, const std::string& flag);

// The first configured remote, or nullopt.
std::optional<std::string> FirstRemote(const std::string& dir);

// Writes each path of `paths` from `tree` (deleting the ones `tree` no longer holds), stages
// exactly those paths and commits them with `message` as `author`. On a failed commit the
// files are put back as they were in `before` and unstaged. Returns the new commit's id.
base::Result<std::string> WriteAndCommit(const std::string& dir, const state::ConfigTree& before,
                                         const state::ConfigTree& tree,
                                         const std::set<std::string>& paths,
                                         const std::string& message, const std::string& author);

}  // namespace coffer::cli
