#include "run.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "coffer/core/auth/crypto.h"
#include "coffer/posix/posix_env.h"

#include "adapter.h"
#include "policy_model.h"
#include "suites.h"

namespace coffer::conform {

const char* const kUsage =
    R"(usage: coffer conform --endpoint URL --admin-credentials KEY:SECRET|env:A,env:B
                      [--plain-endpoint URL] [--region R] [--ca FILE] [--seed N] [--cases N]
                      [--suite policy,sigv4,sts,sse,audit] [--report FILE.md|FILE.json]
                      [--config-repo DIR --seal-key SEAL_PUB_FILE] [--kms-key ID]
                      [--audit-sink file:PATH] [--shrink-budget N] [--timeout-ms MS]

Attacks a live S3 endpoint with generated cases and reports every divergence from the policy
semantics (the reference evaluator of conformance/), SigV4, STS and SSE rules, reproducible by
--seed. Everything it creates (buckets named conform-XXXXXXXX-*, the config repo file, sessions)
is removed at the end, also on Ctrl-C.

  --endpoint URL           the endpoint under test, http[s]://HOST:PORT
  --plain-endpoint URL     the same server's plain-HTTP listener (requests with and without TLS)
  --admin-credentials C    KEY:SECRET, or env:VAR_KEY,env:VAR_SECRET (keeps the secret out of ps)
  --region R               SigV4 region (default us-east-1)
  --ca FILE                PEM CAs to trust for https (default: the system store)
  --seed N                 reproduce a run (printed on the first line and in the report)
  --cases N                generated cases per suite (default 30)
  --suite LIST             policy,sigv4,sts,sse,audit (default: all but audit; audit needs
                           --audit-sink)
  --report FILE            write the report as Markdown (.md) or JSON (.json); the Markdown
                           summary always goes to stdout
  --config-repo DIR        Coffer adapter: users and identity policies are written to
                           DIR/conform-XXXXXXXX.toml and committed with git; serve must watch DIR
  --seal-key FILE          the appliance's seal.pub (`coffer seal --init`): user secrets are
                           sealed to it (needed with --config-repo)
  --kms-key ID             also test SSE-KMS with this key
  --audit-sink file:PATH   the server's file audit target, for the audit suite
  --shrink-budget N        property evaluations spent shrinking a divergence (default 40)
  --timeout-ms MS          bound on each HTTP exchange (default 15000)

Exit status: 0 no divergence, 1 divergences found, 2 usage, 3 setup or a suite failed,
130 interrupted (after cleaning up).
)";

namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) {
  if (g_stop.exchange(true)) _exit(130);  // A second signal: leave at once.
}

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string NowRfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s + ",") {
    if (c == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

// Parses all of `text` as a decimal number.
template <typename T>
bool Number(const std::string& text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

base::Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::InvalidArgument("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Removes every bucket whose name starts with the run prefix; returns what could not be.
std::vector<std::string> DeleteRunBuckets(Context& ctx) {
  std::vector<std::string> problems;
  auto listed = ctx.s3->ListBuckets(ctx.admin, ctx.prefix + "-");
  std::vector<std::string> names = ctx.buckets;
  names.push_back(ctx.probe_bucket);
  if (listed.has_value()) {
    for (const std::string& b : *listed) {
      if (std::find(names.begin(), names.end(), b) == names.end()) names.push_back(b);
    }
  }
  for (const std::string& b : names) {
    (void)ctx.s3->SetBucketPolicy(ctx.admin, b, std::nullopt);
    if (auto s = ctx.s3->EmptyAndDeleteBucket(ctx.admin, b); !s.has_value()) {
      problems.push_back("bucket " + b + ": " + s.error().message());
    }
  }
  auto left = ctx.s3->ListBuckets(ctx.admin, ctx.prefix + "-");
  if (left.has_value()) {
    for (const std::string& b : *left) problems.push_back("bucket " + b + " still exists");
  }
  return problems;
}

}  // namespace

base::Result<std::pair<std::string, std::string>> ResolveAdminCredentials(const std::string& spec) {
  if (spec.starts_with("env:")) {
    const auto comma = spec.find(',');
    if (comma == std::string::npos || spec.compare(comma + 1, 4, "env:") != 0) {
      return base::InvalidArgument("--admin-credentials env:VAR_KEY,env:VAR_SECRET");
    }
    const std::string key_var = spec.substr(4, comma - 4);
    const std::string secret_var = spec.substr(comma + 5);
    const char* key = std::getenv(key_var.c_str());
    const char* secret = std::getenv(secret_var.c_str());
    if (key == nullptr || *key == '\0') return base::InvalidArgument(key_var + " is not set");
    if (secret == nullptr || *secret == '\0') {
      return base::InvalidArgument(secret_var + " is not set");
    }
    return std::make_pair(std::string(key), std::string(secret));
  }
  const auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    return base::InvalidArgument("--admin-credentials KEY:SECRET or env:VAR_KEY,env:VAR_SECRET");
  }
  return std::make_pair(spec.substr(0, colon), spec.substr(colon + 1));
}

base::Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return base::InvalidArgument("help");
    if (i + 1 >= args.size()) return base::InvalidArgument("unknown flag or missing value: " + a);
    const std::string& v = args[++i];
    {
      if (a == "--endpoint") {
        o.endpoint = v;
      } else if (a == "--plain-endpoint") {
        o.plain_endpoint = v;
      } else if (a == "--admin-credentials") {
        o.admin_credentials = v;
      } else if (a == "--region") {
        o.region = v;
      } else if (a == "--ca") {
        o.ca_file = v;
      } else if (a == "--seed") {
        if (!Number(v, o.seed)) return base::InvalidArgument("bad value for --seed: '" + v + "'");
        o.have_seed = true;
      } else if (a == "--cases") {
        if (!Number(v, o.cases)) return base::InvalidArgument("bad value for --cases: '" + v + "'");
      } else if (a == "--suite") {
        o.suites = SplitComma(v);
      } else if (a == "--report") {
        o.report_path = v;
      } else if (a == "--config-repo") {
        o.config_repo = v;
      } else if (a == "--seal-key") {
        o.seal_key = v;
      } else if (a == "--kms-key") {
        o.kms_key = v;
      } else if (a == "--audit-sink") {
        o.audit_sink = v;
      } else if (a == "--shrink-budget") {
        if (!Number(v, o.shrink_budget)) return base::InvalidArgument("bad --shrink-budget");
      } else if (a == "--timeout-ms") {
        if (!Number(v, o.timeout_ms)) return base::InvalidArgument("bad --timeout-ms");
      } else {
        return base::InvalidArgument("unknown flag " + a);
      }
    }
  }
  if (o.endpoint.empty()) return base::InvalidArgument("--endpoint is required");
  if (o.admin_credentials.empty()) return base::InvalidArgument("--admin-credentials is required");
  if (o.cases < 1 || o.shrink_budget < 0 || o.timeout_ms < 100) {
    return base::InvalidArgument("--cases >= 1, --shrink-budget >= 0, --timeout-ms >= 100");
  }
  if (!o.config_repo.empty() && o.seal_key.empty()) {
    return base::InvalidArgument("--config-repo needs --seal-key (the appliance's seal.pub)");
  }
  if (o.suites.empty()) {
    o.suites = {"policy", "sigv4", "sts", "sse"};
    if (!o.audit_sink.empty()) o.suites.push_back("audit");
  }
  for (const std::string& s : o.suites) {
    if (s != "policy" && s != "sigv4" && s != "sts" && s != "sse" && s != "audit") {
      return base::InvalidArgument("unknown suite '" + s + "'");
    }
  }
  if (!o.report_path.empty() && !o.report_path.ends_with(".md") &&
      !o.report_path.ends_with(".json")) {
    return base::InvalidArgument("--report must end in .md or .json");
  }
  return o;
}

int Run(const Options& o) {
  InstallSignalHandlers();
  auto endpoint = ParseEndpoint(o.endpoint);
  std::optional<Endpoint> plain;
  if (!o.plain_endpoint.empty()) {
    auto p = ParseEndpoint(o.plain_endpoint);
    if (!p.has_value()) {
      std::fprintf(stderr, "coffer conform: --plain-endpoint: %s\n", p.error().message().c_str());
      return 2;
    }
    plain = *p;
  }
  auto admin = ResolveAdminCredentials(o.admin_credentials);
  if (!endpoint.has_value() || !admin.has_value()) {
    std::fprintf(stderr, "coffer conform: %s\n",
                 (!endpoint.has_value() ? endpoint.error() : admin.error()).message().c_str());
    return 2;
  }
  posix::OpenSslRandom random;
  auto crypto = core::auth::Crypto::Create(random.LibCtx());
  if (!crypto.has_value()) {
    std::fprintf(stderr, "coffer conform: %s\n", crypto.error().message().c_str());
    return 3;
  }
  const unsigned long long seed = o.have_seed ? o.seed : random.Uniform(1, (1ull << 62));
  HttpClient http(o.ca_file, std::chrono::milliseconds(o.timeout_ms));
  S3Client s3(http, **crypto, *endpoint, plain, o.region);

  Context ctx;
  ctx.s3 = &s3;
  ctx.admin = Credentials{admin->first, base::Secret(admin->second), ""};
  ctx.prefix = "conform-" + RandomSecret(random, 8);
  for (char& c : ctx.prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ctx.buckets = {ctx.prefix + "-b1", ctx.prefix + "-b2"};
  ctx.probe_bucket = ctx.prefix + "-b0";
  ctx.cases = o.cases;
  ctx.seed = seed;
  ctx.shrink_budget = o.shrink_budget;
  ctx.kms_key = o.kms_key;
  ctx.audit_sink = o.audit_sink;
  ctx.stop = &g_stop;

  RunReport report;
  report.endpoint = endpoint->Url();
  report.seed = seed;
  report.cases_per_suite = o.cases;
  report.started = NowRfc3339();
  report.version = "coffer-conform 1 (issue #15)";
  std::fprintf(stderr, "coffer conform: seed %llu, endpoint %s, run prefix %s\n", seed,
               report.endpoint.c_str(), ctx.prefix.c_str());

  int exit_code = 0;
  std::unique_ptr<Adapter> adapter;
  if (auto s = PrepareBuckets(ctx); !s.has_value()) {
    std::fprintf(stderr, "coffer conform: setup: %s\n", s.error().message().c_str());
    report.cleanup_problems = DeleteRunBuckets(ctx);
    return 3;
  }
  if (!o.config_repo.empty()) {
    auto pub = ReadFile(o.seal_key);
    base::Result<std::unique_ptr<Adapter>> made =
        pub.has_value() ? MakeCofferAdapter(CofferAdapterOptions{o.config_repo, *pub, ctx.prefix,
                                                                 ctx.probe_bucket, 2, 20000},
                                            s3, random)
                        : base::Result<std::unique_ptr<Adapter>>(pub.error());
    if (!made.has_value()) {
      std::fprintf(stderr, "coffer conform: adapter: %s\n", made.error().message().c_str());
      (void)DeleteRunBuckets(ctx);
      return 3;
    }
    adapter = std::move(made).value();
    for (const auto& [name, c] : adapter->Users()) {
      ctx.secrets.insert(std::string(c.secret_key.Reveal()));
      (void)s3.PutObject(ctx.admin, ctx.buckets.front(), name + "/z", SeedObjectBody(name + "/z"));
      (void)s3.PutObject(ctx.admin, ctx.buckets.back(), name + "/z", SeedObjectBody(name + "/z"));
    }
    ctx.adapter = adapter.get();
  }
  report.adapter = adapter ? adapter->Name() : "generic";

  for (const std::string& suite : o.suites) {
    if (g_stop.load()) break;
    std::fprintf(stderr, "coffer conform: suite %s (%d cases)\n", suite.c_str(), o.cases);
    SuiteReport r = suite == "policy"  ? RunPolicySuite(ctx)
                    : suite == "sigv4" ? RunSigV4Suite(ctx)
                    : suite == "sts"   ? RunStsSuite(ctx)
                    : suite == "sse"   ? RunSseSuite(ctx)
                                       : RunAuditSuite(ctx);
    std::fprintf(stderr, "coffer conform: suite %s: %d cases, %d checks, %zu divergences\n",
                 suite.c_str(), r.cases, r.checks, r.divergences.size());
    report.suites.push_back(std::move(r));
  }
  report.interrupted = g_stop.load();

  // Cleanup: the adapter's principals, then every run bucket.
  if (adapter) {
    if (auto s = adapter->Cleanup(); !s.has_value()) {
      report.cleanup_problems.push_back("config repo: " + s.error().message());
    }
  }
  for (std::string& p : DeleteRunBuckets(ctx)) report.cleanup_problems.push_back(std::move(p));
  report.server_header = s3.server_header();
  report.finished = NowRfc3339();

  const std::string markdown = RenderMarkdown(report);
  std::fputs(markdown.c_str(), stdout);
  if (!o.report_path.empty()) {
    std::ofstream out(o.report_path, std::ios::trunc);
    out << (o.report_path.ends_with(".json") ? RenderJson(report) : markdown);
    if (!out.flush()) {
      std::fprintf(stderr, "coffer conform: cannot write %s\n", o.report_path.c_str());
      exit_code = 3;
    }
  }
  if (report.interrupted) return 130;
  if (report.TotalDivergences() > 0) return 1;
  if (report.AnyError() || !report.cleanup_problems.empty()) return 3;
  return exit_code;
}

std::string SeedObjectBody(const std::string& key) { return "conform seed object " + key + "\n"; }

base::Status PrepareBuckets(Context& ctx) {
  COFFER_RETURN_IF_ERROR(ctx.s3->CreateBucket(ctx.admin, ctx.probe_bucket));
  for (const std::string& b : ctx.buckets) {
    COFFER_RETURN_IF_ERROR(ctx.s3->CreateBucket(ctx.admin, b));
    PolicyWorld world;
    for (const std::string& key : world.Keys()) {
      COFFER_RETURN_IF_ERROR(ctx.s3->PutObject(ctx.admin, b, key, SeedObjectBody(key)));
    }
  }
  return base::Ok();
}

}  // namespace coffer::conform
