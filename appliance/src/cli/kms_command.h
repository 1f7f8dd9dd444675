#pragma once
// Shared by `coffer kms` (kms_command.cc) and `coffer serve`: loading the key
// store's root key and opening a key service, in process or remote.
//
// The root key file holds one line, either
//   coffer-kms-root-v1:<base64 of 32 bytes>   (mode 0600, refused otherwise), or
//   sealed:...                                (`coffer seal` output, opened with the
//                                              appliance's seal.key).
// A plain file is the default because a sealed one only helps when the seal
// key lives elsewhere (another disk, removable media): both on one disk is
// the same secret twice. Either way the key never sits in the drives' folders.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/env/env.h"
#include "coffer/env/key_service.h"

namespace coffer::cli {

// Reads the root key at `path`; when missing and `create`, makes a random one
// and writes it (0600). `seal_key_file` opens a sealed root key. Errors:
// kNotFound (missing, !create), kFailedPrecondition (group/other may read it),
// kInvalidArgument (malformed), kPermissionDenied (sealed to another key).
base::Result<base::Secret> LoadKmsRootKey(const std::string& path, const std::string& seal_key_file,
                                          base::Random& random, bool create);

// Where the key service is: a KES server (address set) or an in-process
// store in `keys_dir` with the root key file `root_key_file`.
struct KeyServiceConfig {
  std::string address;
  std::string client_cert_file;
  std::string client_key_file;
  std::string ca_file;
  std::string keys_dir;
  std::string root_key_file;
  std::string seal_key_file;
  bool create_root_key = true;
  // In-process store only: re-read it from disk every 2 s on a thread of its
  // own, so keys changed by `coffer kms ... --keys DIR` while this process
  // runs are seen (servers). One-shot CLI verbs turn it off.
  bool refresh_store = true;
};

// Opens the key service `config` names. `env` must outlive it.
base::Result<std::unique_ptr<env::KeyService>> OpenKeyService(const KeyServiceConfig& config,
                                                              env::Env& env);

// Asks a key service for its status now and then every `interval` on its own
// thread (a remote Status() may block for its whole timeout) and reports
// (ready, reason) to `report`. The destructor stops and joins the thread.
class KeyServiceProbe {
 public:
  using Report = std::function<void(bool ready, const std::string& reason)>;
  KeyServiceProbe(env::KeyService& service, Report report, std::chrono::milliseconds interval);
  ~KeyServiceProbe();
  KeyServiceProbe(const KeyServiceProbe&) = delete;
  KeyServiceProbe& operator=(const KeyServiceProbe&) = delete;

 private:
  void ProbeOnce();

  env::KeyService& service_;
  Report report_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace coffer::cli
