#pragma once
// TLS for the appliance's listeners, the way operators expect from MinIO:
//
//   CERTS_DIR/public.crt, private.key     the default certificate (full chain)
//   CERTS_DIR/<domain>/public.crt, ...    extra certificates, chosen by SNI
//   CERTS_DIR/CAs/*.crt|*.pem             trusted CAs for client certificates
//                                         (and for outbound connections)
//
// Only TLS 1.2 and 1.3, ECDHE key exchange with AEAD ciphers, no compression,
// no renegotiation. Private keys may be encrypted; the passphrase comes from
// COFFER_CERT_PASSWD. Reload() swaps in new files for new connections and
// keeps the old ones when the new files are invalid.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/env/log.h"

namespace boost::asio::ssl {
class context;
}

namespace coffer::server {

enum class ClientAuth { kNone, kOptional, kRequired };

struct TlsOptions {
  std::string certs_dir;
  ClientAuth client_auth = ClientAuth::kNone;
  // Passphrase for encrypted private keys (from COFFER_CERT_PASSWD). Empty:
  // an encrypted key fails to load with a message saying so.
  std::string key_passphrase;
};

// The TLS contexts built from one certs dir. Thread-safe.
class TlsContexts {
 public:
  ~TlsContexts();

  // Loads the certs dir. Errors: kNotFound (no public.crt/private.key),
  // kInvalidArgument (a file that does not parse, a key that does not match
  // its certificate, an encrypted key without passphrase), naming the file.
  static base::Result<std::shared_ptr<TlsContexts>> Load(const TlsOptions& options);

  // True when `certs_dir` holds a default certificate and key.
  static bool Present(const std::string& certs_dir);

  // The context for a new connection (SNI selects among the others in a
  // callback). Holding the pointer keeps that generation's SNI contexts alive.
  std::shared_ptr<boost::asio::ssl::context> Default() const;

  // Reloads when any file in the certs dir changed since the last load.
  // Returns true when new contexts were swapped in. On invalid new files the
  // current contexts stay and the error (naming the file) is returned.
  base::Result<bool> ReloadIfChanged();

  const TlsOptions& options() const { return options_; }

  // Implementation detail: the contexts of one generation.
  struct Generation;

 private:
  explicit TlsContexts(TlsOptions options) : options_(std::move(options)) {}

  TlsOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<Generation> current_;
  std::string fingerprint_;  // Sizes and mtimes of the files, to notice changes.
};

// Identity of a verified client certificate.
struct PeerCertificate {
  std::string subject;      // RFC 2253 distinguished name.
  std::string common_name;  // The subject's CN, used by AssumeRoleWithCertificate.
};

}  // namespace coffer::server
