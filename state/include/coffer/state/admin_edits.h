#pragma once
// The edits behind `coffer admin` (mc admin's verbs, the GitOps way): each function changes
// a config repo held in a ConfigEditor (config_edit.h) the way an operator would by hand,
// touching only the tables it names, and returns the commit message subject that says what
// it did ("admin: add user alice"). None of them validates the whole repo or writes to disk:
// the caller runs LoadConfig() on editor.tree() afterwards, shows PlanBetween() and commits.
//
// Secrets: every function that writes a secret takes a reference ("env:X", "file:P",
// "sealed:...") and refuses anything else with kInvalidArgument, so a plain secret never
// reaches a file. Sealing is the caller's job (seal.h).
//
// Errors: kNotFound (no such user, group, policy, bucket or IdP in the repo), kAlreadyExists,
// kFailedPrecondition (a policy still attached; a table the editor cannot edit safely),
// kInvalidArgument (bad value). Messages name the object, never a secret.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/state/config.h"
#include "coffer/state/config_edit.h"
#include "coffer/state/crypto.h"
#include "coffer/state/plan.h"

namespace coffer::state {

// Users and groups.
base::Result<std::string> AddUser(ConfigEditor& ed, const std::string& name,
                                  const std::string& secret_ref);
base::Result<std::string> SetUserEnabled(ConfigEditor& ed, const std::string& name, bool enabled);
// Also drops the user from every group's members.
base::Result<std::string> RemoveUser(ConfigEditor& ed, const std::string& name);
// Creates the group (members may be empty) or, when it exists, adds the members.
base::Result<std::string> AddGroup(ConfigEditor& ed, const std::string& name,
                                   const std::vector<std::string>& members);
// With members: removes them from the group (wherever the membership is declared). Without:
// removes the group and every user's membership of it.
base::Result<std::string> RemoveGroup(ConfigEditor& ed, const std::string& name,
                                      const std::vector<std::string>& members);
base::Result<std::string> SetGroupEnabled(ConfigEditor& ed, const std::string& name, bool enabled);

// Policies. `json` is the document; `json_file` the repo-relative path it is written to
// when the policy is new (an existing file-backed policy keeps its file).
base::Result<std::string> CreatePolicy(ConfigEditor& ed, const std::string& name,
                                       const std::string& json, const std::string& json_file);

// Who a policy is attached to.
struct PolicyTarget {
  enum class Kind { kUser, kGroup, kLdapUser, kLdapGroup };
  Kind kind = Kind::kUser;
  std::string name;         // User or group name, or the LDAP DN.
  std::string ldap_config;  // kLdap*: the [identity.ldap.NAME] it belongs to.
};
base::Result<std::string> AttachPolicies(ConfigEditor& ed, const std::vector<std::string>& policies,
                                         const PolicyTarget& target);
base::Result<std::string> DetachPolicies(ConfigEditor& ed, const std::vector<std::string>& policies,
                                         const PolicyTarget& target);
// Everywhere `policy` is attached, as "user alice", "group finance", "ldap corp user DN",
// "ldap corp group DN", "oidc NAME role_policy". Sorted.
std::vector<std::string> PolicyAttachments(const ConfigEditor& ed, const std::string& policy);
// Refused (kFailedPrecondition, listing the attachments) while attached unless `force`, which
// detaches it everywhere first. Deletes the policy's JSON file when no other policy uses it.
base::Result<std::string> RemovePolicy(ConfigEditor& ed, const std::string& name, bool force);

// Buckets. A bucket missing from the repo is added.
base::Result<std::string> SetBucketEncryption(ConfigEditor& ed, const std::string& bucket,
                                              Encryption encryption, const std::string& kms_key);
// No prefix: the bucket's `anonymous` key. With a prefix: a bucket `policy` granting the
// mode to everyone on BUCKET/PREFIX* (as mc anonymous does); refused when the bucket has a
// policy that is not such a generated one. kNone with a prefix removes the generated policy.
base::Result<std::string> SetBucketAnonymous(ConfigEditor& ed, const std::string& bucket,
                                             const std::string& prefix, AnonymousAccess mode);
// The bucket policy SetBucketAnonymous writes for a prefix (pretty JSON). Pure.
std::string AnonymousPrefixPolicy(const std::string& bucket, const std::string& prefix,
                                  AnonymousAccess mode);

// Settings objects (settings_schema.h): oidc, ldap, audit_webhook, audit_file, key_service.
// `values` are key=value pairs as typed on the command line: lists comma separated, secrets
// already references. Creates the object when missing (into `file_fallback` unless the repo
// already keeps that kind somewhere), else updates the named keys only.
base::Result<std::string> SetSettings(ConfigEditor& ed, const std::string& kind,
                                      const std::string& name,
                                      const std::map<std::string, std::string>& values,
                                      const std::string& file_fallback);
base::Result<std::string> RemoveSettings(ConfigEditor& ed, const std::string& kind,
                                         const std::string& name);

// The plan between two revisions of a repo: what applying `after` changes in a store that
// holds `before`. Secrets are compared by their references (a re-sealed secret shows as a
// change, nothing secret is resolved), under `key`. `before` that does not validate counts
// as empty. kInvalidArgument when `after` does not validate (FormatErrors text).
base::Result<Plan> PlanBetween(const ConfigTree& before, const ConfigTree& after,
                               const MasterKey& key);

}  // namespace coffer::state
