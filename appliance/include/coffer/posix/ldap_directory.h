#pragma once
// The production binding of env::Directory: OpenLDAP's libldap (Debian
// libldap-2.5, TLS through GnuTLS). Every connection speaks LDAPv3, follows no
// referrals (a referral could send the user's password to another server),
// and is protected as its endpoint says: ldaps://, or StartTLS before any
// bind, verifying the server certificate and host name against the
// endpoint's ca_file, else against the default CA dir given here (the
// appliance's certs dir CAs/), else the system's trust store.
//
// Calls block the calling thread for at most the endpoint's timeouts.

#include <memory>
#include <string>

#include "coffer/env/directory.h"

namespace coffer::posix {

struct LdapDirectoryOptions {
  // A folder of PEM CA certificates used when an endpoint names no ca_file;
  // empty, or a folder that does not exist: the system trust store.
  std::string default_ca_dir;
};

// Thread-safe.
std::unique_ptr<env::Directory> NewLdapDirectory(LdapDirectoryOptions options);

}  // namespace coffer::posix
