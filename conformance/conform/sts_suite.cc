// The STS suite: session credentials work as issued, and are refused when the token is
// tampered with, paired with another session's keys or a wrong secret, or used after the
// session expired; a session policy never widens what the parent may do.

#include <thread>

#include "property_runner.h"
#include "suites.h"

namespace coffer::conform {
namespace {

using nlohmann::json;

enum class StsKind { kValid, kTamperedToken, kForeignToken, kWrongSecret, kWiden, kNoToken };
constexpr int kStsKinds = 6;

const char* KindName(StsKind k) {
  static constexpr const char* kNames[] = {"valid session",
                                           "tampered token",
                                           "another session's token",
                                           "wrong secret",
                                           "session policy wider than the parent",
                                           "no token"};
  return kNames[static_cast<int>(k)];
}

std::string Flip(std::string s, unsigned where) {
  if (s.empty()) return "x";
  char& c = s[where % s.size()];
  c = c == 'A' ? 'B' : 'A';
  return s;
}

std::string Got(const base::Result<HttpResponse>& r) {
  if (!r.has_value()) return r.error().message();
  return "HTTP " + std::to_string(r->status) + (r->ErrorCode().empty() ? "" : " " + r->ErrorCode());
}

bool Refused(const base::Result<HttpResponse>& r) {
  return r.has_value() && r->status >= 400 && r->status < 500;
}

// What the parent may do in this suite: GetObject in the first bucket. A session asks for
// everything; it must still get no more than that.
const char* kWideSessionPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";

json ParentPolicy(const std::string& bucket) {
  return json{{"Version", "2012-10-17"},
              {"Statement",
               {{{"Effect", "Allow"},
                 {"Action", {"s3:GetObject"}},
                 {"Resource", {"arn:aws:s3:::" + bucket + "/*"}}}}}};
}

std::string Repro(const Context& ctx, const std::string& what, const S3Request& r) {
  return "# " + what + "\n# 1. aws sts assume-role --endpoint-url " + ctx.s3->main().Url() +
         " --role-arn arn:aws:iam::000000000000:role/x --role-session-name conform" +
         (what.find("wider") != std::string::npos
              ? std::string(" --policy '") + kWideSessionPolicy + "'"
              : std::string()) +
         "\n# 2. the request, with the session's keys and token as described:\n" +
         "curl -sS -o /dev/null -w '%{http_code}\\n' --aws-sigv4 'aws:amz:" + ctx.s3->region() +
         ":s3' --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H 'x-amz-content-sha256: "
         "UNSIGNED-PAYLOAD' -H \"x-amz-security-token: "
         "$AWS_SESSION_TOKEN\"" +
         (r.method == "GET" ? std::string() : " -X " + r.method) + " '" + ctx.s3->main().Url() +
         TargetOf(r) + "'\n";
}

// Session expiry: a session of a few seconds (where the server allows one) is refused after.
void CheckExpiry(Context& ctx, SuiteReport& report, const Credentials& parent) {
  std::optional<StsSession> session;
  int duration = 0;
  for (int d : {2, 5}) {
    auto s = ctx.s3->AssumeRole(parent, std::nullopt, d);
    if (s.has_value()) {
      session = std::move(s).value();
      duration = d;
      break;
    }
  }
  if (!session) {
    ++report.skipped;
    report.notes.push_back(
        "the server refuses sessions shorter than 900 s: expiry was not waited for (run "
        "`coffer serve --sts-min-duration-for-test 2` in a test build to check it)");
    return;
  }
  ctx.secrets.insert(std::string(session->credentials.secret_key.Reveal()));
  ctx.secrets.insert(session->credentials.session_token);
  S3Request get;
  get.bucket = ctx.buckets.front();
  get.key = "a/x";
  std::this_thread::sleep_for(std::chrono::milliseconds(duration * 1000 + 1500));
  auto after = ctx.s3->Send(get, &session->credentials);
  ++report.checks;
  if (!Refused(after)) {
    report.divergences.push_back(
        Divergence{"an expired session (DurationSeconds=" + std::to_string(duration) +
                       ", used 1.5 s after it ended) is accepted",
                   "HTTP 400/403 ExpiredToken", Got(after),
                   Repro(ctx,
                         "assume-role --duration-seconds " + std::to_string(duration) +
                             ", wait until the Expiration has passed, then:",
                         get),
                   0});
  }
}

}  // namespace

SuiteReport RunStsSuite(Context& ctx) {
  SuiteReport report;
  report.name = "sts";
  Credentials parent = ctx.admin;
  const bool narrow_parent = ctx.adapter != nullptr;
  if (narrow_parent) {
    std::map<std::string, json> policies;
    for (const auto& [name, creds] : ctx.adapter->Users()) {
      policies[name] = ParentPolicy(ctx.buckets.front());
    }
    if (auto s = ctx.adapter->SetPolicies(policies); !s.has_value()) {
      report.error = true;
      report.notes.push_back("cannot set the parent's policy: " + s.error().message());
      return report;
    }
    parent = ctx.adapter->Users().begin()->second;
  } else {
    report.notes.push_back(
        "generic S3: the parent is the admin credential (allowed everything), so widening is "
        "checked as: a narrow session policy must bound the admin's session");
  }
  if (auto probe = ctx.s3->AssumeRole(parent, std::nullopt, std::nullopt); !probe.has_value()) {
    report.error = true;
    report.notes.push_back("AssumeRole refused: " + probe.error().message() +
                           (ctx.s3->main().tls ? "" : " (STS usually needs HTTPS)"));
    return report;
  }
  RunProperty(ctx, report, [&]() -> std::optional<Divergence> {
    const auto kind = static_cast<StsKind>(*rc::gen::inRange(0, kStsKinds));
    const unsigned where = *rc::gen::inRange(0u, 2048u);
    const std::optional<std::string> policy =
        kind == StsKind::kWiden && narrow_parent ? std::optional<std::string>(kWideSessionPolicy)
        : kind == StsKind::kWiden
            ? std::optional<std::string>(ParentPolicy(ctx.buckets.front()).dump())
            : std::nullopt;
    auto a = ctx.s3->AssumeRole(parent, policy, std::nullopt);
    auto b = ctx.s3->AssumeRole(parent, std::nullopt, std::nullopt);
    if (!a.has_value() || !b.has_value()) {
      ++report.skipped;
      return std::nullopt;
    }
    for (const auto* s : {&*a, &*b}) {
      ctx.secrets.insert(std::string(s->credentials.secret_key.Reveal()));
      ctx.secrets.insert(s->credentials.session_token);
    }
    Credentials use = a->credentials;
    S3Request r;
    r.bucket = ctx.buckets.front();
    r.key = "a/x";
    bool want_allowed = false;
    switch (kind) {
      case StsKind::kValid:
        want_allowed = true;
        break;
      case StsKind::kTamperedToken:
        use.session_token = Flip(use.session_token, where);
        break;
      case StsKind::kForeignToken:
        use.session_token = b->credentials.session_token;
        break;
      case StsKind::kWrongSecret:
        use.secret_key = b->credentials.secret_key;
        break;
      case StsKind::kNoToken:
        use.session_token.clear();
        break;
      case StsKind::kWiden:
        // Outside the parent's (or the session policy's) rights: a PUT, or a read elsewhere.
        if (where % 2 == 0) {
          r.method = "PUT";
          r.key = "sts/widen";
          r.body = "widen";
        } else {
          r.bucket = ctx.buckets.back();
        }
        break;
    }
    auto resp = ctx.s3->Send(r, &use);
    ++report.checks;
    const std::string what = KindName(kind);
    if (want_allowed && !(resp.has_value() && resp->status == 200)) {
      return Divergence{"a valid session is refused", "HTTP 200", Got(resp), Repro(ctx, what, r),
                        0};
    }
    if (!want_allowed && !Refused(resp)) {
      return Divergence{"accepted: " + what + " (" + r.method + " " + TargetOf(r) + ")",
                        kind == StsKind::kWiden ? "HTTP 403 AccessDenied" : "HTTP 400/403",
                        Got(resp), Repro(ctx, what, r), 0};
    }
    return std::nullopt;
  });
  CheckExpiry(ctx, report, parent);
  return report;
}

}  // namespace coffer::conform
