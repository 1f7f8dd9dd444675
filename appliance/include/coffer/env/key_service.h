#pragma once
// KeyService: the seam to the key service that holds the appliance's master
// keys (KES-compatible). The core asks it for data keys and never sees a
// master key. Production binds it to an in-process key store (single-node
// default) or to a KES-compatible server over mTLS (`coffer kms serve`); the
// simulator binds it to a scripted peer that can be slow, down or lying.
//
// Key versions: a key rotates to a new version; the ciphertext of a data key
// names the version that sealed it, so old ciphertexts keep opening until that
// version is deleted. Rewrapping re-seals a ciphertext under the newest one.
//
// Error codes, picked by what the caller does:
//   kUnavailable        the service is down or slow: SSE requests answer 503,
//                       unencrypted traffic is unaffected;
//   kNotFound           no such key (SSE-KMS with an unknown key id: 400);
//   kPermissionDenied   this client's identity may not use the key;
//   kDataLoss           a ciphertext that does not open (tampered, wrong
//                       context, unknown version).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::env {

// A data key: 32 random bytes, and the same bytes sealed by the key service
// under the named key with the context as associated data. Store only the
// ciphertext; the plaintext lives as long as one request.
struct DataKey {
  base::Secret plaintext;
  std::string ciphertext;
};

struct KeyInfo {
  std::string name;
  std::uint32_t latest_version = 1;
};

struct KeyServiceStatus {
  std::string endpoint;  // "in-process" or the server's URL.
  std::string version;   // The server's version string.
  bool ready = false;
};

class KeyService {
 public:
  virtual ~KeyService() = default;

  // Creates a master key. kAlreadyExists when it exists.
  virtual base::Status CreateKey(std::string_view name) = 0;
  // Deletes a key and all its versions; what it sealed never opens again.
  virtual base::Status DeleteKey(std::string_view name) = 0;
  // Keys whose names match `pattern` ("*" or a prefix ending in '*'), sorted.
  virtual base::Result<std::vector<KeyInfo>> ListKeys(std::string_view pattern) = 0;

  // A fresh data key sealed under the newest version of `name`, bound to
  // `context` (any bytes; the core passes canonical JSON of bucket/object
  // and the client's encryption context).
  virtual base::Result<DataKey> GenerateKey(std::string_view name, std::string_view context) = 0;
  // Opens a ciphertext from GenerateKey/Encrypt with the same context.
  virtual base::Result<base::Secret> Decrypt(std::string_view name, std::string_view ciphertext,
                                             std::string_view context) = 0;
  // Seals caller-chosen bytes (at most 1 MiB) under the newest version.
  virtual base::Result<std::string> Encrypt(std::string_view name, std::string_view plaintext,
                                            std::string_view context) = 0;

  // Creates a new version of `name`; later GenerateKey calls use it.
  virtual base::Result<KeyInfo> RotateKey(std::string_view name) = 0;
  // Re-seals `ciphertext` under the newest version of `name` (same context)
  // without revealing the plaintext to the caller.
  virtual base::Result<std::string> Rewrap(std::string_view name, std::string_view ciphertext,
                                           std::string_view context) = 0;

  virtual base::Result<KeyServiceStatus> Status() = 0;
};

}  // namespace coffer::env
