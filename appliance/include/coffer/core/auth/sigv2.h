#pragma once
// Legacy AWS Signature Version 2, verified only when VerifierOptions::
// allow_sigv2 is set (for old clients); otherwise the verifier refuses it
// outright. V2 is HMAC-SHA1 over a weaker canonical form that leaves most
// headers and the query unsigned, and its presigned URLs carry an absolute
// expiry chosen by the client: here those are capped at 7 days from now.
//
// Only path-style requests are supported: the canonicalized resource is the
// request path as sent (a virtual-hosted bucket is not prepended).

#include <string>
#include <string_view>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"

namespace coffer::core::auth {

// The V2 string to sign: verb, Content-MD5, Content-Type, `date_line` (the
// Date header, empty when x-amz-date is used, or Expires for presigned URLs),
// the x-amz-* headers and the canonicalized resource with its sub-resources.
std::string SigV2StringToSign(const HttpRequest& request, std::string_view date_line,
                              std::string_view raw_path, const QueryParams& query);

// Base64 of HMAC-SHA1(secret, string_to_sign).
std::string SigV2Signature(const Crypto& crypto, const base::Secret& secret_key,
                           std::string_view string_to_sign);

// Verifies a V2 Authorization header ("AWS AK:sig") or presigned query
// (AWSAccessKeyId, Expires, Signature). Errors: AccessDenied (missing
// parameters or date, expired URL, expiry more than 7 days ahead),
// RequestTimeTooSkewed, InvalidAccessKeyId, SignatureDoesNotMatch,
// MissingSecurityHeader, InvalidToken. The result has payload mode kUnsigned:
// V2 does not sign the body.
base::Result<Authentication> VerifySigV2(const Crypto& crypto, const HttpRequest& request,
                                         std::string_view raw_path, const QueryParams& query,
                                         const CredentialLookup& lookup, base::WallTime now,
                                         const VerifierOptions& options);

}  // namespace coffer::core::auth
