#pragma once
// The desired state's source, as the reconcile loop sees it: the files of a
// config repo, the revision they are at, and the secrets they reference. The
// daemon binds it to a Git work tree on disk (cli/dir_config_repo.h); the
// simulator binds it to an in-memory repo whose commits it scripts.

#include "coffer/base/result.h"
#include "coffer/state/config.h"
#include "coffer/state/revision.h"
#include "coffer/state/secrets.h"

namespace coffer::core::reconcile {

class ConfigRepo {
 public:
  virtual ~ConfigRepo() = default;
  // Every *.toml and *.json file by repo-relative path ('/' separators).
  // Errors: kNotFound when the repo is missing, kUnavailable on a read error.
  virtual base::Result<state::ConfigTree> Read() = 0;
  // The revision `tree` (just returned by Read) is at: the commit and its
  // author (dirty when the files differ from it), or a content digest.
  virtual state::Revision Describe(const state::ConfigTree& tree) = 0;
  // Resolves the repo's secret references (env:, file:, sealed:). Called once
  // per pass, after a successful Read.
  virtual state::SecretResolver& Secrets() = 0;
};

}  // namespace coffer::core::reconcile
