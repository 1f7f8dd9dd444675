#include "coffer/posix/ldap_directory.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <ldap.h>

namespace coffer::posix {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Diagnostic(LDAP* ld) {
  char* msg = nullptr;
  std::string out;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS && msg) {
    out = msg;
    ldap_memfree(msg);
  }
  return out;
}

std::string Describe(LDAP* ld, int rc) {
  std::string out = ldap_err2string(rc);
  std::string diag = Diagnostic(ld);
  if (!diag.empty()) out += " (" + diag + ")";
  return out;
}

// Codes a caller can do nothing about but retry.
bool IsTransient(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
         rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE || rc == LDAP_TIMELIMIT_EXCEEDED ||
         rc == LDAP_LOCAL_ERROR || rc == LDAP_ADMINLIMIT_EXCEEDED;
}

base::Result<std::string> BuildUri(const env::DirectoryEndpoint& ep) {
  const bool ldaps = ep.tls == env::DirectoryTls::kLdaps;
  std::string server = ep.server;
  std::string_view scheme_ldaps = "ldaps://";
  std::string_view scheme_ldap = "ldap://";
  if (server.rfind(scheme_ldaps, 0) == 0) {
    if (!ldaps) return base::FailedPrecondition("ldaps:// server needs tls = \"tls\"");
    server.erase(0, scheme_ldaps.size());
  } else if (server.rfind(scheme_ldap, 0) == 0) {
    if (ldaps) return base::FailedPrecondition("ldap:// server needs tls = \"starttls\" or none");
    server.erase(0, scheme_ldap.size());
  } else if (server.find("://") != std::string::npos) {
    return base::FailedPrecondition("LDAP server URL scheme must be ldap:// or ldaps://");
  }
  while (!server.empty() && server.back() == '/') server.pop_back();
  if (server.empty() || server.find_first_of("/?# ") != std::string::npos) {
    return base::FailedPrecondition("LDAP server must be HOST or HOST:PORT");
  }
  // A port is present when the last ':' comes after any IPv6 literal's ']'.
  std::size_t colon = server.rfind(':');
  std::size_t bracket = server.rfind(']');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (!has_port) server += ldaps ? ":636" : ":389";
  return std::string(ldaps ? scheme_ldaps : scheme_ldap) + server;
}

class LdapConnection final : public env::DirectoryConnection {
 public:
  LdapConnection(LDAP* ld, std::chrono::milliseconds op_timeout)
      : ld_(ld), op_timeout_(op_timeout) {}
  ~LdapConnection() override { ldap_unbind_ext_s(ld_, nullptr, nullptr); }
  LdapConnection(const LdapConnection&) = delete;
  LdapConnection& operator=(const LdapConnection&) = delete;

  base::Status Bind(std::string_view dn, const base::Secret& password) override {
    // SECURITY: an empty simple bind is an anonymous bind (RFC 4513 §5.1.2).
    if (password.empty()) return base::InvalidArgument("LDAP bind with an empty password");
    std::string dn_copy(dn);
    berval cred{};
    cred.bv_len = password.size();
    // libldap takes a non-const pointer but only reads the credentials.
    cred.bv_val = const_cast<char*>(password.Reveal().data());
    int rc =
        ldap_sasl_bind_s(ld_, dn_copy.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
    if (rc == LDAP_SUCCESS) return base::Ok();
    std::string what = "LDAP bind: " + Describe(ld_, rc);
    if (IsTransient(rc)) return base::Unavailable(std::move(what));
    return base::Unauthenticated(std::move(what));
  }

  base::Result<std::vector<env::DirectoryEntry>> Search(const env::SearchRequest& req) override {
    std::vector<std::string> names = req.attributes;
    if (names.empty()) names.push_back(LDAP_NO_ATTRS);
    std::vector<char*> attrs;
    for (std::string& n : names) attrs.push_back(n.data());
    attrs.push_back(nullptr);
    int scope = req.scope == env::SearchScope::kBase       ? LDAP_SCOPE_BASE
                : req.scope == env::SearchScope::kOneLevel ? LDAP_SCOPE_ONELEVEL
                                                           : LDAP_SCOPE_SUBTREE;
    timeval tv = ToTimeval(op_timeout_);
    LDAPMessage* res = nullptr;
    int rc = ldap_search_ext_s(ld_, req.base.c_str(), scope, req.filter.c_str(), attrs.data(), 0,
                               nullptr, nullptr, &tv, static_cast<int>(req.size_limit), &res);
    std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> owned(res, ldap_msgfree);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
      std::string what = "LDAP search: " + Describe(ld_, rc);
      if (rc == LDAP_FILTER_ERROR) return base::InvalidArgument(std::move(what));
      if (rc == LDAP_NO_SUCH_OBJECT) return base::FailedPrecondition(std::move(what));
      return base::Unavailable(std::move(what));
    }
    return Entries(res);
  }

 private:
  std::vector<env::DirectoryEntry> Entries(LDAPMessage* res) {
    std::vector<env::DirectoryEntry> out;
    for (LDAPMessage* e = ldap_first_entry(ld_, res); e != nullptr; e = ldap_next_entry(ld_, e)) {
      env::DirectoryEntry entry;
      if (char* dn = ldap_get_dn(ld_, e)) {
        entry.dn = dn;
        ldap_memfree(dn);
      }
      BerElement* ber = nullptr;
      for (char* a = ldap_first_attribute(ld_, e, &ber); a != nullptr;
           a = ldap_next_attribute(ld_, e, ber)) {
        std::string name(a);
        ldap_memfree(a);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::vector<std::string>& values = entry.attributes[name];
        if (berval** vals = ldap_get_values_len(ld_, e, name.c_str())) {
          for (berval** v = vals; *v != nullptr; ++v)
            values.emplace_back((*v)->bv_val, (*v)->bv_len);
          ldap_value_free_len(vals);
        }
      }
      if (ber != nullptr) ber_free(ber, 0);
      out.push_back(std::move(entry));
    }
    return out;
  }

  LDAP* ld_;
  std::chrono::milliseconds op_timeout_;
};

class LdapDirectory final : public env::Directory {
 public:
  explicit LdapDirectory(LdapDirectoryOptions options) : options_(std::move(options)) {
    // libldap writes without MSG_NOSIGNAL; with the asynchronous ldaps://
    // connect, a server that closes mid-handshake (a plain-LDAP port) ends
    // in a write to a closed socket. SIGPIPE must not kill the daemon: it is
    // ignored unless the process installed a handler of its own.
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  }

  base::Result<std::unique_ptr<env::DirectoryConnection>> Connect(
      const env::DirectoryEndpoint& endpoint) override {
    COFFER_ASSIGN_OR_RETURN(std::string uri, BuildUri(endpoint));
    LDAP* raw = nullptr;
    int rc = ldap_initialize(&raw, uri.c_str());
    if (rc != LDAP_SUCCESS || raw == nullptr) {
      return base::FailedPrecondition("LDAP server " + uri + ": " + ldap_err2string(rc));
    }
    // From here on the connection owns the handle and unbinds it on every path.
    auto conn = std::make_unique<LdapConnection>(raw, endpoint.operation_timeout);
    COFFER_RETURN_IF_ERROR(Configure(raw, endpoint, uri));
    if (endpoint.tls == env::DirectoryTls::kStartTls) {
      rc = ldap_start_tls_s(raw, nullptr, nullptr);
      if (rc != LDAP_SUCCESS) {
        return base::Unavailable("LDAP server " + uri + ": StartTLS: " + Describe(raw, rc));
      }
    } else {
      rc = ldap_connect(raw);
      if (rc != LDAP_SUCCESS) {
        return base::Unavailable("LDAP server " + uri + ": connect: " + Describe(raw, rc));
      }
    }
    return std::unique_ptr<env::DirectoryConnection>(std::move(conn));
  }

 private:
  base::Status Configure(LDAP* ld, const env::DirectoryEndpoint& ep, const std::string& uri) {
    int version = LDAP_VERSION3;
    timeval net = ToTimeval(ep.connect_timeout);
    timeval op = ToTimeval(ep.operation_timeout);
    bool ok = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS &&
              // SECURITY: a referral must not carry a bind to a server nobody configured.
              ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) == LDAP_OPT_SUCCESS &&
              ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net) == LDAP_OPT_SUCCESS &&
              ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op) == LDAP_OPT_SUCCESS;
    if (!ok) return base::FailedPrecondition("LDAP server " + uri + ": cannot set options");
    // libldap bounds a blocking connect by the network timeout but then runs
    // the ldaps:// TLS handshake on a blocking socket: a server that accepts
    // and never answers would hold the worker forever. An asynchronous connect
    // runs the handshake in libldap's poll loop, bounded by the same timeout.
    if (ep.tls == env::DirectoryTls::kLdaps &&
        ldap_set_option(ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON) != LDAP_OPT_SUCCESS) {
      return base::FailedPrecondition("LDAP server " + uri + ": cannot set options");
    }
    if (ep.tls == env::DirectoryTls::kNone) return base::Ok();
    int require = ep.tls_skip_verify ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
    int min_version = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    ok = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) == LDAP_OPT_SUCCESS &&
         ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_version) == LDAP_OPT_SUCCESS;
    if (ok && !ep.ca_file.empty()) {
      ok = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ep.ca_file.c_str()) == LDAP_OPT_SUCCESS;
    } else if (ok && IsDirectory(options_.default_ca_dir)) {
      ok = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, options_.default_ca_dir.c_str()) ==
           LDAP_OPT_SUCCESS;
    }
    // A per-connection TLS context, built from the options above; without it
    // libldap would use a process-wide one shared by every endpoint.
    int is_server = 0;
    if (ok) ok = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) == LDAP_OPT_SUCCESS;
    if (!ok) {
      return base::FailedPrecondition("LDAP server " + uri + ": TLS settings refused (ca_file " +
                                      (ep.ca_file.empty() ? options_.default_ca_dir : ep.ca_file) +
                                      ")");
    }
    return base::Ok();
  }

  LdapDirectoryOptions options_;
};

}  // namespace

std::unique_ptr<env::Directory> NewLdapDirectory(LdapDirectoryOptions options) {
  return std::make_unique<LdapDirectory>(std::move(options));
}

}  // namespace coffer::posix
