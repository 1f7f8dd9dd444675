#pragma once
// The S3 API: the request core behind the HTTP shell. One S3Api serves every
// S3 request: it parses the request target (path- or virtual-host-style),
// authenticates (SigV4 through auth::Verifier), authorizes each action against
// the IAM snapshot (policy-dsl), runs the operation on the object layer and
// answers with S3 XML. Bodies stream both ways; nothing here touches a socket,
// a file, the wall clock or a random source except through env::Env, so the
// simulator drives the same code.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coffer/base/random.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"
#include "coffer/core/storage/object_layer.h"
#include "coffer/env/env.h"
#include "coffer/env/key_service.h"
#include "coffer/state/store.h"

namespace coffer::state {
class Snapshot;
}

namespace coffer::core::sts {
class SessionTokenCodec;  // sts/session_token.h
struct SessionClaims;
}  // namespace coffer::core::sts

namespace coffer::core::s3 {

struct S3ApiOptions {
  std::string region = "us-east-1";
  // Opens STS session tokens (the STS API seals them with the same key).
  // Null: requests with session credentials answer InvalidToken.
  std::shared_ptr<const sts::SessionTokenCodec> session_tokens;
  // Domains for virtual-host-style addressing: a Host of "bkt.DOMAIN" names
  // bucket "bkt". Empty: path-style only.
  std::vector<std::string> domains;
  // Largest single PUT and largest part (S3: 5 GiB), smallest non-last part
  // (S3: 5 MiB).
  std::uint64_t max_put_size_bytes = 5ull << 30;
  std::uint64_t min_part_size_bytes = 5ull << 20;
  // Largest XML request body (DeleteObjects of 1,000 keys fits).
  std::size_t max_xml_body_bytes = 2u << 20;
  // Legacy Signature V2 (off: refused with a message naming V4).
  bool allow_sigv2 = false;
  // CIDRs of reverse proxies whose X-Forwarded-For names the client for
  // aws:SourceIp. Empty: the socket peer is the source, always.
  std::vector<std::string> trusted_proxies;
  // Server-side encryption: the key service that holds the master keys
  // (borrowed, must outlive the API, thread-safe). Null: SSE-S3 and SSE-KMS
  // requests answer 503 ServiceUnavailable; SSE-C needs no key service.
  env::KeyService* key_service = nullptr;
  // The key-service key that seals SSE-S3 object keys, and the one SSE-KMS
  // uses when the client names none (S3's "aws/s3" managed key). Created on
  // first use when missing.
  std::string sse_master_key = "coffer-sse-s3";
};

// The root user: allowed everything, as MinIO's root.
struct RootCredential {
  std::string access_key;
  base::Secret secret_key;
};

// Returns the IAM snapshot requests should use now (null before the first
// reconcile: then only the root user is known). Thread-safe.
using SnapshotSource = std::function<std::shared_ptr<const state::Snapshot>()>;

// The runtime-owned IAM state the S3 API may change (the config repo owns
// the rest): settings of buckets the repo does not declare. Each call is one
// store transaction followed by a snapshot swap, so the next request sees it.
// Implementations are thread-safe.
class RuntimeState {
 public:
  virtual ~RuntimeState() = default;
  // Sets (policy non-empty) or removes (empty) the bucket policy. The policy
  // is already validated. Errors: kFailedPrecondition when the repo owns the
  // bucket.
  virtual base::Status SetBucketPolicy(std::string_view bucket, std::string_view policy) = 0;
  // Sets the default encryption ("none", "sse-s3", "sse-kms" with a key).
  virtual base::Status SetBucketEncryption(std::string_view bucket, std::string_view encryption,
                                           std::string_view kms_key) = 0;
  // Forgets the runtime settings of a deleted bucket.
  virtual base::Status ForgetBucket(std::string_view bucket) = 0;

  // Service accounts (the admin API). The caller has checked the parent and
  // validated the policy; the secret is encrypted with `random`. Errors:
  // kAlreadyExists when the access key is taken.
  virtual base::Status CreateServiceAccount(const state::RuntimeCredential& credential,
                                            base::Random& random) = 0;
  // Of `parent`, or all when empty; never with secrets.
  virtual base::Result<std::vector<state::ServiceAccountInfo>> ListServiceAccounts(
      std::string_view parent) = 0;
  // kNotFound when absent.
  virtual base::Status DeleteServiceAccount(std::string_view access_key) = 0;

  // STS sessions (the admin API): of `parent`, or all when empty; never
  // secrets or tokens.
  virtual base::Result<std::vector<state::StsSessionInfo>> ListStsSessions(
      std::string_view parent) = 0;
  // Revokes `access_key`, or (empty) every session of `parent`; the snapshot
  // is swapped before it returns, so the next request refuses the token.
  // Returns how many; kNotFound when none matched.
  virtual base::Result<std::int64_t> RevokeStsSessions(std::string_view access_key,
                                                       std::string_view parent) = 0;
};

// What LookupCredential needs to accept STS session credentials.
struct SessionContext {
  const sts::SessionTokenCodec* codec = nullptr;  // Null: session keys answer InvalidToken.
  std::string_view token;  // The request's X-Amz-Security-Token ("" when absent).
  // When non-null and the key is a session's, receives the opened token.
  sts::SessionClaims* claims = nullptr;
};

// Resolves an access key for auth::Verifier, the same way for every API that
// takes SigV4 (S3, admin, STS): the root credential, then the snapshot's users
// and service accounts (expired ones answer ExpiredToken), then STS sessions:
// the request's token must open under `session.codec` and name this access
// key (InvalidToken otherwise; tampered, truncated or another key's token),
// must not have expired at `now` (ExpiredToken), must not be revoked in the
// snapshot (InvalidToken), and its parent must still be able to act: an IAM
// user that exists and is enabled, or the current root (AccessDenied
// otherwise). A session the snapshot does not know (minted by another node)
// is accepted on its token alone. `snapshot` may be null (only root and
// tokens are then known).
base::Result<auth::Credential> LookupCredential(const state::Snapshot* snapshot,
                                                const RootCredential& root,
                                                std::string_view access_key, base::WallTime now,
                                                const SessionContext& session = {});

class S3Api final : public Handler {
 public:
  // `env`, `objects` and `runtime` are borrowed and must outlive the API.
  static base::Result<std::unique_ptr<S3Api>> Create(env::Env& env, storage::ObjectLayer& objects,
                                                     SnapshotSource snapshots,
                                                     RuntimeState& runtime, RootCredential root,
                                                     S3ApiOptions options);
  ~S3Api() override;

  // Serves one request. Thread-safe; runs on a worker thread.
  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) override;

  struct Impl;

 private:
  explicit S3Api(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::core::s3
