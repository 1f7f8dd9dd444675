#include "coffer/core/auth/signer.h"

#include <algorithm>

#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/auth/sigv4.h"

namespace coffer::core::auth {
namespace {

void SetHeader(HeaderList& headers, std::string_view name, std::string value) {
  for (auto& [key, v] : headers) {
    if (key == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

bool Unsignable(std::string_view name) {
  return name == "authorization" || name == "user-agent" || name == "expect" ||
         name == "x-amzn-trace-id";
}

std::vector<std::string> HeadersToSign(const HeaderList& headers) {
  std::vector<std::string> names;
  for (const auto& [name, value] : headers) {
    if (!Unsignable(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string HexSize(std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n & 0xf]);
    n >>= 4;
  } while (n != 0);
  return out;
}

}  // namespace

Signer::Signer(const Crypto& crypto, SigningCredentials credentials, SignerOptions options)
    : crypto_(crypto), credentials_(std::move(credentials)), options_(std::move(options)) {}

base::Result<SignedRequestInfo> Signer::Sign(HttpRequest& request, base::WallTime now,
                                             std::string_view payload_hash) const {
  const std::string amz_date = FormatAmzDate(now);
  SetHeader(request.headers, "x-amz-date", amz_date);
  if (options_.set_content_sha256) {
    SetHeader(request.headers, "x-amz-content-sha256", std::string(payload_hash));
  }
  if (!credentials_.session_token.empty() && options_.sign_session_token) {
    SetHeader(request.headers, "x-amz-security-token", credentials_.session_token);
  }
  const std::vector<std::string> names = HeadersToSign(request.headers);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = CredentialScope(date, options_.region, options_.service);
  const auto [path, raw_query] = SplitTarget(request.target);
  COFFER_ASSIGN_OR_RETURN(QueryParams query, ParseQuery(raw_query));
  SignedRequestInfo info;
  info.streaming.signing_key =
      DeriveSigningKey(crypto_, credentials_.secret_key, date, options_.region, options_.service);
  SignatureInput input;
  input.method = request.method;
  input.raw_path = path;
  input.query = &query;
  input.headers = &request.headers;
  input.signed_headers = names;
  input.payload_hash = payload_hash;
  input.amz_date = amz_date;
  input.scope = scope;
  input.canonical = options_.canonical;
  COFFER_ASSIGN_OR_RETURN(info.signature,
                          ComputeSignature(crypto_, info.streaming.signing_key, input));
  info.authorization = std::string(kSigV4Algorithm) + " Credential=" + credentials_.access_key +
                       "/" + scope + ", SignedHeaders=" + JoinSignedHeaders(names) +
                       ", Signature=" + info.signature.signature;
  SetHeader(request.headers, "authorization", info.authorization);
  info.streaming.amz_date = amz_date;
  info.streaming.scope = scope;
  info.streaming.seed_signature = info.signature.signature;
  return info;
}

base::Result<std::string> Signer::Presign(std::string_view method, std::string_view target,
                                          const HeaderList& headers, base::WallTime now,
                                          std::chrono::seconds expires) const {
  if (expires < std::chrono::seconds(1) || expires > kPresignedExpiresMax) {
    return MakeS3Error(S3ErrorCode::kAuthorizationQueryParametersError,
                       "X-Amz-Expires must be between 1 and 604800 seconds");
  }
  const std::string amz_date = FormatAmzDate(now);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = CredentialScope(date, options_.region, options_.service);
  const std::vector<std::string> names = HeadersToSign(headers);
  const auto [path, raw_query] = SplitTarget(target);
  COFFER_ASSIGN_OR_RETURN(QueryParams query, ParseQuery(raw_query));
  query.emplace_back("X-Amz-Algorithm", std::string(kSigV4Algorithm));
  query.emplace_back("X-Amz-Credential", credentials_.access_key + "/" + scope);
  query.emplace_back("X-Amz-Date", amz_date);
  query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  query.emplace_back("X-Amz-SignedHeaders", JoinSignedHeaders(names));
  if (!credentials_.session_token.empty()) {
    query.emplace_back("X-Amz-Security-Token", credentials_.session_token);
  }
  const base::Secret key =
      DeriveSigningKey(crypto_, credentials_.secret_key, date, options_.region, options_.service);
  SignatureInput input;
  input.method = method;
  input.raw_path = path;
  input.query = &query;
  input.headers = &headers;
  input.signed_headers = names;
  input.payload_hash = kUnsignedPayload;
  input.amz_date = amz_date;
  input.scope = scope;
  input.canonical = options_.canonical;
  COFFER_ASSIGN_OR_RETURN(SignatureResult result, ComputeSignature(crypto_, key, input));
  return std::string(path) + "?" + CanonicalQueryString(query) +
         "&X-Amz-Signature=" + result.signature;
}

ChunkSigner::ChunkSigner(const Crypto& crypto, StreamingContext streaming)
    : crypto_(crypto), streaming_(std::move(streaming)), previous_(streaming_.seed_signature) {}

std::string ChunkSigner::Chunk(std::string_view data) {
  previous_ = ChunkSignature(crypto_, streaming_.signing_key, streaming_.amz_date, streaming_.scope,
                             previous_, crypto_.Sha256Hex(data));
  std::string out = HexSize(data.size()) + ";chunk-signature=" + previous_ + "\r\n";
  out.append(data);
  out += "\r\n";
  return out;
}

std::string ChunkSigner::ZeroChunk() {
  previous_ = ChunkSignature(crypto_, streaming_.signing_key, streaming_.amz_date, streaming_.scope,
                             previous_, kEmptySha256Hex);
  return "0;chunk-signature=" + previous_ + "\r\n";
}

std::string ChunkSigner::Final() { return ZeroChunk() + "\r\n"; }

std::string ChunkSigner::FinalWithTrailers(
    const std::vector<std::pair<std::string, std::string>>& trailers) {
  std::string out = ZeroChunk();
  std::string canonical;
  for (const auto& [name, value] : trailers) {
    for (std::string* target : {&canonical, &out}) {
      target->append(name).append(":").append(value);
    }
    canonical += '\n';
    out += "\r\n";
  }
  const std::string signature = TrailerSignature(
      crypto_, streaming_.signing_key, streaming_.amz_date, streaming_.scope, previous_, canonical);
  out += "x-amz-trailer-signature:" + signature + "\r\n\r\n";
  return out;
}

std::string ChunkSigner::UnsignedChunk(std::string_view data) {
  std::string out = HexSize(data.size()) + "\r\n";
  out.append(data);
  out += "\r\n";
  return out;
}

std::string ChunkSigner::UnsignedFinal(
    const std::vector<std::pair<std::string, std::string>>& trailers) {
  std::string out = "0\r\n";
  for (const auto& [name, value] : trailers) out.append(name).append(":").append(value) += "\r\n";
  out += "\r\n";
  return out;
}

}  // namespace coffer::core::auth
