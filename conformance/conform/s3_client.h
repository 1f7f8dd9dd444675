#pragma once
// Signed S3 and STS requests for `coffer conform`, built on HttpClient and Coffer's SigV4 signer
// (appliance/include/coffer/core/auth/signer.h, the same canonicaliser the server verifies
// with). A request is first Prepared (the exact method, target, headers and body that will go
// on the wire, signed) and then Sent, so that the SigV4 suite can mutate a prepared request
// between the two steps.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/base/clock.h"
#include "coffer/base/result.h"
#include "coffer/base/secret.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/verifier.h"

#include "http_client.h"

namespace coffer::conform {

struct Credentials {
  std::string access_key;
  base::Secret secret_key;
  std::string session_token;  // Empty for long-term credentials.
};

enum class PayloadMode { kSigned, kUnsigned, kStreaming };

// One S3 request, path-style. Query names and values are not yet encoded.
struct S3Request {
  std::string method = "GET";
  std::string bucket;
  std::string key;
  std::vector<std::pair<std::string, std::string>> query;
  Headers headers;  // Extra headers, names lower-case.
  std::string body;
  PayloadMode payload = PayloadMode::kSigned;
  std::size_t chunk_size_bytes = 8192;  // kStreaming: the size of each signed chunk.
  bool plain = false;                   // Send to the plain-HTTP endpoint (when there is one).
};

// A request as it goes on the wire.
struct Prepared {
  Endpoint endpoint;
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  // kStreaming: the chunks as framed (each "size;chunk-signature=...\r\ndata\r\n", then the
  // final zero chunk); `body` is their concatenation.
  std::vector<std::string> chunks;
};

struct StsSession {
  Credentials credentials;
  std::string expiration;  // As the server wrote it.
};

class S3Client {
 public:
  // `main` is the endpoint under test; `plain` an optional plain-HTTP listener of the same
  // server (for aws:SecureTransport). `crypto` is borrowed.
  S3Client(HttpClient& http, const core::auth::Crypto& crypto, Endpoint main,
           std::optional<Endpoint> plain, std::string region);

  // Builds and signs `request` at `now` with `credentials` (null: anonymous, unsigned).
  // Errors: kInvalidArgument for a target the signer refuses.
  base::Result<Prepared> Prepare(const S3Request& request, const Credentials* credentials,
                                 base::WallTime now, std::string_view region_override = {}) const;
  base::Result<HttpResponse> SendPrepared(const Prepared& prepared);
  // Prepare at the current time, then send.
  base::Result<HttpResponse> Send(const S3Request& request, const Credentials* credentials);

  // A presigned GET/PUT target (query auth) valid `expires` from `now`.
  base::Result<Prepared> Presign(const S3Request& request, const Credentials& credentials,
                                 base::WallTime now, std::chrono::seconds expires) const;

  // STS AssumeRole with `credentials`, an optional session policy and duration. Errors: the
  // STS error code and message as kPermissionDenied/kInvalidArgument; transport kUnavailable.
  base::Result<StsSession> AssumeRole(const Credentials& credentials,
                                      std::optional<std::string> session_policy,
                                      std::optional<int> duration_s);

  // Root helpers (errors name the step): create a bucket, put an object, delete every object
  // and the bucket, put or delete a bucket policy.
  base::Status CreateBucket(const Credentials& admin, const std::string& bucket);
  base::Status PutObject(const Credentials& admin, const std::string& bucket,
                         const std::string& key, const std::string& body);
  base::Status EmptyAndDeleteBucket(const Credentials& admin, const std::string& bucket);
  base::Status SetBucketPolicy(const Credentials& admin, const std::string& bucket,
                               const std::optional<std::string>& policy_json);
  // Bucket names beginning with `prefix` (ListBuckets as admin).
  base::Result<std::vector<std::string>> ListBuckets(const Credentials& admin,
                                                     const std::string& prefix);

  const Endpoint& main() const { return main_; }
  const std::optional<Endpoint>& plain() const { return plain_; }
  const std::string& region() const { return region_; }
  const core::auth::Crypto& crypto() const { return crypto_; }
  // The Server header of the last response that had one.
  const std::string& server_header() const { return server_header_; }
  // Every request id (x-amz-request-id) the client has seen answered, in order.
  const std::vector<std::string>& request_ids() const { return request_ids_; }

 private:
  HttpClient& http_;
  const core::auth::Crypto& crypto_;
  Endpoint main_;
  std::optional<Endpoint> plain_;
  std::string region_;
  std::string server_header_;
  std::vector<std::string> request_ids_;
};

// Percent-encodes with AWS's UriEncode rules (keep '/' when `keep_slash`).
std::string Encode(std::string_view in, bool keep_slash);
// "/bucket/key?query" with S3 encoding.
std::string TargetOf(const S3Request& request);
// The text between <tag> and </tag> in `xml` (first occurrence), or "".
std::string XmlField(std::string_view xml, std::string_view tag);

}  // namespace coffer::conform
