#pragma once
// The suites of `coffer conform`: policy, sigv4, sts, sse and audit. Each runs against a live
// endpoint through S3Client, fills one SuiteReport and never throws. Generated suites run as
// rapidcheck properties seeded from the run's seed, so a divergence shrinks to the smallest
// case that still diverges and a run is reproduced by its seed.

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapter.h"
#include "report.h"
#include "s3_client.h"

namespace coffer::conform {

struct Context {
  S3Client* s3 = nullptr;
  Credentials admin;
  std::string prefix;                // "conform-xxxxxxxx"; every created name starts with it.
  std::vector<std::string> buckets;  // Two run buckets, created before the suites run.
  // A third bucket no case ever gives a policy: the adapter's probe for "is the revision live"
  // (a case's bucket policy could otherwise let the probe through early).
  std::string probe_bucket;
  Adapter* adapter = nullptr;  // Null: generic S3.
  int cases = 30;
  std::uint64_t seed = 0;
  int shrink_budget = 40;  // Property evaluations allowed for shrinking one divergence.
  std::string kms_key;     // SSE-KMS key id; empty: SSE-KMS is not tested.
  std::string audit_sink;  // "file:PATH" or empty.
  const std::atomic<bool>* stop = nullptr;
  std::set<std::string> secrets;  // Every secret the run used (the audit suite looks for them).

  bool Interrupted() const { return stop != nullptr && stop->load(); }
};

// The keys every run bucket holds (put there by PrepareBuckets) and their content.
std::string SeedObjectBody(const std::string& key);
// Creates the run buckets and their seed objects. Errors name the step.
base::Status PrepareBuckets(Context& ctx);

SuiteReport RunPolicySuite(Context& ctx);
SuiteReport RunSigV4Suite(Context& ctx);
SuiteReport RunStsSuite(Context& ctx);
SuiteReport RunSseSuite(Context& ctx);
SuiteReport RunAuditSuite(Context& ctx);

// A printable request head (method, target, headers; Authorization kept: it holds no secret,
// x-amz-security-token and SSE-C key headers replaced) for reproductions.
std::string DescribeWire(const Prepared& p);

}  // namespace coffer::conform
