#include "coffer/core/audit/audited_key_service.h"

#include <span>
#include <utility>

namespace coffer::core::audit {
namespace {

std::string NewRequestId(base::Random& random) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::uint64_t v = 0;
  random.Fill(std::as_writable_bytes(std::span(&v, 1)));
  std::string id = "kms-0000000000000000";
  for (std::size_t i = id.size(); i > 4; --i) {
    id[i - 1] = kHex[v & 0xf];
    v >>= 4;
  }
  return id;
}

template <typename T>
base::Status StatusOf(const base::Result<T>& r) {
  if (r.has_value()) return base::Ok();
  return r.error();
}

}  // namespace

AuditedKeyService::AuditedKeyService(std::unique_ptr<env::KeyService> inner, env::Env& env,
                                     std::string identity, std::string endpoint)
    : inner_(std::move(inner)),
      env_(env),
      identity_(std::move(identity)),
      endpoint_(std::move(endpoint)) {}

void AuditedKeyService::Attach(AuditLog& log) {
  std::vector<Held> held;
  {
    std::lock_guard lock(mu_);
    log_ = &log;
    held = std::move(held_);
    held_.clear();
    attached_.store(&log);
  }
  for (const Held& h : held) {
    std::string entry = BuildKeyEntry(log.deployment_id(), h.time, h.facts);
    if (auto recorded = log.Record(std::move(entry)); !recorded.has_value()) {
      env_.log().Error("audit", "a start-up key-service entry could not be recorded",
                       {{"error", recorded.error().message()}});
    }
  }
}

base::Status AuditedKeyService::Audit(std::string_view api, std::string_view key,
                                      std::string_view context, const base::Status& outcome,
                                      base::MonoTime start) {
  KeyOperationFacts facts;
  facts.request_id = NewRequestId(env_.random());
  facts.api = api;
  facts.key = key;
  facts.context = context;
  facts.identity = identity_;
  facts.key_service = endpoint_;
  if (!outcome.has_value()) facts.error_code = base::ErrorCodeName(outcome.error().code());
  facts.duration = env_.clock().Monotonic() - start;
  const base::WallTime now = env_.clock().Now();
  AuditLog* log = attached_.load();
  if (log == nullptr) {
    std::lock_guard lock(mu_);
    if (log_ == nullptr) {
      held_.push_back({std::move(facts), now});
      return base::Ok();
    }
    log = log_;
  }
  base::Status recorded = log->Record(BuildKeyEntry(log->deployment_id(), now, facts));
  if (!recorded.has_value()) {
    env_.log().Error("audit", "key-service operation not recorded",
                     {{"api", std::string(api)},
                      {"key", std::string(key)},
                      {"error", recorded.error().message()}});
    return base::Unavailable("the audit trail cannot record this key-service operation");
  }
  return base::Ok();
}

base::Status AuditedKeyService::CreateKey(std::string_view name) {
  const auto start = env_.clock().Monotonic();
  base::Status r = inner_->CreateKey(name);
  COFFER_RETURN_IF_ERROR(Audit("KMS.CreateKey", name, "", r, start));
  return r;
}

base::Status AuditedKeyService::DeleteKey(std::string_view name) {
  const auto start = env_.clock().Monotonic();
  base::Status r = inner_->DeleteKey(name);
  COFFER_RETURN_IF_ERROR(Audit("KMS.DeleteKey", name, "", r, start));
  return r;
}

base::Result<std::vector<env::KeyInfo>> AuditedKeyService::ListKeys(std::string_view pattern) {
  const auto start = env_.clock().Monotonic();
  auto r = inner_->ListKeys(pattern);
  COFFER_RETURN_IF_ERROR(Audit("KMS.ListKeys", pattern, "", StatusOf(r), start));
  return r;
}

base::Result<env::DataKey> AuditedKeyService::GenerateKey(std::string_view name,
                                                          std::string_view context) {
  const auto start = env_.clock().Monotonic();
  auto r = inner_->GenerateKey(name, context);
  COFFER_RETURN_IF_ERROR(Audit("KMS.GenerateKey", name, context, StatusOf(r), start));
  return r;
}

base::Result<base::Secret> AuditedKeyService::Decrypt(std::string_view name,
                                                      std::string_view ciphertext,
                                                      std::string_view context) {
  const auto start = env_.clock().Monotonic();
  auto r = inner_->Decrypt(name, ciphertext, context);
  COFFER_RETURN_IF_ERROR(Audit("KMS.Decrypt", name, context, StatusOf(r), start));
  return r;
}

base::Result<std::string> AuditedKeyService::Encrypt(std::string_view name,
                                                     std::string_view plaintext,
                                                     std::string_view context) {
  const auto start = env_.clock().Monotonic();
  auto r = inner_->Encrypt(name, plaintext, context);
  COFFER_RETURN_IF_ERROR(Audit("KMS.Encrypt", name, context, StatusOf(r), start));
  return r;
}

base::Result<env::KeyInfo> AuditedKeyService::RotateKey(std::string_view name) {
  const auto start = env_.clock().Monotonic();
  auto r = inner_->RotateKey(name);
  COFFER_RETURN_IF_ERROR(Audit("KMS.RotateKey", name, "", StatusOf(r), start));
  return r;
}

base::Result<std::string> AuditedKeyService::Rewrap(std::string_view name,
                                                    std::string_view ciphertext,
                                                    std::string_view context) {
  const auto start = env_.clock().Monotonic();
  auto r = inner_->Rewrap(name, ciphertext, context);
  COFFER_RETURN_IF_ERROR(Audit("KMS.Rewrap", name, context, StatusOf(r), start));
  return r;
}

base::Result<env::KeyServiceStatus> AuditedKeyService::Status() { return inner_->Status(); }

}  // namespace coffer::core::audit
