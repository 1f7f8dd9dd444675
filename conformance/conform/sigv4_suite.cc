// The SigV4 suite: a valid signed request must succeed; the same request with any one signed
// part changed (a header, the query, the body, the date, the credential scope, the signature,
// a chunk of an aws-chunked upload), signed too far from the server's clock, or signed with a
// wrong secret or region, must be refused and change nothing. A presigned URL must stop
// working once it expires.

#include <random>
#include <thread>

#include "mutations.h"
#include "property_runner.h"
#include "suites.h"

namespace coffer::conform {
namespace {

base::WallTime Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

std::string RandomBytes(std::uint32_t seed, std::size_t n) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

// Mutations applied by signing differently rather than by editing the signed request.
enum class Resign { kNone, kClockSkew, kWrongSecret, kWrongRegion };

struct SigCase {
  int shape = 0;  // 0 PUT signed payload, 1 PUT aws-chunked, 2 GET with a query, 3 listing.
  MutationSpec mutation;
  Resign resign = Resign::kNone;
  std::size_t size = 0;
  std::uint32_t content_seed = 0;
};

SigCase GenSigCase() {
  SigCase c;
  c.shape = *rc::gen::inRange(0, 4);
  const int kind = *rc::gen::inRange(0, kMutationCount + 3);
  if (kind < kMutationCount) {
    c.mutation.kind = static_cast<Mutation>(kind);
  } else {
    c.resign = static_cast<Resign>(kind - kMutationCount + 1);
  }
  c.mutation.which = *rc::gen::inRange(0u, 16u);
  c.mutation.where = *rc::gen::inRange(0u, 4096u);
  c.size = static_cast<std::size_t>(*rc::gen::inRange(c.shape == 1 ? 1 : 0, 40000));
  c.content_seed = *rc::gen::arbitrary<std::uint32_t>();
  return c;
}

std::string Describe(const SigCase& c, const std::string& change) {
  static constexpr const char* kShapes[] = {"PUT (signed payload)", "PUT (aws-chunked)",
                                            "GET with a query", "ListObjectsV2"};
  return std::string(kShapes[c.shape]) + " of " + std::to_string(c.size) + " bytes, " + change;
}

S3Request BaseRequest(const Context& ctx, const SigCase& c, const std::string& key) {
  S3Request r;
  r.bucket = ctx.buckets.front();
  switch (c.shape) {
    case 0:
    case 1:
      r.method = "PUT";
      r.key = key;
      r.body = RandomBytes(c.content_seed, c.size);
      r.headers = {{"content-type", "application/octet-stream"},
                   {"x-amz-meta-conform", "v" + std::to_string(c.content_seed % 1000)}};
      if (c.shape == 1) r.payload = PayloadMode::kStreaming;
      break;
    case 2:
      r.key = "a/x";
      r.query = {{"response-content-type", "text/plain"}};
      break;
    default:
      r.query = {{"list-type", "2"}, {"prefix", "a/"}};
      break;
  }
  return r;
}

bool Exists(Context& ctx, const std::string& bucket, const std::string& key) {
  S3Request head;
  head.method = "HEAD";
  head.bucket = bucket;
  head.key = key;
  auto r = ctx.s3->Send(head, &ctx.admin);
  return r.has_value() && r->status == 200;
}

std::optional<Divergence> RunOne(Context& ctx, SuiteReport& report, const SigCase& c) {
  static int counter = 0;
  const std::string key = "sig/" + std::to_string(++counter);
  const S3Request request = BaseRequest(ctx, c, key);
  base::WallTime when = Now();
  Credentials creds = ctx.admin;
  std::string region;
  std::string change = "unmutated";
  switch (c.resign) {
    case Resign::kClockSkew:
      when -= std::chrono::minutes(20);
      change = "signed 20 minutes in the past";
      break;
    case Resign::kWrongSecret:
      creds.secret_key = base::Secret(std::string(ctx.admin.secret_key.Reveal()) + "x");
      change = "signed with a wrong secret key";
      break;
    case Resign::kWrongRegion:
      region = ctx.s3->region() == "eu-west-3" ? "us-east-1" : "eu-west-3";
      change = "signed for region " + region;
      break;
    case Resign::kNone:
      break;
  }
  auto prepared = ctx.s3->Prepare(request, &creds, when, region);
  if (!prepared.has_value()) return std::nullopt;
  Prepared p = std::move(prepared).value();
  if (c.resign == Resign::kNone) {
    auto applied = ApplyMutation(p, c.mutation);
    if (!applied) {
      ++report.skipped;
      return std::nullopt;
    }
    if (c.mutation.kind != Mutation::kNone)
      change = std::string(MutationName(c.mutation.kind)) + ": " + *applied;
  }
  const bool mutated = change != "unmutated";
  auto resp = ctx.s3->SendPrepared(p);
  ++report.checks;
  const std::string title = Describe(c, change);
  const std::string wire = DescribeWire(p);
  if (!resp.has_value()) {
    return Divergence{"no answer: " + title, "an answer", resp.error().message(), wire, 0};
  }
  const std::string got = "HTTP " + std::to_string(resp->status) +
                          (resp->ErrorCode().empty() ? "" : " " + resp->ErrorCode());
  if (!mutated) {
    if (resp->status != 200) {
      return Divergence{"valid request refused: " + title, "HTTP 200", got, wire, 0};
    }
    if (c.shape <= 1) {
      S3Request get;
      get.bucket = request.bucket;
      get.key = key;
      auto back = ctx.s3->Send(get, &ctx.admin);
      if (!back.has_value() || back->body != request.body) {
        return Divergence{"stored object differs from what was signed: " + title,
                          "the body as sent", "different bytes", wire, 0};
      }
    }
    return std::nullopt;
  }
  if (resp->status < 400 || resp->status >= 500) {
    return Divergence{"mutated request not refused: " + title, "HTTP 400 or 403", got, wire, 0};
  }
  if (c.shape <= 1 &&
      (Exists(ctx, request.bucket, key) || Exists(ctx, request.bucket, key + "-x"))) {
    return Divergence{"refused request still stored its object: " + title, "no object " + key,
                      "the object exists", wire, 0};
  }
  return std::nullopt;
}

// A presigned GET works before it expires and is refused after.
void CheckPresignExpiry(Context& ctx, SuiteReport& report) {
  S3Request get;
  get.bucket = ctx.buckets.front();
  get.key = "a/x";
  auto p = ctx.s3->Presign(get, ctx.admin, Now(), std::chrono::seconds(1));
  if (!p.has_value()) return;
  auto before = ctx.s3->SendPrepared(*p);
  ++report.checks;
  if (!before.has_value() || before->status != 200) {
    report.divergences.push_back(Divergence{
        "a fresh presigned GET is refused", "HTTP 200",
        before.has_value() ? "HTTP " + std::to_string(before->status) : before.error().message(),
        DescribeWire(*p), 0});
    return;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  auto after = ctx.s3->SendPrepared(*p);
  ++report.checks;
  if (after.has_value() && after->status == 200) {
    report.divergences.push_back(Divergence{
        "an expired presigned GET (X-Amz-Expires=1, sent 2.2 s later) is served",
        "HTTP 403 AccessDenied (Request has expired)", "HTTP 200",
        "# presign with a 1 s expiry, wait 2 s, then fetch it:\n"
        "url=$(aws --endpoint-url " +
            ctx.s3->main().Url() + " s3 presign s3://" + get.bucket + "/" + get.key +
            " --expires-in 1); sleep 2; curl -sS -o /dev/null -w '%{http_code}\\n' \"$url\"\n",
        0});
  }
}

}  // namespace

std::string DescribeWire(const Prepared& p) {
  std::string out = "# " + p.endpoint.Url() + "\n" + p.method + " " + p.target + " HTTP/1.1\n";
  for (const auto& [name, value] : p.headers) {
    const bool secret = name == "x-amz-security-token" ||
                        name.starts_with("x-amz-server-side-encryption-customer-key");
    out += name + ": " + (secret ? std::string("REDACTED") : value) + "\n";
  }
  out += "(body: " + std::to_string(p.body.size()) + " bytes" +
         (p.chunks.empty() ? "" : ", " + std::to_string(p.chunks.size()) + " aws-chunked chunks") +
         ")\n";
  return out;
}

SuiteReport RunSigV4Suite(Context& ctx) {
  SuiteReport report;
  report.name = "sigv4";
  CheckPresignExpiry(ctx, report);
  RunProperty(ctx, report,
              [&]() -> std::optional<Divergence> { return RunOne(ctx, report, GenSigCase()); });
  return report;
}

}  // namespace coffer::conform
