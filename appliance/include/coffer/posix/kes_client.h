#pragma once
// KesClient: env::KeyService over a KES-compatible server (`coffer kms serve`
// or MinIO's KES) with mutual TLS. A call takes an idle keep-alive connection
// from a small pool, or opens one: TLS with the client certificate, the
// server verified against the CA file (and its name or IP address), resuming
// the last TLS session when the server allows; then one JSON request and its
// answer, within one deadline. Connections the server keeps open go back to
// the pool (at most max_idle_connections stay idle; more calls at once open
// more connections and close the surplus). A pooled connection found closed
// before any answer is replaced once, transparently.
//
// Errors, as the seam promises: the server unreachable, refusing the TLS
// handshake, timing out or answering 5xx -> kUnavailable; 403 ->
// kPermissionDenied; 404 -> kNotFound; 409 (or KES's 400 "already exists")
// -> kAlreadyExists; 400 from decrypt/rewrap -> kDataLoss; other 400 ->
// kInvalidArgument. Messages name the server and the call, never key bytes.
//
// Thread-safe: calls share the immutable TLS context and the pool (a mutex
// held only to take or return a connection); a connection serves one call at
// a time.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/env/key_service.h"

namespace coffer::posix {

struct KesClientOptions {
  std::string address;                      // "host:port" (an "https://" prefix is accepted).
  std::string client_cert_file;             // PEM certificate (chain) presented to the server.
  std::string client_key_file;              // Its PEM private key.
  std::string ca_file;                      // PEM CA(s) the server's certificate must chain to.
  std::chrono::milliseconds timeout{5000};  // For connecting, and for each exchange.
  std::size_t max_idle_connections = 8;     // Kept open between calls.
};

class KesClient final : public env::KeyService {
 public:
  // Loads the certificate, key and CA. kInvalidArgument naming the file that
  // does not load, or a malformed address. Does not connect.
  static base::Result<std::unique_ptr<KesClient>> Create(const KesClientOptions& options);
  ~KesClient() override;

  base::Status CreateKey(std::string_view name) override;
  base::Status DeleteKey(std::string_view name) override;
  base::Result<std::vector<env::KeyInfo>> ListKeys(std::string_view pattern) override;
  base::Result<env::DataKey> GenerateKey(std::string_view name, std::string_view context) override;
  base::Result<base::Secret> Decrypt(std::string_view name, std::string_view ciphertext,
                                     std::string_view context) override;
  base::Result<std::string> Encrypt(std::string_view name, std::string_view plaintext,
                                    std::string_view context) override;
  base::Result<env::KeyInfo> RotateKey(std::string_view name) override;
  base::Result<std::string> Rewrap(std::string_view name, std::string_view ciphertext,
                                   std::string_view context) override;
  // GET /v1/status; kUnavailable when the server cannot be reached.
  base::Result<env::KeyServiceStatus> Status() override;

  struct Reply {
    unsigned status = 0;
    std::string body;
  };
  // One raw call (method, path, JSON body). kUnavailable on transport errors;
  // any HTTP status is a Reply. Public for the CLI and tests.
  base::Result<Reply> Call(std::string_view method, std::string_view path, std::string_view body);

  // The HTTP status of a failed call as the seam's error (see above).
  static base::Error ErrorFor(std::string_view api, const Reply& reply, std::string_view where);

  // For tests and benchmarks: idle connections now, full TLS handshakes made
  // so far and how many of them resumed a session.
  struct PoolStats {
    std::size_t idle = 0;
    std::uint64_t handshakes = 0;
    std::uint64_t resumed = 0;
  };
  PoolStats pool_stats() const;

 private:
  struct Impl;
  explicit KesClient(std::unique_ptr<Impl> impl);
  base::Result<std::string> CallJson(std::string_view api, std::string_view method,
                                     std::string_view path, std::string_view body);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::posix
