#pragma once
// How `coffer conform` creates principals on the server under test. Generic S3 needs no
// adapter: buckets and bucket policies go through the S3 API and identity-like restrictions
// through STS AssumeRole session policies of the admin credential. An adapter adds users with
// identity policies through whatever the server offers; CofferAdapter writes them into
// Coffer's GitOps config repo as one TOML file (secrets sealed to the appliance's public key),
// commits it with git and waits until the daemon has reconciled it.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/base/random.h"
#include "coffer/base/result.h"

#include "s3_client.h"

namespace coffer::conform {

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual std::string Name() const = 0;
  // The users this adapter created, with their credentials (stable for the run).
  virtual const std::map<std::string, Credentials>& Users() const = 0;
  // Makes `policies` (user -> identity policy) the users' only policies, and returns once the
  // server enforces them. Errors: kUnavailable when it does not within the timeout.
  virtual base::Status SetPolicies(const std::map<std::string, nlohmann::json>& policies) = 0;
  // Removes everything the adapter created and waits until the server no longer knows the
  // users. Idempotent.
  virtual base::Status Cleanup() = 0;
};

struct CofferAdapterOptions {
  std::string repo_dir;      // The config repo `coffer serve --config` watches.
  std::string seal_key_pub;  // Text of the appliance's seal.pub.
  std::string run_prefix;    // "conform-xxxxxxxx": names of everything created.
  std::string probe_bucket;  // A run bucket (exists) used to see when a revision is live.
  int user_count = 2;
  int wait_ms = 20000;
};

// Errors: kInvalidArgument for a bad seal key or a repo folder that does not exist.
base::Result<std::unique_ptr<Adapter>> MakeCofferAdapter(CofferAdapterOptions options, S3Client& s3,
                                                         base::Random& random);

// TOML for the users and policies (exposed for unit tests): users named in `sealed` (user ->
// "sealed:..." secret), each with the one policy "<user>-policy", plus the marker user whose
// policy allows ListBucket on `probe_bucket` only for the prefix "gen-<generation>".
std::string AdapterToml(const std::map<std::string, std::string>& sealed,
                        const std::map<std::string, nlohmann::json>& policies,
                        const std::string& marker_user, const std::string& probe_bucket,
                        int generation);

// A random secret of `n` characters from [A-Za-z0-9].
std::string RandomSecret(base::Random& random, int n);

}  // namespace coffer::conform
