#pragma once
// Directory: the seam to an LDAP directory (OpenLDAP, Active Directory, ...),
// as narrow as AssumeRoleWithLDAPIdentity needs it: connect over TLS, simple
// bind, search. Production binds it to libldap (posix/ldap_directory.h); tests
// and the simulator bind it to a scripted directory.
//
// Error codes, picked by what the caller does:
//   kUnauthenticated    a bind was refused (wrong DN or password, or the
//                       server refuses that kind of bind);
//   kInvalidArgument    the call itself is malformed (an empty bind password,
//                       a filter the server rejects);
//   kUnavailable        the server is down, slow, or the TLS handshake failed:
//                       the caller answers "identity provider unreachable";
//   kFailedPrecondition the endpoint is misconfigured (unknown scheme, a CA
//                       file that cannot be used).
// SECURITY: no error message ever contains a password.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::env {

// How the connection is protected.
enum class DirectoryTls {
  kLdaps,     // TLS from the first byte (ldaps://, port 636 by default).
  kStartTls,  // Plain LDAP upgraded with the StartTLS extended operation before any bind.
  kNone,      // Plain LDAP: passwords cross the network in the clear.
};

struct DirectoryEndpoint {
  // "host", "host:port", or a URL ("ldap://host:port", "ldaps://host:port");
  // the scheme, when present, must agree with `tls`.
  std::string server;
  DirectoryTls tls = DirectoryTls::kLdaps;
  // PEM file of the CAs that may sign the server certificate; empty: the
  // binding's default trust (the appliance's certs dir CAs/).
  std::string ca_file;
  // SECURITY: accepts any server certificate. For lab use only.
  bool tls_skip_verify = false;
  // Bound on connecting (TCP and TLS handshake) and on each operation.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds operation_timeout{10000};
};

enum class SearchScope { kBase, kOneLevel, kSubtree };

struct DirectoryEntry {
  std::string dn;  // As the server returned it.
  // Attribute values by attribute name in lower case.
  std::map<std::string, std::vector<std::string>> attributes;
};

struct SearchRequest {
  std::string base;
  SearchScope scope = SearchScope::kSubtree;
  // An RFC 4515 filter, complete: every value in it already escaped.
  std::string filter;
  // Attributes to return; empty: none (only DNs, the "1.1" request).
  std::vector<std::string> attributes;
  // Entries wanted at most; 0 means the server's limit. When more match, the
  // first `size_limit` entries are returned and the search still succeeds.
  std::size_t size_limit = 0;
};

// One connection to the directory. Not thread-safe: one caller at a time.
class DirectoryConnection {
 public:
  virtual ~DirectoryConnection() = default;
  // A simple bind; later operations run as `dn`. Rebinding on the same
  // connection is allowed. An empty password is kInvalidArgument without any
  // traffic (an empty simple bind is an anonymous bind, which succeeds).
  virtual base::Status Bind(std::string_view dn, const base::Secret& password) = 0;
  // Entries matching the request, in the server's order.
  virtual base::Result<std::vector<DirectoryEntry>> Search(const SearchRequest& request) = 0;
};

// Opens connections. Thread-safe.
class Directory {
 public:
  virtual ~Directory() = default;
  // Connects (and, for kStartTls, upgrades) without binding. The connection
  // is anonymous until Bind.
  virtual base::Result<std::unique_ptr<DirectoryConnection>> Connect(
      const DirectoryEndpoint& endpoint) = 0;
};

}  // namespace coffer::env
