#pragma once
// The production binding of core::reconcile::ConfigRepo: a config repo
// directory on disk (normally a Git work tree), its revision from `git`, and
// secrets from the environment, files in the repo and the appliance's seal
// key. Shell code: it reads files and runs git.

#include <memory>
#include <optional>
#include <string>

#include "coffer/base/random.h"
#include "coffer/core/health.h"
#include "coffer/core/reconcile/config_repo.h"
#include "coffer/core/reconcile/reconciler.h"
#include "coffer/env/env.h"
#include "coffer/state/secrets.h"

namespace coffer::cli {

class DirConfigRepo final : public core::reconcile::ConfigRepo {
 public:
  // `key_dir` holds seal.key (see repo_access.h).
  DirConfigRepo(std::string dir, std::string key_dir, base::Random& random)
      : dir_(std::move(dir)), key_dir_(std::move(key_dir)), random_(random) {}

  base::Result<state::ConfigTree> Read() override;
  state::Revision Describe(const state::ConfigTree& tree) override;
  state::SecretResolver& Secrets() override;

 private:
  std::string dir_;
  std::string key_dir_;
  base::Random& random_;
  std::optional<state::StandardSecretResolver> resolver_;
};

// Opens (creating) the store at `store_path` and the master key in `key_dir`
// and returns the reconcile loop over `repo`. Errors: the store or the key
// cannot be opened; these stop the daemon.
base::Result<std::unique_ptr<core::reconcile::Reconciler>> OpenReconciler(
    core::reconcile::ConfigRepo& repo, const std::string& store_path, const std::string& key_dir,
    env::Env& env, core::Health& health);

}  // namespace coffer::cli
