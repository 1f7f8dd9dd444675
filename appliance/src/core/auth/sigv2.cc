#include "coffer/core/auth/sigv2.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/sigv4.h"

namespace coffer::core::auth {
namespace {

// Sub-resources that V2 signs, in byte order (AWS's list plus MinIO's later
// additions).
constexpr std::array<std::string_view, 29> kSubResources = {
    "acl",
    "cors",
    "delete",
    "encryption",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "retention",
    "select",
    "select-type",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

std::string_view FindParam(const QueryParams& query, std::string_view name, bool& found) {
  for (const auto& [key, value] : query) {
    if (key == name) {
      found = true;
      return value;
    }
  }
  found = false;
  return {};
}

std::string CanonicalResource(std::string_view raw_path, const QueryParams& query) {
  std::string out(raw_path.empty() ? "/" : raw_path);
  char separator = '?';
  for (std::string_view name : kSubResources) {
    bool found = false;
    const std::string_view value = FindParam(query, name, found);
    if (!found) continue;
    out += separator;
    out += name;
    if (!value.empty()) {
      out += '=';
      out += value;
    }
    separator = '&';
  }
  return out;
}

base::Status CheckV2Token(const Credential& credential, const HttpRequest& request,
                          const QueryParams& query) {
  bool in_query = false;
  std::string_view token = FindParam(query, "X-Amz-Security-Token", in_query);
  bool present = in_query;
  for (const auto& [name, value] : request.headers) {
    if (name == "x-amz-security-token") {
      token = value;
      present = true;
    }
  }
  if (credential.session_token.has_value()) {
    if (!present) return MakeS3Error(S3ErrorCode::kMissingSecurityHeader);
    if (!credential.session_token->EqualsConstantTime(token)) {
      return MakeS3Error(S3ErrorCode::kInvalidToken);
    }
  } else if (present) {
    return MakeS3Error(S3ErrorCode::kInvalidToken,
                       "a security token was sent with long-term credentials");
  }
  return base::Ok();
}

struct V2Claim {
  std::string_view access_key;
  std::string_view signature;
  std::string date_line;
  base::WallTime time;
};

base::Result<V2Claim> HeaderClaim(const HttpRequest& request, base::WallTime now,
                                  const VerifierOptions& options) {
  V2Claim claim;
  std::string_view value = request.Header("authorization");
  value.remove_prefix(4);  // "AWS ".
  const std::size_t colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
    return MakeS3Error(S3ErrorCode::kAuthorizationHeaderMalformed,
                       "a V2 Authorization header is \"AWS AccessKey:Signature\"");
  }
  claim.access_key = value.substr(0, colon);
  claim.signature = value.substr(colon + 1);
  std::string_view date = request.Header("x-amz-date");
  if (date.empty()) {
    date = request.Header("date");
    claim.date_line = std::string(date);
  }
  base::Result<base::WallTime> time = ParseHttpDate(date);
  if (!time.has_value()) {
    return MakeS3Error(S3ErrorCode::kAccessDenied,
                       "AWS authentication requires a valid Date or x-amz-date header");
  }
  claim.time = *time;
  const auto skew = claim.time > now ? claim.time - now : now - claim.time;
  if (skew > options.skew_max) return MakeS3Error(S3ErrorCode::kRequestTimeTooSkewed);
  return claim;
}

base::Result<V2Claim> QueryClaim(const QueryParams& query, base::WallTime now) {
  V2Claim claim;
  bool has_key = false, has_expires = false, has_signature = false;
  claim.access_key = FindParam(query, "AWSAccessKeyId", has_key);
  const std::string_view expires = FindParam(query, "Expires", has_expires);
  claim.signature = FindParam(query, "Signature", has_signature);
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), seconds);
  if (!has_key || !has_expires || !has_signature || ec != std::errc() ||
      end != expires.data() + expires.size()) {
    return MakeS3Error(S3ErrorCode::kAccessDenied,
                       "Query-string authentication requires the Signature, Expires and "
                       "AWSAccessKeyId parameters");
  }
  if (base::UnixSeconds(now) > seconds) {
    return MakeS3Error(S3ErrorCode::kAccessDenied, "Request has expired");
  }
  // SECURITY: V2 expiry is absolute and chosen by the signer; without a cap a
  // leaked V2 URL would work for years.
  if (seconds - base::UnixSeconds(now) > kPresignedExpiresMax.count()) {
    return MakeS3Error(S3ErrorCode::kAccessDenied,
                       "Signature Version 2 presigned URLs may not expire more than 7 days "
                       "ahead");
  }
  // INVARIANT: converted only after the 7-day cap, so it cannot overflow.
  claim.time = base::WallTime(std::chrono::seconds(seconds));
  claim.date_line = std::string(expires);
  return claim;
}

}  // namespace

std::string SigV2StringToSign(const HttpRequest& request, std::string_view date_line,
                              std::string_view raw_path, const QueryParams& query) {
  std::string out = request.method + "\n";
  out += request.Header("content-md5");
  out += '\n';
  out += request.Header("content-type");
  out += '\n';
  out += date_line;
  out += '\n';
  std::map<std::string, std::string> amz;
  for (const auto& [name, value] : request.headers) {
    if (!name.starts_with("x-amz-")) continue;
    std::string& joined = amz[name];
    if (!joined.empty()) joined += ',';
    joined += CanonicalHeaderValue(value);
  }
  for (const auto& [name, value] : amz) out.append(name).append(":").append(value) += '\n';
  out += CanonicalResource(raw_path, query);
  return out;
}

std::string SigV2Signature(const Crypto& crypto, const base::Secret& secret_key,
                           std::string_view string_to_sign) {
  return Base64Encode(crypto.HmacSha1(secret_key.Reveal(), string_to_sign));
}

base::Result<Authentication> VerifySigV2(const Crypto& crypto, const HttpRequest& request,
                                         std::string_view raw_path, const QueryParams& query,
                                         const CredentialLookup& lookup, base::WallTime now,
                                         const VerifierOptions& options) {
  const bool presigned = request.Header("authorization").empty();
  COFFER_ASSIGN_OR_RETURN(V2Claim claim,
                          presigned ? QueryClaim(query, now) : HeaderClaim(request, now, options));
  base::Result<Credential> credential = lookup(claim.access_key);
  if (!credential.has_value()) {
    if (credential.error().code() == base::ErrorCode::kNotFound) {
      return MakeS3Error(S3ErrorCode::kInvalidAccessKeyId);
    }
    return credential.error();
  }
  COFFER_RETURN_IF_ERROR(CheckV2Token(*credential, request, query));
  const std::string expected = SigV2Signature(
      crypto, credential->secret_key, SigV2StringToSign(request, claim.date_line, raw_path, query));
  // SECURITY: constant-time, as for V4.
  if (!ConstantTimeEquals(expected, claim.signature)) {
    return MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch);
  }
  Authentication out;
  out.kind = presigned ? AuthKind::kPresigned : AuthKind::kHeader;
  out.access_key = std::string(claim.access_key);
  out.principal = credential->principal;
  out.used_session_token = credential->session_token.has_value();
  out.request_time = presigned ? now : claim.time;
  out.payload.mode = PayloadMode::kUnsigned;
  out.payload.value = std::string(kUnsignedPayload);
  return out;
}

}  // namespace coffer::core::auth
