#pragma once
// DirectoryLdapAuthenticator: AssumeRoleWithLDAPIdentity's identity check, as
// MinIO's LDAP identity works. For the LDAP settings of the snapshot
// ([identity.ldap.NAME], tried in name order) it
//   1. refuses an empty password or username before any traffic (an empty
//      simple bind is an anonymous bind, which servers accept);
//   2. binds as lookup_bind_dn (anonymous when unset) and searches
//      user_dn_search_base with user_dn_search_filter, "%s" replaced by the
//      RFC 4515-escaped username; exactly one entry must match;
//   3. binds as that entry's DN with the password;
//   4. rebinds as the lookup user and searches group_search_base with
//      group_search_filter ("%d": the escaped user DN, "%s": the username);
//   5. maps policies from user_policies (the user DN) and group_policies (the
//      group DNs), comparing DNs normalised (case, spaces, escapes).
// The identity's parent is the user DN, its subject the username, and the
// variables ldap:username and ldap:user (the DN) are available to policies.
//
// Errors (identity.h maps them to STS errors):
//   kInvalidArgument    empty or oversized username, empty password;
//   kUnauthenticated    unknown user, wrong password, or a username matching
//                       several entries (one message for all three, so the
//                       answer does not tell which usernames exist);
//   kPermissionDenied   authenticated, but no policy is mapped to the user;
//   kUnavailable        the directory is down, slow, or refuses the lookup bind;
//   kFailedPrecondition no LDAP settings, or settings without a search base
//                       or filter, or a filter template that is not RFC 4515.
// SECURITY: no message contains the password.
//
// Thread-safe: each call opens its own connection through `directory`.

#include <chrono>
#include <string_view>

#include "coffer/core/sts/identity.h"
#include "coffer/env/directory.h"

namespace coffer::env {
class Logger;
}

namespace coffer::core::sts {

// Longest username accepted (bytes); longer ones are kInvalidArgument.
inline constexpr std::size_t kLdapUsernameMaxBytes = 256;
// The bound on connecting and on each LDAP operation when the directory's
// settings name no timeout_ms (100 to 60000). A directory that accepts and
// never answers fails a login in about this (ldaps) or twice this (StartTLS:
// connect, then the extended operation).
inline constexpr std::chrono::milliseconds kLdapDefaultTimeout{3000};

class DirectoryLdapAuthenticator final : public LdapAuthenticator {
 public:
  // `directory` and `log` (may be null) are borrowed and must outlive this.
  explicit DirectoryLdapAuthenticator(env::Directory& directory, env::Logger* log = nullptr)
      : directory_(directory), log_(log) {}

  base::Result<ExternalIdentity> Authenticate(std::string_view username,
                                              const base::Secret& password,
                                              const state::Snapshot& snapshot) override;

 private:
  env::Directory& directory_;
  env::Logger* log_;
};

}  // namespace coffer::core::sts
