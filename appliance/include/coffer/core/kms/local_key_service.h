#pragma once
// LocalKeyService: the in-process key store behind env::KeyService. It keeps
// named master keys, each a list of 256-bit versions drawn from Env's Random,
// in one file per key on an env::Drive, every version sealed under a root key
// with AES-256-GCM (associated data: the key's name and version, so a sealed
// version moved to another key or slot does not open). The same store serves
// the single-node appliance in process and `coffer kms serve` over mTLS.
//
// Data-key ciphertexts (GenerateKey, Encrypt, Rewrap) are opaque bytes:
//   "CK" | format 1 | key version (u32, big-endian) | nonce (12) | ct | tag (16)
// sealed with AES-256-GCM under that version of the master key; the associated
// data binds the format, key name, version and the caller's context, so a
// ciphertext opens only under the same key name, version and context.
//
// The root key is 32 bytes handed in by the caller (the CLI loads it from a
// 0600 file, or a "sealed:" text that opens with the appliance's seal key).
// A wrong root key is refused at Open by a check value stored beside the keys.
//
// Thread-safe: key material sits in memory behind a shared mutex; writes go to
// the drive with WriteAtomic before the in-memory state changes.
//
// The drive is the source of truth, shared with other processes (`coffer kms
// create|rotate|delete --keys DIR` while `coffer serve` or `coffer kms serve`
// runs on DIR): a key or key version this process lacks is read from the
// drive when a call needs it; Refresh() (the servers call it every few
// seconds) also drops deleted keys and picks up rotations; create, rotate and
// delete re-read the key's file first, so they never overwrite another
// process's versions. Two processes rotating the same key at the same instant
// may still race (last rename wins); rotate from one place at a time.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/env/drive.h"
#include "coffer/env/env.h"
#include "coffer/env/key_service.h"

namespace coffer::core::kms {

inline constexpr std::size_t kKeyBytes = 32;
// Largest plaintext Encrypt accepts (as KES).
inline constexpr std::size_t kMaxPlaintextBytes = std::size_t{1} << 20;

// Returns Ok when `name` may name a key: 1..80 characters of [A-Za-z0-9._-],
// not starting with '.' (names become file names). kInvalidArgument otherwise.
base::Status ValidateKeyName(std::string_view name);

// True when `name` matches `pattern`: '*' matches any run of characters, '?'
// one character, everything else itself (KES's list patterns).
bool KeyNameMatches(std::string_view pattern, std::string_view name);

struct LocalKeyServiceOptions {
  // The drive's folder (production) or name (simulation) holding the store.
  std::string location;
  // 32 bytes that seal every key version at rest.
  base::Secret root_key;
  // Reported by Status().
  std::string version = "coffer";
  std::string endpoint = "in-process";
};

class LocalKeyService final : public env::KeyService {
 public:
  // Opens (creating when empty) the store at options.location. Errors:
  // kInvalidArgument (root key not 32 bytes), kPermissionDenied (the root key
  // does not match the one the store was made with), kDataLoss (a key file
  // that does not parse or open), drive errors as the drive returns them.
  // `env` must outlive the service.
  static base::Result<std::unique_ptr<LocalKeyService>> Open(env::Env& env,
                                                             LocalKeyServiceOptions options);
  ~LocalKeyService() override;

  base::Status CreateKey(std::string_view name) override;
  // Creates key `name` with the given 32 bytes as its first version (KES's
  // import). kAlreadyExists, kInvalidArgument for another length.
  base::Status ImportKey(std::string_view name, const base::Secret& key);
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

  // Destroys every version of `name` but the newest (after `coffer kms
  // rewrap` re-sealed what used them): ciphertexts under a pruned version
  // never open again (kDataLoss), the numbering stays. Returns the key with
  // its latest version. kNotFound, kInvalidArgument (bad name), drive errors.
  base::Result<env::KeyInfo> PruneOldVersions(std::string_view name);

  base::Result<env::KeyServiceStatus> Status() override;

  // Re-reads every key file from the drive: keys created or rotated by
  // another process appear, deleted ones disappear. Drive errors and
  // kDataLoss (a key file that does not open) leave the keys in memory as
  // they were. Thread-safe; key operations go on while it reads.
  base::Status Refresh();

  // Returns the key version a ciphertext names, without opening it.
  // kDataLoss for bytes that are not a ciphertext of this format.
  static base::Result<std::uint32_t> CiphertextVersion(std::string_view ciphertext);

 private:
  struct Key {
    // versions[i] is version i + 1; empty when pruned (the newest never is).
    std::vector<base::Secret> versions;
  };

  LocalKeyService(env::Env& env, std::unique_ptr<env::Drive> drive, LocalKeyServiceOptions options);
  base::Status Load();
  // The key file of `name` from the drive; nullopt when there is none.
  base::Result<std::optional<Key>> ReadKey(std::string_view name) const;
  base::Result<std::map<std::string, Key, std::less<>>> ReadAllKeys() const;
  // Replaces the in-memory copy of `name` with the drive's. Holds mu_.
  base::Status RefreshKeyLocked(std::string_view name);
  // Reads `name` from the drive unless memory holds at least `min_versions`.
  base::Status CatchUp(std::string_view name, std::uint32_t min_versions);
  base::Status CheckRootKey();
  base::Status StoreKey(std::string_view name, const Key& key);
  base::Status AddKey(std::string_view name, base::Secret first_version);
  base::Result<std::string> Seal(std::string_view name, const Key& key, std::string_view plaintext,
                                 std::string_view context);
  base::Result<base::Secret> Open(std::string_view name, const Key& key,
                                  std::string_view ciphertext, std::string_view context) const;

  env::Env& env_;
  std::unique_ptr<env::Drive> drive_;
  LocalKeyServiceOptions options_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Key, std::less<>> keys_;
};

}  // namespace coffer::core::kms
