// ldap_e2e_probe: runs AssumeRoleWithLDAPIdentity's authenticator against a
// real directory, for conformance/e2e/ldap_e2e.sh. It applies a config repo to
// a throwaway store exactly as `coffer apply` does, builds the snapshot, reads
// the password from stdin (never argv), and prints one JSON line: the
// identity, or {"error": CODE, "message": ...}. Exit 0 on an identity, 1 on a
// refusal, 2 on a usage or setup error.
//
//   ldap_e2e_probe CONFIG_DIR STORE_DIR CA_DIR USERNAME < password

#include <unistd.h>

#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "coffer/core/sts/ldap_authenticator.h"
#include "coffer/posix/ldap_directory.h"
#include "coffer/posix/posix_env.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/config_files.h"
#include "coffer/state/secrets.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

namespace {

using namespace coffer;  // NOLINT: a test program.

base::Result<std::shared_ptr<const state::Snapshot>> LoadSnapshot(const std::string& config_dir,
                                                                  const std::string& store_dir,
                                                                  base::Random& random) {
  COFFER_ASSIGN_OR_RETURN(state::ConfigTree tree, state::ReadConfigDir(config_dir));
  state::ConfigLoad load = state::LoadConfig(tree);
  if (!load.ok()) return base::InvalidArgument(state::FormatErrors(load.errors));
  state::SecretSources sources;
  sources.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = ::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  state::StandardSecretResolver resolver(std::move(sources));
  state::MasterKey key = state::MasterKey::Generate(random);
  COFFER_ASSIGN_OR_RETURN(state::DesiredRecords desired,
                          state::BuildDesiredRecords(load.state, resolver, key));
  COFFER_ASSIGN_OR_RETURN(auto store, state::Store::Open(store_dir + "/iam.db", {}));
  state::ApplyOptions options;
  options.allow_lockout = true;
  auto applied = state::Apply(*store, desired, key, random, options);
  if (!applied.has_value()) return applied.error();
  return state::BuildSnapshot(*store, key, 1, base::WallTime{});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: ldap_e2e_probe CONFIG_DIR STORE_DIR CA_DIR USERNAME < password\n";
    return 2;
  }
  posix::OpenSslRandom random;
  auto snapshot = LoadSnapshot(argv[1], argv[2], random);
  if (!snapshot.has_value()) {
    std::cerr << "setup: " << snapshot.error().ToString() << "\n";
    return 2;
  }
  std::string password((std::istreambuf_iterator<char>(std::cin)), {});
  if (!password.empty() && password.back() == '\n') password.pop_back();
  auto directory = posix::NewLdapDirectory({argv[3]});
  core::sts::DirectoryLdapAuthenticator authenticator(*directory);
  auto id = authenticator.Authenticate(argv[4], base::Secret(std::move(password)), **snapshot);
  nlohmann::json out;
  if (!id.has_value()) {
    out["error"] = std::string(base::ErrorCodeName(id.error().code()));
    out["message"] = id.error().message();
    std::cout << out.dump() << "\n";
    return 1;
  }
  out["parent"] = id->parent;
  out["subject"] = id->subject;
  out["policies"] = id->policies;
  out["variables"] = id->variables;
  std::cout << out.dump() << "\n";
  return 0;
}
