#pragma once
// File-side access to a config repo and the appliance's key files, shared by
// the GitOps verbs (state_command.cc) and the daemon (serve_command.cc). This
// is shell code: it reads files and the environment, then hands values to
// coffer::state.
//
// Key files live in a key dir (default: the store's directory):
//   master.key  the appliance master key (base64, 32 bytes) that encrypts
//               secrets at rest; created on first apply.
//   seal.key    the X25519 private key that opens sealed: secrets.

#include <optional>
#include <string>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/state/crypto.h"
#include "coffer/state/secrets.h"

namespace coffer::cli {

// The whole content of a file, or nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);
// Writes a new file readable only by its owner; fails if it exists.
bool WritePrivateFile(const std::string& path, const std::string& text);
// The master key from KEYDIR/master.key; when missing, a new one (written to
// the file only if `create`).
base::Result<state::MasterKey> MasterKeyFor(const std::string& key_dir, base::Random& random,
                                            bool create);
// Resolves env:, file: (relative to the repo `dir`) and sealed: references.
state::StandardSecretResolver ResolverFor(const std::string& dir, const std::string& key_dir,
                                          base::Random& random);

}  // namespace coffer::cli
