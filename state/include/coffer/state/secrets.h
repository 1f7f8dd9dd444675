#pragma once
// Resolving the secret references of a config (env:NAME, file:PATH, sealed:...) into secret
// values, and flattening the desired state into plan Records. Validation never resolves;
// plan and apply do, and report every missing or unopenable secret at once.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/state/config.h"
#include "coffer/state/crypto.h"
#include "coffer/state/plan.h"

namespace coffer::state {

class SecretResolver {
 public:
  virtual ~SecretResolver() = default;
  // Returns the secret a reference names. kNotFound for an unset variable or missing file,
  // kPermissionDenied for a sealed value that does not open with the appliance key. The
  // error message names the reference, never a secret.
  virtual base::Result<base::Secret> Resolve(const SecretRef& ref) = 0;
};

// Where a StandardSecretResolver looks. The CLI and daemon bind these to getenv, file reads
// relative to the repo, and the appliance's seal key; tests bind them to maps.
struct SecretSources {
  std::function<std::optional<std::string>(const std::string& name)> env;
  std::function<base::Result<std::string>(const std::string& path)> read_file;
  std::optional<base::Secret> seal_private_key;
  ossl_lib_ctx_st* libctx = nullptr;  // Required for sealed values.
};

class StandardSecretResolver final : public SecretResolver {
 public:
  explicit StandardSecretResolver(SecretSources sources) : sources_(std::move(sources)) {}
  // File contents lose one trailing newline ("echo secret > file" is the common case).
  base::Result<base::Secret> Resolve(const SecretRef& ref) override;

 private:
  SecretSources sources_;
};

// The desired state flattened for plan and apply: records (secret fields as keyed digests)
// plus the resolved secrets apply encrypts, keyed by (kind, name) then field.
struct DesiredRecords {
  std::vector<Record> records;
  std::map<std::pair<std::string, std::string>, std::map<std::string, base::Secret>> secrets;
  bool has_admin_principal = false;
};

// Resolves every secret of `state` and flattens it. kInvalidArgument listing every
// unresolvable reference ("FILE:LINE:COL: users.alice.secret: env:X is not set").
base::Result<DesiredRecords> BuildDesiredRecords(const DesiredState& state,
                                                 SecretResolver& resolver, const MasterKey& key);

}  // namespace coffer::state
