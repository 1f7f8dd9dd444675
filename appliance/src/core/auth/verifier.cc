#include "coffer/core/auth/verifier.h"

#include <charconv>

#include "coffer/base/planted.h"
#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/signature.h"
#include "coffer/core/auth/sigv2.h"

namespace coffer::core::auth {

struct Verifier::Parsed {
  std::string_view raw_path;
  QueryParams query;
  std::string_view authorization;
  // Set by VerifyBuffered: the SHA-256 hex of the body the caller holds.
  std::optional<std::string_view> body_sha256;
};

namespace {

enum class Scheme { kAnonymous, kV4Header, kV4Query, kV2 };

struct RequestDate {
  std::string amz_date;  // ISO 8601 basic, as it enters the string to sign.
  base::WallTime time;
};

bool HasParam(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return true;
  }
  return false;
}

base::Result<Scheme> DetectScheme(const HttpRequest& request, const QueryParams& query) {
  int authorization_headers = 0;
  for (const auto& [name, value] : request.headers) {
    if (name == "authorization") ++authorization_headers;
  }
  // SECURITY: with two Authorization headers, different components could read
  // different ones; refuse rather than pick.
  if (authorization_headers > 1) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "the request has more than one Authorization header");
  }
  const bool v4_query = HasPresignedParameters(query);
  const bool v2_query = HasParam(query, "AWSAccessKeyId");
  if (authorization_headers == 1 && (v4_query || v2_query)) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                       "parameter, Signature query string parameter or the Authorization header "
                       "should be specified");
  }
  if (authorization_headers == 1) {
    const std::string_view value = request.Header("authorization");
    if (value.substr(0, 4) == "AWS ") return Scheme::kV2;
    return Scheme::kV4Header;
  }
  if (v4_query) return Scheme::kV4Query;
  if (v2_query) return Scheme::kV2;
  return Scheme::kAnonymous;
}

base::Error RefuseV2() {
  // SECURITY: V2 is HMAC-SHA1 over a weaker canonical form, and its presigned
  // URLs carry an absolute expiry of the client's choosing.
  return MakeS3Error(S3ErrorCode::kInvalidRequest,
                     "AWS Signature Version 2 is not supported; sign requests with AWS "
                     "Signature Version 4 (AWS4-HMAC-SHA256)");
}

base::Result<RequestDate> HeaderRequestDate(const HttpRequest& request) {
  const base::Error missing = MakeS3Error(
      S3ErrorCode::kAccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
  const std::string_view amz = request.Header("x-amz-date");
  if (!amz.empty()) {
    base::Result<base::WallTime> t = ParseAmzDate(amz);
    if (!t.has_value()) return missing;
    return RequestDate{std::string(amz), *t};
  }
  const std::string_view date = request.Header("date");
  if (date.empty()) return missing;
  base::Result<base::WallTime> t = ParseHttpDate(date);
  if (!t.has_value()) return missing;
  return RequestDate{FormatAmzDate(*t), *t};
}

base::Status CheckSkew(base::WallTime request_time, base::WallTime now, std::chrono::seconds max) {
  const auto skew = request_time > now ? request_time - now : now - request_time;
  if (skew > max) {
    return MakeS3Error(S3ErrorCode::kRequestTimeTooSkewed,
                       "The difference between the request time and the current time is too "
                       "large.");
  }
  return base::Ok();
}

// Host must be signed, and so must every x-amz-* header the request carries.
base::Status CheckSignedHeaderSet(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers,
                                  S3ErrorCode malformed) {
  auto is_signed = [&signed_headers](std::string_view name) {
    for (const std::string& s : signed_headers) {
      if (s == name) return true;
    }
    return false;
  };
  if (!is_signed("host")) return MakeS3Error(malformed, "SignedHeaders must include host");
  for (const auto& [name, value] : request.headers) {
    // SECURITY: x-amz-* headers change what an operation does (copy source,
    // ACL, encryption keys); an unsigned one would let whoever holds a
    // signature or presigned URL change the request it authorises.
    if (name.starts_with("x-amz-") && !is_signed(name)) {
      return MakeS3Error(
          S3ErrorCode::kAccessDenied,
          "There were headers present in the request which were not signed: " + name);
    }
  }
  return base::Ok();
}

base::Status CheckToken(const Credential& credential, std::optional<std::string_view> token) {
  if (credential.session_token.has_value()) {
    if (!token.has_value() || token->empty()) {
      return MakeS3Error(S3ErrorCode::kMissingSecurityHeader,
                         "temporary credentials require X-Amz-Security-Token");
    }
    if (!credential.session_token->EqualsConstantTime(*token)) {
      return MakeS3Error(S3ErrorCode::kInvalidToken);
    }
    return base::Ok();
  }
  if (token.has_value()) {
    return MakeS3Error(S3ErrorCode::kInvalidToken,
                       "a security token was sent with long-term credentials");
  }
  return base::Ok();
}

std::optional<std::string_view> HeaderIfPresent(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

base::Result<std::vector<std::string>> ParseTrailerNames(std::string_view value) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    const std::string name = CanonicalHeaderValue(value.substr(start, end - start));
    start = end + 1;
    if (name.empty()) continue;
    if (!ChecksumAlgorithmFromHeader(name).has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest, "the trailer '" + name.substr(0, 40) +
                                                           "' in x-amz-trailer is not "
                                                           "supported");
    }
    for (const std::string& seen : names) {
      if (seen == name) {
        return MakeS3Error(S3ErrorCode::kInvalidRequest, "x-amz-trailer lists " + name + " twice");
      }
    }
    names.push_back(name);
  }
  return names;
}

// Fills the decoded length and trailer names the body stage needs.
base::Status FillStreaming(const HttpRequest& request, Authentication& out) {
  const std::optional<std::string_view> trailer = HeaderIfPresent(request, "x-amz-trailer");
  const bool trailer_mode = out.payload.mode == PayloadMode::kStreamingSignedTrailer ||
                            out.payload.mode == PayloadMode::kStreamingUnsignedTrailer;
  if (trailer.has_value() && !trailer_mode) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "x-amz-trailer needs a *-TRAILER x-amz-content-sha256 mode");
  }
  if (!IsStreaming(out.payload.mode)) return base::Ok();
  if (trailer.has_value()) {
    COFFER_ASSIGN_OR_RETURN(out.trailers, ParseTrailerNames(*trailer));
  }
  const std::string_view length = request.Header("x-amz-decoded-content-length");
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), value);
  if (length.empty() || ec != std::errc() || end != length.data() + length.size()) {
    return MakeS3Error(S3ErrorCode::kMissingContentLength,
                       "aws-chunked uploads need a numeric x-amz-decoded-content-length header");
  }
  out.decoded_content_length = value;
  return base::Ok();
}

}  // namespace

Verifier::Verifier(const Crypto& crypto, SigningKeyCache& cache, VerifierOptions options)
    : crypto_(crypto), cache_(cache), options_(std::move(options)) {}

base::Result<Authentication> Verifier::Verify(const HttpRequest& request,
                                              const CredentialLookup& lookup,
                                              base::WallTime now) const {
  return VerifyWith(request, lookup, now, std::nullopt);
}

base::Result<Authentication> Verifier::VerifyBuffered(const HttpRequest& request,
                                                      const CredentialLookup& lookup,
                                                      base::WallTime now,
                                                      std::string_view body_sha256) const {
  return VerifyWith(request, lookup, now, body_sha256);
}

base::Result<Authentication> Verifier::VerifyWith(
    const HttpRequest& request, const CredentialLookup& lookup, base::WallTime now,
    std::optional<std::string_view> body_sha256) const {
  Parsed parsed;
  parsed.body_sha256 = body_sha256;
  const auto [path, raw_query] = SplitTarget(request.target);
  parsed.raw_path = path;
  COFFER_ASSIGN_OR_RETURN(parsed.query, ParseQuery(raw_query));
  COFFER_ASSIGN_OR_RETURN(Scheme scheme, DetectScheme(request, parsed.query));
  switch (scheme) {
    case Scheme::kV2:
      if (!options_.allow_sigv2) return RefuseV2();
      return VerifySigV2(crypto_, request, parsed.raw_path, parsed.query, lookup, now, options_);
    case Scheme::kV4Header:
      parsed.authorization = request.Header("authorization");
      return VerifyHeader(request, parsed, lookup, now);
    case Scheme::kV4Query:
      return VerifyPresigned(request, parsed, lookup, now);
    case Scheme::kAnonymous:
      break;
  }
  Authentication out;
  out.request_time = now;
  if (const auto value = HeaderIfPresent(request, "x-amz-content-sha256")) {
    COFFER_ASSIGN_OR_RETURN(out.payload, ParseContentSha256(*value));
    if (out.payload.mode == PayloadMode::kStreamingSigned ||
        out.payload.mode == PayloadMode::kStreamingSignedTrailer) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "signed aws-chunked payloads need a signed request");
    }
  }
  COFFER_RETURN_IF_ERROR(FillStreaming(request, out));
  return out;
}

base::Result<Authentication> Verifier::VerifyHeader(const HttpRequest& request,
                                                    const Parsed& parsed,
                                                    const CredentialLookup& lookup,
                                                    base::WallTime now) const {
  const S3ErrorCode malformed = S3ErrorCode::kAuthorizationHeaderMalformed;
  COFFER_ASSIGN_OR_RETURN(AuthorizationHeader authz,
                          ParseAuthorizationHeader(parsed.authorization));
  COFFER_RETURN_IF_ERROR(CheckScope(authz.credential, malformed));
  COFFER_ASSIGN_OR_RETURN(RequestDate date, HeaderRequestDate(request));
  if (date.amz_date.substr(0, 8) != authz.credential.date) {
    return MakeS3Error(malformed, "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  COFFER_RETURN_IF_ERROR(CheckSkew(date.time, now, options_.skew_max));
  std::optional<std::string_view> content = HeaderIfPresent(request, "x-amz-content-sha256");
  if (parsed.body_sha256.has_value()) {
    // A buffered body (body_sha256 callers): AWS SDKs sign non-S3 services over
    // the body's hash without sending the header; a header, when sent, must agree.
    if (!content.has_value()) {
      content = parsed.body_sha256;
    } else if (*content != kUnsignedPayload && *content != *parsed.body_sha256) {
      return MakeS3Error(S3ErrorCode::kXAmzContentSha256Mismatch);
    }
  }
  if (!content.has_value()) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "Missing required header for this request: x-amz-content-sha256");
  }
  Authentication out;
  COFFER_ASSIGN_OR_RETURN(out.payload, ParseContentSha256(*content));
  COFFER_RETURN_IF_ERROR(CheckSignedHeaderSet(request, authz.signed_headers, malformed));
  COFFER_ASSIGN_OR_RETURN(Credential credential, Lookup(lookup, authz.credential.access_key));
  const std::optional<std::string_view> token = HeaderIfPresent(request, "x-amz-security-token");
  COFFER_RETURN_IF_ERROR(CheckToken(credential, token));
  out.kind = AuthKind::kHeader;
  out.request_time = date.time;
  out.used_session_token = token.has_value();
  COFFER_RETURN_IF_ERROR(CheckSignature(request, parsed, credential, authz.credential,
                                        authz.signed_headers, out.payload.value, date.amz_date,
                                        authz.signature, out));
  COFFER_RETURN_IF_ERROR(FillStreaming(request, out));
  return out;
}

base::Result<Authentication> Verifier::VerifyPresigned(const HttpRequest& request,
                                                       const Parsed& parsed,
                                                       const CredentialLookup& lookup,
                                                       base::WallTime now) const {
  const S3ErrorCode malformed = S3ErrorCode::kAuthorizationQueryParametersError;
  COFFER_ASSIGN_OR_RETURN(PresignedQuery query, ParsePresignedQuery(parsed.query));
  COFFER_RETURN_IF_ERROR(CheckScope(query.credential, malformed));
  if (query.amz_date.substr(0, 8) != query.credential.date) {
    return MakeS3Error(malformed, "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (query.time > now + options_.skew_max) {
    return MakeS3Error(S3ErrorCode::kAccessDenied, "Request is not valid yet");
  }
  if (now > query.time + query.expires && !base::Planted(base::PlantedBug::kSkipPresignExpiry)) {
    return MakeS3Error(S3ErrorCode::kAccessDenied, "Request has expired");
  }
  Authentication out;
  std::optional<std::string_view> content = query.content_sha256;
  if (!content.has_value()) content = HeaderIfPresent(request, "x-amz-content-sha256");
  COFFER_ASSIGN_OR_RETURN(out.payload, ParseContentSha256(content.value_or(kUnsignedPayload)));
  if (IsStreaming(out.payload.mode)) {
    return MakeS3Error(S3ErrorCode::kInvalidRequest,
                       "aws-chunked payloads cannot be sent with a presigned URL");
  }
  COFFER_RETURN_IF_ERROR(CheckSignedHeaderSet(request, query.signed_headers, malformed));
  COFFER_ASSIGN_OR_RETURN(Credential credential, Lookup(lookup, query.credential.access_key));
  COFFER_RETURN_IF_ERROR(CheckToken(credential, query.security_token));
  out.kind = AuthKind::kPresigned;
  out.request_time = query.time;
  out.used_session_token = query.security_token.has_value();
  COFFER_RETURN_IF_ERROR(CheckSignature(request, parsed, credential, query.credential,
                                        query.signed_headers, out.payload.value, query.amz_date,
                                        query.signature, out));
  COFFER_RETURN_IF_ERROR(FillStreaming(request, out));
  return out;
}

base::Status Verifier::CheckScope(const CredentialScopeParts& scope, S3ErrorCode code) const {
  if (scope.region != options_.region) {
    return MakeS3Error(code, "the region '" + scope.region.substr(0, 64) +
                                 "' is wrong; expecting '" + options_.region + "'");
  }
  if (scope.service != options_.service) {
    return MakeS3Error(code, "the service '" + scope.service.substr(0, 64) +
                                 "' is wrong; expecting '" + options_.service + "'");
  }
  return base::Ok();
}

base::Result<Credential> Verifier::Lookup(const CredentialLookup& lookup,
                                          std::string_view access_key) const {
  base::Result<Credential> credential = lookup(access_key);
  if (!credential.has_value() && credential.error().code() == base::ErrorCode::kNotFound) {
    return MakeS3Error(S3ErrorCode::kInvalidAccessKeyId);
  }
  return credential;
}

base::Status Verifier::CheckSignature(const HttpRequest& request, const Parsed& parsed,
                                      const Credential& credential,
                                      const CredentialScopeParts& scope,
                                      const std::vector<std::string>& signed_headers,
                                      std::string_view payload_hash, std::string_view amz_date,
                                      std::string_view signature, Authentication& out) const {
  const std::string scope_text = scope.Scope();
  base::Secret key =
      cache_.Get(crypto_, credential.secret_key, scope.date, scope.region, scope.service);
  SignatureInput input;
  input.method = request.method;
  input.raw_path = parsed.raw_path;
  input.query = &parsed.query;
  input.skip_query = out.kind == AuthKind::kPresigned ? "X-Amz-Signature" : "";
  input.headers = &request.headers;
  input.signed_headers = signed_headers;
  input.payload_hash = payload_hash;
  input.amz_date = amz_date;
  input.scope = scope_text;
  input.canonical = options_.canonical;
  COFFER_ASSIGN_OR_RETURN(SignatureResult computed, ComputeSignature(crypto_, key, input));
  // SECURITY: constant-time comparison, so response timing does not reveal
  // how many leading characters of a forged signature were right.
  if (!ConstantTimeEquals(computed.signature, signature)) {
    return MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch);
  }
  out.access_key = scope.access_key;
  out.principal = credential.principal;
  out.streaming.signing_key = std::move(key);
  out.streaming.amz_date = std::string(amz_date);
  out.streaming.scope = scope_text;
  out.streaming.seed_signature = std::string(signature);
  return base::Ok();
}

}  // namespace coffer::core::auth
