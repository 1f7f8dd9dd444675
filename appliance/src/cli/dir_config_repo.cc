#include "dir_config_repo.h"

#include "coffer/state/config_files.h"
#include "coffer/state/store.h"

#include "repo_access.h"

namespace coffer::cli {

base::Result<state::ConfigTree> DirConfigRepo::Read() {
  // Re-read seal.key each pass, so a key installed after start is used.
  resolver_.emplace(ResolverFor(dir_, key_dir_, random_));
  return state::ReadConfigDir(dir_);
}

state::Revision DirConfigRepo::Describe(const state::ConfigTree& tree) {
  return state::DescribeRevision(dir_, tree, random_.LibCtx());
}

state::SecretResolver& DirConfigRepo::Secrets() {
  if (!resolver_) resolver_.emplace(ResolverFor(dir_, key_dir_, random_));
  return *resolver_;
}

base::Result<std::unique_ptr<core::reconcile::Reconciler>> OpenReconciler(
    core::reconcile::ConfigRepo& repo, const std::string& store_path, const std::string& key_dir,
    env::Env& env, core::Health& health) {
  COFFER_ASSIGN_OR_RETURN(auto store, state::Store::Open(store_path, state::StoreOptions{}));
  COFFER_ASSIGN_OR_RETURN(auto key, MasterKeyFor(key_dir, env.random(), /*create=*/true));
  return std::make_unique<core::reconcile::Reconciler>(repo, env, health, std::move(store),
                                                       std::move(key));
}

}  // namespace coffer::cli
