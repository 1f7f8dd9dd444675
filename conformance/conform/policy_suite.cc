// The policy suite: random identity, bucket and session policies and random requests, each
// outcome predicted by the reference evaluator and compared with the server's answer (allowed:
// 2xx; refused: 403 AccessDenied).

#include <map>

#include "coffer/reference/reference.h"

#include "policy_model.h"
#include "property_runner.h"
#include "suites.h"

namespace coffer::conform {
namespace {

using nlohmann::json;

unsigned SuccessStatus(const std::string& op) { return op == "DeleteObject" ? 204u : 200u; }

struct Applied {
  std::optional<StsSession> session;
  std::string problem;  // Why the case could not be set up ("" when it was).
};

// Installs the case's policies on the server. A server refusing a generated policy is not a
// divergence in itself (servers support different subsets); the case is skipped with a note.
Applied Apply(Context& ctx, const PolicyCase& c) {
  Applied out;
  if (ctx.adapter != nullptr) {
    if (auto s = ctx.adapter->SetPolicies(c.identity); !s.has_value()) {
      out.problem = "identity policies not applied: " + s.error().message();
      return out;
    }
  }
  for (const auto& [bucket, doc] : c.bucket) {
    auto s = ctx.s3->SetBucketPolicy(ctx.admin, bucket,
                                     doc ? std::optional<std::string>(doc->dump()) : std::nullopt);
    if (!s.has_value()) {
      out.problem = "bucket policy refused: " + s.error().message();
      return out;
    }
  }
  bool wants_session = false;
  for (const PolicyRequest& r : c.requests) wants_session |= r.caller == Caller::kSession;
  if (wants_session) {
    const Credentials& parent =
        ctx.adapter != nullptr ? ctx.adapter->Users().begin()->second : ctx.admin;
    auto session = ctx.s3->AssumeRole(parent, c.session.dump(), std::nullopt);
    if (!session.has_value()) {
      out.problem = "AssumeRole with the session policy refused: " + session.error().message();
      return out;
    }
    ctx.secrets.insert(std::string(session->credentials.secret_key.Reveal()));
    ctx.secrets.insert(session->credentials.session_token);
    out.session = std::move(session).value();
  }
  return out;
}

const Credentials* CredentialsFor(Context& ctx, const Applied& applied, const PolicyRequest& r) {
  switch (r.caller) {
    case Caller::kAnonymous:
      return nullptr;
    case Caller::kUser:
      return &ctx.adapter->Users().at(r.user);
    case Caller::kSession:
      return &applied.session->credentials;
  }
  return nullptr;
}

std::optional<Divergence> Check(Context& ctx, SuiteReport& report, const PolicyCase& c,
                                const Applied& applied, const PolicyRequest& r) {
  const Credentials* creds = CredentialsFor(ctx, applied, r);
  const S3Request request = ToS3Request(r);
  base::Result<HttpResponse> resp = base::Internal("unsent");
  if (r.presigned && creds != nullptr) {
    auto p = ctx.s3->Presign(
        request, *creds,
        std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()),
        std::chrono::seconds(300));
    if (!p.has_value()) return std::nullopt;
    resp = ctx.s3->SendPrepared(*p);
  } else {
    resp = ctx.s3->Send(request, creds);
  }
  ++report.checks;
  const std::string repro =
      Reproduction(c, r, (r.tls ? ctx.s3->main() : *ctx.s3->plain()).Url(), ctx.s3->region());
  if (!resp.has_value()) {
    return Divergence{"no answer: " + r.Describe(), "an answer", resp.error().message(), repro, 0};
  }
  const reference::Outcome want = Predict(c, r, resp->local_address);
  if (want == reference::Outcome::kUnsupported) {
    ++report.skipped;
    return std::nullopt;
  }
  const bool allow = want == reference::Outcome::kAllow;
  const std::string got = "HTTP " + std::to_string(resp->status) +
                          (resp->ErrorCode().empty() ? "" : " " + resp->ErrorCode());
  if (allow && resp->status == SuccessStatus(r.op)) {
    if (r.op == "DeleteObject") {
      (void)ctx.s3->PutObject(ctx.admin, r.bucket, r.key, SeedObjectBody(r.key));
    }
    return std::nullopt;
  }
  const bool refused =
      resp->status == 403 && (r.op == "HeadObject" || resp->ErrorCode() == "AccessDenied");
  if (!allow && refused) return std::nullopt;
  if (r.op == "DeleteObject" && resp->status == 204) {
    (void)ctx.s3->PutObject(ctx.admin, r.bucket, r.key, SeedObjectBody(r.key));
  }
  const std::string expected =
      std::string(allow ? "allowed (HTTP " + std::to_string(SuccessStatus(r.op)) + ")"
                        : "refused (HTTP 403 AccessDenied)") +
      "; reference: " + reference::OutcomeName(want);
  return Divergence{(allow ? "should be allowed: " : "should be refused: ") + r.Describe(),
                    expected, got, repro, 0};
}

}  // namespace

SuiteReport RunPolicySuite(Context& ctx) {
  SuiteReport report;
  report.name = "policy";
  PolicyWorld world;
  world.buckets = ctx.buckets;
  if (ctx.adapter != nullptr) {
    for (const auto& [name, creds] : ctx.adapter->Users()) world.users.push_back(name);
  }
  world.can_tls = ctx.s3->main().tls || !ctx.s3->plain().has_value();
  world.can_plain = !ctx.s3->main().tls || ctx.s3->plain().has_value();
  if (!ctx.s3->main().tls) world.can_tls = false;
  if (ctx.adapter == nullptr) {
    report.notes.push_back(
        "generic S3: identity restrictions are STS session policies of the admin credential; "
        "bucket policies name Principal \"*\" only");
  }
  std::map<std::string, int> setup_problems;
  RunProperty(ctx, report, [&]() -> std::optional<Divergence> {
    const PolicyCase c = GenCase(world);
    const Applied applied = Apply(ctx, c);
    if (!applied.problem.empty()) {
      ++setup_problems[applied.problem.substr(0, 120)];
      report.skipped += static_cast<int>(c.requests.size());
      return std::nullopt;
    }
    for (const PolicyRequest& r : c.requests) {
      if (ctx.Interrupted()) return std::nullopt;
      if (auto d = Check(ctx, report, c, applied, r)) return d;
    }
    return std::nullopt;
  });
  for (const auto& [problem, count] : setup_problems) {
    report.notes.push_back(std::to_string(count) + " case(s) skipped: " + problem);
  }
  // Leave the buckets without policies for the other suites.
  for (const std::string& b : ctx.buckets)
    (void)ctx.s3->SetBucketPolicy(ctx.admin, b, std::nullopt);
  return report;
}

}  // namespace coffer::conform
