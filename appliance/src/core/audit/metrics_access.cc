#include "coffer/core/audit/metrics_access.h"

#include <utility>

#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/state/snapshot.h"

#include "../s3/authorize.h"
#include "../s3/request.h"

namespace coffer::core::audit {

struct SignedMetricsAccess::Impl {
  env::Env& env;
  s3::SnapshotSource snapshots;
  s3::RootCredential root;
  std::vector<std::string> trusted_proxies;
  std::unique_ptr<auth::Crypto> crypto;
  auth::SigningKeyCache signing_keys;
  std::unique_ptr<auth::Verifier> verifier;

  Impl(env::Env& e, s3::SnapshotSource s, s3::RootCredential r, std::vector<std::string> proxies)
      : env(e), snapshots(std::move(s)), root(std::move(r)), trusted_proxies(std::move(proxies)) {}
};

base::Result<std::unique_ptr<SignedMetricsAccess>> SignedMetricsAccess::Create(
    env::Env& env, s3::SnapshotSource snapshots, s3::RootCredential root, std::string region,
    std::vector<std::string> trusted_proxies) {
  auto impl = std::make_unique<Impl>(env, std::move(snapshots), std::move(root),
                                     std::move(trusted_proxies));
  COFFER_ASSIGN_OR_RETURN(impl->crypto, auth::Crypto::Create(env.random().LibCtx()));
  auth::VerifierOptions options;
  options.region = std::move(region);
  impl->verifier = std::make_unique<auth::Verifier>(*impl->crypto, impl->signing_keys, options);
  return std::unique_ptr<SignedMetricsAccess>(new SignedMetricsAccess(std::move(impl)));
}

SignedMetricsAccess::SignedMetricsAccess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignedMetricsAccess::~SignedMetricsAccess() = default;

bool SignedMetricsAccess::IsSigned(const HttpRequest& request) {
  if (request.Header("authorization").starts_with("AWS4-HMAC-SHA256")) return true;
  const std::string_view target = request.target;
  const auto q = target.find('?');
  return q != std::string_view::npos &&
         (target.find("X-Amz-Signature=", q) != std::string_view::npos ||
          target.find("X-Amz-Algorithm=", q) != std::string_view::npos);
}

base::Result<std::string> SignedMetricsAccess::Check(const HttpRequest& request) const {
  const base::WallTime now = impl_->env.clock().Now();
  const std::shared_ptr<const state::Snapshot> snapshot =
      impl_->snapshots ? impl_->snapshots() : nullptr;
  auto lookup = [&](std::string_view access_key) {
    // SECURITY: no session context, so STS session keys answer InvalidToken.
    return s3::LookupCredential(snapshot.get(), impl_->root, access_key, now);
  };
  // A scrape has no body: a signer that leaves out x-amz-content-sha256 (curl
  // --aws-sigv4, SDKs signing for a non-S3 service) signed the empty body.
  constexpr std::string_view kEmptySha256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  COFFER_ASSIGN_OR_RETURN(auth::Authentication authn,
                          impl_->verifier->VerifyBuffered(request, lookup, now, kEmptySha256));
  if (authn.kind == auth::AuthKind::kAnonymous) {
    return auth::MakeS3Error(auth::S3ErrorCode::kAccessDenied, "metrics need a signed request");
  }
  const bool is_root =
      !impl_->root.access_key.empty() && authn.access_key == impl_->root.access_key;
  s3::S3Request parsed;
  parsed.path = std::string(std::string_view(request.target).substr(0, request.target.find('?')));
  s3::Authorizer authorizer(snapshot.get(), authn, is_root, request, parsed, now,
                            impl_->trusted_proxies);
  const s3::AuthzDecision decision = authorizer.Decide("admin:Prometheus", "", "");
  if (!decision.allowed) {
    impl_->env.log().Log(env::LogLevel::kDebug, "metrics", "access denied",
                         {{"access_key", authn.access_key}, {"decision", decision.explanation}},
                         request.request_id);
    return auth::MakeS3Error(auth::S3ErrorCode::kAccessDenied,
                             "admin:Prometheus is not allowed for this key");
  }
  return authn.access_key;
}

}  // namespace coffer::core::audit
