#include "s3_client.h"

#include <algorithm>

#include "coffer/core/auth/canonical.h"
#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/http.h"

namespace coffer::conform {
namespace {

base::WallTime Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

// An S3/STS error answer as an error value: the code and message, never a credential.
base::Error ErrorOf(std::string_view what, const HttpResponse& r) {
  const std::string code = r.ErrorCode();
  std::string message = std::string(what) + ": HTTP " + std::to_string(r.status);
  if (!code.empty()) message += " " + code;
  const std::string detail = XmlField(r.body, "Message");
  if (!detail.empty()) message += " (" + detail + ")";
  if (r.status == 403) return base::PermissionDenied(message);
  if (r.status >= 500 || r.status == 0) return base::Unavailable(message);
  return base::InvalidArgument(message);
}

}  // namespace

std::string Encode(std::string_view in, bool keep_slash) {
  return core::auth::UriEncode(in, keep_slash);
}

std::string TargetOf(const S3Request& request) {
  std::string target = "/";
  if (!request.bucket.empty()) {
    target += request.bucket;
    if (!request.key.empty()) target += "/" + Encode(request.key, true);
  }
  char sep = '?';
  for (const auto& [name, value] : request.query) {
    target += sep + Encode(name, false);
    if (!value.empty() || name.find('=') != std::string::npos) target += "=" + Encode(value, false);
    sep = '&';
  }
  return target;
}

std::string XmlField(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto a = xml.find(open);
  if (a == std::string_view::npos) return "";
  const auto b = xml.find(close, a);
  if (b == std::string_view::npos) return "";
  return std::string(xml.substr(a + open.size(), b - a - open.size()));
}

S3Client::S3Client(HttpClient& http, const core::auth::Crypto& crypto, Endpoint main,
                   std::optional<Endpoint> plain, std::string region)
    : http_(http),
      crypto_(crypto),
      main_(std::move(main)),
      plain_(std::move(plain)),
      region_(std::move(region)) {}

base::Result<Prepared> S3Client::Prepare(const S3Request& request, const Credentials* credentials,
                                         base::WallTime now,
                                         std::string_view region_override) const {
  Prepared p;
  p.endpoint = request.plain && plain_ ? *plain_ : main_;
  p.method = request.method;
  p.target = TargetOf(request);
  core::HttpRequest http;
  http.method = p.method;
  http.target = p.target;
  http.headers.emplace_back("host", p.endpoint.HostHeader());
  for (const auto& h : request.headers) http.headers.push_back(h);
  std::string payload_hash;
  switch (request.payload) {
    case PayloadMode::kSigned:
      payload_hash = crypto_.Sha256Hex(request.body);
      break;
    case PayloadMode::kUnsigned:
      payload_hash = std::string(core::auth::kUnsignedPayload);
      break;
    case PayloadMode::kStreaming:
      payload_hash = std::string(core::auth::kStreamingSignedPayload);
      http.headers.emplace_back("content-encoding", "aws-chunked");
      http.headers.emplace_back("x-amz-decoded-content-length",
                                std::to_string(request.body.size()));
      break;
  }
  if (credentials == nullptr) {
    p.headers = http.headers;
    p.body = request.body;
    return p;
  }
  core::auth::SignerOptions options;
  options.region = region_override.empty() ? region_ : std::string(region_override);
  core::auth::Signer signer(
      crypto_,
      core::auth::SigningCredentials{credentials->access_key, credentials->secret_key,
                                     credentials->session_token},
      options);
  COFFER_ASSIGN_OR_RETURN(core::auth::SignedRequestInfo info, signer.Sign(http, now, payload_hash));
  p.headers = http.headers;
  if (request.payload != PayloadMode::kStreaming) {
    p.body = request.body;
    return p;
  }
  core::auth::ChunkSigner chunks(crypto_, std::move(info.streaming));
  for (std::size_t at = 0; at < request.body.size(); at += request.chunk_size_bytes) {
    p.chunks.push_back(
        chunks.Chunk(std::string_view(request.body).substr(at, request.chunk_size_bytes)));
  }
  p.chunks.push_back(chunks.Final());
  for (const std::string& c : p.chunks) p.body += c;
  return p;
}

base::Result<HttpResponse> S3Client::SendPrepared(const Prepared& prepared) {
  Headers headers;
  for (const auto& [name, value] : prepared.headers) {
    if (name != "host") headers.emplace_back(name, value);
  }
  headers.emplace(headers.begin(), "host", prepared.endpoint.HostHeader());
  for (const auto& [name, value] : prepared.headers) {
    if (name == "host" && value != prepared.endpoint.HostHeader()) headers[0].second = value;
  }
  headers.emplace_back("user-agent", "coffer-conform");
  COFFER_ASSIGN_OR_RETURN(HttpResponse r, http_.Send(prepared.endpoint, prepared.method,
                                                     prepared.target, headers, prepared.body));
  if (const std::string server = r.Header("server"); !server.empty()) server_header_ = server;
  if (const std::string id = r.Header("x-amz-request-id"); !id.empty()) request_ids_.push_back(id);
  return r;
}

base::Result<HttpResponse> S3Client::Send(const S3Request& request,
                                          const Credentials* credentials) {
  COFFER_ASSIGN_OR_RETURN(Prepared p, Prepare(request, credentials, Now()));
  return SendPrepared(p);
}

base::Result<Prepared> S3Client::Presign(const S3Request& request, const Credentials& credentials,
                                         base::WallTime now, std::chrono::seconds expires) const {
  Prepared p;
  p.endpoint = request.plain && plain_ ? *plain_ : main_;
  p.method = request.method;
  core::auth::SignerOptions options;
  options.region = region_;
  core::auth::Signer signer(
      crypto_,
      core::auth::SigningCredentials{credentials.access_key, credentials.secret_key,
                                     credentials.session_token},
      options);
  core::HeaderList headers = {{"host", p.endpoint.HostHeader()}};
  COFFER_ASSIGN_OR_RETURN(p.target,
                          signer.Presign(p.method, TargetOf(request), headers, now, expires));
  p.headers = headers;
  p.body = request.body;
  return p;
}

base::Result<StsSession> S3Client::AssumeRole(const Credentials& credentials,
                                              std::optional<std::string> session_policy,
                                              std::optional<int> duration_s) {
  std::string form = "Action=AssumeRole&Version=2011-06-15";
  if (duration_s) form += "&DurationSeconds=" + std::to_string(*duration_s);
  if (session_policy) form += "&Policy=" + Encode(*session_policy, false);
  core::HttpRequest http;
  http.method = "POST";
  http.target = "/";
  http.headers = {{"host", main_.HostHeader()},
                  {"content-type", "application/x-www-form-urlencoded"}};
  core::auth::SignerOptions options;
  options.region = region_;
  options.service = "sts";
  core::auth::Signer signer(
      crypto_,
      core::auth::SigningCredentials{credentials.access_key, credentials.secret_key,
                                     credentials.session_token},
      options);
  COFFER_ASSIGN_OR_RETURN(auto info, signer.Sign(http, Now(), crypto_.Sha256Hex(form)));
  (void)info;
  Prepared p{main_, "POST", "/", http.headers, form, {}};
  COFFER_ASSIGN_OR_RETURN(HttpResponse r, SendPrepared(p));
  if (r.status != 200) return ErrorOf("AssumeRole", r);
  StsSession s;
  s.credentials.access_key = XmlField(r.body, "AccessKeyId");
  s.credentials.secret_key = base::Secret(XmlField(r.body, "SecretAccessKey"));
  s.credentials.session_token = XmlField(r.body, "SessionToken");
  s.expiration = XmlField(r.body, "Expiration");
  if (s.credentials.access_key.empty() || s.credentials.session_token.empty()) {
    return base::Internal("AssumeRole: the answer has no credentials");
  }
  return s;
}

base::Status S3Client::CreateBucket(const Credentials& admin, const std::string& bucket) {
  S3Request r;
  r.method = "PUT";
  r.bucket = bucket;
  if (region_ != "us-east-1") {
    r.body = "<CreateBucketConfiguration><LocationConstraint>" + region_ +
             "</LocationConstraint></CreateBucketConfiguration>";
  }
  COFFER_ASSIGN_OR_RETURN(HttpResponse resp, Send(r, &admin));
  if (resp.status != 200) return ErrorOf("CreateBucket " + bucket, resp);
  return base::Ok();
}

base::Status S3Client::PutObject(const Credentials& admin, const std::string& bucket,
                                 const std::string& key, const std::string& body) {
  S3Request r;
  r.method = "PUT";
  r.bucket = bucket;
  r.key = key;
  r.body = body;
  COFFER_ASSIGN_OR_RETURN(HttpResponse resp, Send(r, &admin));
  if (resp.status != 200) return ErrorOf("PutObject " + bucket + "/" + key, resp);
  return base::Ok();
}

base::Status S3Client::EmptyAndDeleteBucket(const Credentials& admin, const std::string& bucket) {
  // Versions too: a bucket someone switched to versioning keeps old versions.
  for (int page = 0; page < 1000; ++page) {
    S3Request list;
    list.bucket = bucket;
    list.query = {{"versions", ""}};
    COFFER_ASSIGN_OR_RETURN(HttpResponse resp, Send(list, &admin));
    if (resp.status == 404) return base::Ok();
    if (resp.status != 200) return ErrorOf("ListObjectVersions " + bucket, resp);
    std::vector<std::pair<std::string, std::string>> items;
    for (std::string_view tag : {"Version", "DeleteMarker"}) {
      const std::string open = "<" + std::string(tag) + ">";
      for (auto at = resp.body.find(open); at != std::string::npos;
           at = resp.body.find(open, at + 1)) {
        const auto end = resp.body.find("</" + std::string(tag) + ">", at);
        const std::string_view item = std::string_view(resp.body).substr(at, end - at);
        items.emplace_back(XmlField(item, "Key"), XmlField(item, "VersionId"));
      }
    }
    if (items.empty()) break;
    for (const auto& [key, version] : items) {
      S3Request del;
      del.method = "DELETE";
      del.bucket = bucket;
      del.key = key;
      if (!version.empty() && version != "null") del.query = {{"versionId", version}};
      COFFER_ASSIGN_OR_RETURN(HttpResponse d, Send(del, &admin));
      if (d.status != 204 && d.status != 200 && d.status != 404) {
        return ErrorOf("DeleteObject " + bucket + "/" + key, d);
      }
    }
  }
  S3Request del;
  del.method = "DELETE";
  del.bucket = bucket;
  COFFER_ASSIGN_OR_RETURN(HttpResponse d, Send(del, &admin));
  if (d.status != 204 && d.status != 200 && d.status != 404) {
    return ErrorOf("DeleteBucket " + bucket, d);
  }
  return base::Ok();
}

base::Status S3Client::SetBucketPolicy(const Credentials& admin, const std::string& bucket,
                                       const std::optional<std::string>& policy_json) {
  S3Request r;
  r.method = policy_json ? "PUT" : "DELETE";
  r.bucket = bucket;
  r.query = {{"policy", ""}};
  if (policy_json) r.body = *policy_json;
  COFFER_ASSIGN_OR_RETURN(HttpResponse resp, Send(r, &admin));
  if (resp.status != 200 && resp.status != 204) {
    return ErrorOf(std::string(policy_json ? "PutBucketPolicy " : "DeleteBucketPolicy ") + bucket,
                   resp);
  }
  return base::Ok();
}

base::Result<std::vector<std::string>> S3Client::ListBuckets(const Credentials& admin,
                                                             const std::string& prefix) {
  COFFER_ASSIGN_OR_RETURN(HttpResponse resp, Send(S3Request{}, &admin));
  if (resp.status != 200) return ErrorOf("ListBuckets", resp);
  std::vector<std::string> out;
  for (auto at = resp.body.find("<Name>"); at != std::string::npos;
       at = resp.body.find("<Name>", at + 1)) {
    const std::string name = XmlField(std::string_view(resp.body).substr(at), "Name");
    if (name.starts_with(prefix)) out.push_back(name);
  }
  return out;
}

}  // namespace coffer::conform
