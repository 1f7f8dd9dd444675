#pragma once
// Key-service operations as an audit source (issue #11): a KeyService that
// forwards every call to the real one (in-process or a KES server) and
// records one entry per operation (BuildKeyEntry: who, which API, which key
// and context, how it ended; never key material). Status() is a health
// probe, polled every few seconds: forwarded, not audited.
//
// Strict targets: when the entry cannot be made durable, an operation that
// returns key material or ciphertext (GenerateKey, Decrypt, Encrypt, Rewrap)
// fails with kUnavailable and its result is discarded, so nothing is
// revealed without a record. Create, Delete and Rotate have already happened
// then; they report kUnavailable too, and the error log says so.
//
// Entries made before Attach() (keys created at start-up, before the audit
// targets are open) are kept in memory and recorded by Attach().
//
// Thread-safe.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coffer/core/audit/audit_log.h"
#include "coffer/core/audit/entry.h"
#include "coffer/env/env.h"
#include "coffer/env/key_service.h"

namespace coffer::core::audit {

class AuditedKeyService final : public env::KeyService {
 public:
  // `identity` names the appliance at the key service; `endpoint` is
  // "in-process" or the server's address. `env` must outlive this.
  AuditedKeyService(std::unique_ptr<env::KeyService> inner, env::Env& env, std::string identity,
                    std::string endpoint);

  // From now on entries go to `log` (borrowed; must outlive this), starting
  // with those held since construction. Call once.
  void Attach(AuditLog& log);

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
  base::Result<env::KeyServiceStatus> Status() override;

 private:
  // Records the entry of one finished operation; an error when a strict
  // target could not make it durable.
  base::Status Audit(std::string_view api, std::string_view key, std::string_view context,
                     const base::Status& outcome, base::MonoTime start);

  std::unique_ptr<env::KeyService> inner_;
  env::Env& env_;
  const std::string identity_;
  const std::string endpoint_;
  struct Held {
    KeyOperationFacts facts;
    base::WallTime time;
  };
  std::mutex mu_;
  AuditLog* log_ = nullptr;  // GUARDED_BY(mu_) until set, then immutable.
  std::vector<Held> held_;   // Operations before Attach(). GUARDED_BY(mu_)
  std::atomic<AuditLog*> attached_{nullptr};
};

}  // namespace coffer::core::audit
