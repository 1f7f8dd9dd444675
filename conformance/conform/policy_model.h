#pragma once
// The policy suite's model: random identity, bucket and session policies and random requests
// (rapidcheck generators, so that a divergence shrinks), and the prediction of each request's
// outcome by the reference evaluator of conformance/reference.
//
// The principals:
//   - generic S3 (no adapter): a session of the admin credential made by STS AssumeRole with a
//     generated session policy. The admin itself is allowed everything, so the session policy
//     acts as the identity policy (as on MinIO and Coffer, whose root sessions are bounded by
//     the session policy alone); bucket policies name only Principal "*".
//   - coffer adapter: users with generated identity policies (written to the config repo), a
//     session of the first user narrowed by a session policy, bucket policies naming users.
//   - anonymous requests in both.
// Generators must be called inside a rapidcheck property.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/reference/reference.h"

#include "s3_client.h"

namespace coffer::conform {

struct PolicyWorld {
  std::vector<std::string> buckets;  // Exactly two run buckets.
  std::vector<std::string> users;    // Coffer adapter: the run's users; empty for generic S3.
  bool can_tls = true;               // Requests may go over TLS.
  bool can_plain = false;            // Requests may go over plain HTTP.

  bool HasUsers() const { return !users.empty(); }
  // The keys that exist in every run bucket (the suite puts them there first).
  std::vector<std::string> Keys() const;
};

enum class Caller { kAnonymous, kUser, kSession };

struct PolicyRequest {
  Caller caller = Caller::kAnonymous;
  std::string user;  // kUser: who; kSession: the session's parent ("" for the admin's).
  std::string op;    // GetObject, HeadObject, PutObject, DeleteObject, ListObjectsV2,
                     // GetBucketLocation.
  std::string bucket;
  std::string key;
  std::string prefix;  // ListObjectsV2 (never empty: servers differ on an absent prefix).
  bool delimiter = false;
  bool presigned = false;
  bool tls = true;

  std::string Describe() const;
};

struct PolicyCase {
  std::map<std::string, nlohmann::json> identity;               // User -> its one policy.
  std::map<std::string, std::optional<nlohmann::json>> bucket;  // Bucket -> policy or none.
  nlohmann::json session;                                       // The session policy.
  std::vector<PolicyRequest> requests;
};

// Generators (inside a property).
nlohmann::json GenPolicy(const PolicyWorld& world, const std::string& bucket);
PolicyRequest GenRequest(const PolicyWorld& world);
PolicyCase GenCase(const PolicyWorld& world);

// The IAM action a request needs.
std::string ActionOf(const std::string& op);

// What the reference evaluator predicts for `request` in `c`, the client's address as the
// server saw it being `source_ip`. kUnsupported means the case cannot be judged.
reference::Outcome Predict(const PolicyCase& c, const PolicyRequest& request,
                           const std::string& source_ip);

// The S3 request to send (PutObject bodies are `put_body`).
S3Request ToS3Request(const PolicyRequest& request);

// A ready-to-run reproduction: the policies as JSON and the request as a curl command whose
// credentials come from the environment (never printed).
std::string Reproduction(const PolicyCase& c, const PolicyRequest& request,
                         const std::string& endpoint_url, const std::string& region);

}  // namespace coffer::conform
