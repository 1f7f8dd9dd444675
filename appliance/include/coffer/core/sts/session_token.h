#pragma once
// STS session tokens: self-contained, sealed credentials. A token carries
// everything a node needs to authenticate and authorize a request made with
// temporary credentials (access key, secret key, expiry, parent identity,
// policy names, session policy, policy-variable values), encrypted and
// authenticated with AES-256-GCM under a key derived from the appliance's
// master key. Any node holding the master key opens a token without a store
// lookup; a token changed in any bit does not open.
//
// Wire form: "CST1" followed by base64url(nonce(12) | ciphertext | tag(16)),
// no padding. The plaintext is a length-prefixed binary record (not JSON) so
// that opening one costs a single AES-GCM pass and a few copies.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::state {
class MasterKey;
}

namespace coffer::core::sts {

// Whom a session acts for. Decides how its rights are computed on each
// request (see s3/authorize.h).
enum class ParentKind : std::uint8_t {
  kUser = 1,       // An IAM user: the user's current policies ∩ the session policy.
  kRoot = 2,       // The root user: the session policy alone (none: root's rights).
  kFederated = 3,  // OIDC, LDAP or a client certificate: `policies` ∩ the session policy.
};

struct SessionClaims {
  std::string access_key;
  base::Secret secret_key;
  ParentKind parent_kind = ParentKind::kUser;
  // kUser: the user name; kRoot: the root access key; kFederated: the
  // ExternalIdentity's parent ("oidc:<provider>:<sub>", an LDAP DN, "cert:<CN>").
  std::string parent;
  std::string subject;  // For AssumedRoleUser / audit; may be empty.
  // kFederated only: policy names resolved at mint time (each must still
  // exist in the snapshot when a request is authorized).
  std::vector<std::string> policies;
  std::string session_policy;  // Identity-policy JSON narrowing the session; may be empty.
  // Policy-variable values ("jwt:sub", "ldap:username", ...), without "${}".
  std::map<std::string, std::string> variables;
  base::WallTime issued_at{};
  base::WallTime expires_at{};
};

// Seals and opens session tokens. Immutable after construction and
// thread-safe.
class SessionTokenCodec {
 public:
  // Derives the token key from `master` (HMAC-SHA256 with a fixed context, so
  // the master key itself never encrypts tokens). `libctx` is used for every
  // OpenSSL call and must outlive the codec. Errors: kInternal when OpenSSL
  // cannot provide AES-256-GCM.
  static base::Result<std::unique_ptr<SessionTokenCodec>> Create(const state::MasterKey& master,
                                                                 ossl_lib_ctx_st* libctx);
  // Same, from 32 raw key bytes (tests and the simulator).
  static base::Result<std::unique_ptr<SessionTokenCodec>> FromKeyBytes(const base::Secret& key,
                                                                       ossl_lib_ctx_st* libctx);
  ~SessionTokenCodec();
  SessionTokenCodec(const SessionTokenCodec&) = delete;
  SessionTokenCodec& operator=(const SessionTokenCodec&) = delete;

  // Returns the token for `claims`, with a fresh nonce from `random`.
  base::Result<std::string> Seal(const SessionClaims& claims, base::Random& random) const;

  // Opens `token`. Does not check expiry (the caller compares expires_at with
  // its clock, so that it can answer ExpiredToken). Errors: kUnauthenticated
  // for anything that is not a token this key sealed (malformed, truncated,
  // tampered, another appliance's). Never echoes the token.
  base::Result<SessionClaims> Open(std::string_view token) const;

  // A digest that names a token in the store and in listings without
  // revealing it (hex SHA-256 of the token).
  std::string Digest(std::string_view token) const;

  struct Impl;

 private:
  explicit SessionTokenCodec(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Largest token Open() accepts (a 2 KiB session policy and many policy names
// fit); larger input is refused before any decoding.
inline constexpr std::size_t kMaxSessionTokenBytes = 16 * 1024;

}  // namespace coffer::core::sts
