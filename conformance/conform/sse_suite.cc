// The SSE suite: random objects under SSE-S3, SSE-KMS (with --kms-key) and SSE-C read back byte
// for byte, whole and in random ranges; an SSE-C object is refused without its key or with
// another key.

#include <random>

#include <openssl/evp.h>

#include "coffer/core/auth/crypto.h"

#include "property_runner.h"
#include "suites.h"

namespace coffer::conform {
namespace {

enum class Mode { kS3, kKms, kCustomer };

const char* ModeName(Mode m) {
  return m == Mode::kS3 ? "SSE-S3" : m == Mode::kKms ? "SSE-KMS" : "SSE-C";
}

std::string Bytes(std::uint32_t seed, std::size_t n) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

// The three SSE-C headers for a 32-byte key (S3 wants the key's MD5 as an integrity check).
Headers CustomerKeyHeaders(const std::string& key) {
  unsigned char md5[16];
  size_t len = 0;
  (void)EVP_Q_digest(nullptr, "MD5", nullptr, key.data(), key.size(), md5, &len);
  return {{"x-amz-server-side-encryption-customer-algorithm", "AES256"},
          {"x-amz-server-side-encryption-customer-key", core::auth::Base64Encode(key)},
          {"x-amz-server-side-encryption-customer-key-md5",
           core::auth::Base64Encode(std::string(reinterpret_cast<const char*>(md5), len))}};
}

std::string Got(const base::Result<HttpResponse>& r) {
  if (!r.has_value()) return r.error().message();
  return "HTTP " + std::to_string(r->status) + (r->ErrorCode().empty() ? "" : " " + r->ErrorCode());
}

struct SseCase {
  Mode mode = Mode::kS3;
  std::size_t size = 0;
  std::uint32_t seed = 0;
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // Raw picks; mapped onto size.
};

std::string Repro(const Context& ctx, const SseCase& c, const std::string& key,
                  const std::string& what) {
  std::string flags = c.mode == Mode::kS3    ? "--sse AES256"
                      : c.mode == Mode::kKms ? "--sse aws:kms --sse-kms-key-id " + ctx.kms_key
                                             : "--sse-c AES256 --sse-c-key fileb://ssec.key";
  return "# " + what + "\nhead -c " + std::to_string(c.size) + " /dev/urandom > obj.bin" +
         (c.mode == Mode::kCustomer ? "; head -c 32 /dev/urandom > ssec.key" : "") +
         "\naws --endpoint-url " + ctx.s3->main().Url() + " s3 cp obj.bin s3://" +
         ctx.buckets.front() + "/" + key + " " + flags + "\naws --endpoint-url " +
         ctx.s3->main().Url() + " s3 cp s3://" + ctx.buckets.front() + "/" + key + " back.bin " +
         (c.mode == Mode::kCustomer ? flags + " " : "") + "&& cmp obj.bin back.bin\n";
}

std::optional<Divergence> RunOne(Context& ctx, SuiteReport& report, const SseCase& c) {
  static int counter = 0;
  const std::string key = "sse/" + std::to_string(++counter);
  const std::string body = Bytes(c.seed, c.size);
  const std::string customer_key = Bytes(c.seed ^ 0x5eedu, 32);
  Headers key_headers;
  S3Request put;
  put.method = "PUT";
  put.bucket = ctx.buckets.front();
  put.key = key;
  put.body = body;
  switch (c.mode) {
    case Mode::kS3:
      put.headers = {{"x-amz-server-side-encryption", "AES256"}};
      break;
    case Mode::kKms:
      put.headers = {{"x-amz-server-side-encryption", "aws:kms"},
                     {"x-amz-server-side-encryption-aws-kms-key-id", ctx.kms_key}};
      break;
    case Mode::kCustomer:
      key_headers = CustomerKeyHeaders(customer_key);
      put.headers = key_headers;
      ctx.secrets.insert(core::auth::Base64Encode(customer_key));
      break;
  }
  const std::string what =
      std::string(ModeName(c.mode)) + " object of " + std::to_string(c.size) + " bytes";
  auto resp = ctx.s3->Send(put, &ctx.admin);
  ++report.checks;
  if (!resp.has_value() || resp->status != 200) {
    return Divergence{"PUT refused: " + what, "HTTP 200", Got(resp), Repro(ctx, c, key, what), 0};
  }
  // Whole object, then each range.
  std::vector<std::pair<std::string, std::string>> reads = {{"", body}};
  for (const auto& [a, b] : c.ranges) {
    if (body.empty()) break;
    const std::size_t first = a % body.size();
    const std::size_t last = first + b % (body.size() - first);
    reads.emplace_back("bytes=" + std::to_string(first) + "-" + std::to_string(last),
                       body.substr(first, last - first + 1));
    const std::size_t suffix = 1 + b % body.size();
    reads.emplace_back("bytes=-" + std::to_string(suffix), body.substr(body.size() - suffix));
  }
  for (const auto& [range, want] : reads) {
    S3Request get;
    get.bucket = put.bucket;
    get.key = key;
    get.headers = key_headers;
    if (!range.empty()) get.headers.emplace_back("range", range);
    auto r = ctx.s3->Send(get, &ctx.admin);
    ++report.checks;
    const unsigned status = range.empty() ? 200 : 206;
    if (!r.has_value() || r->status != status || r->body != want) {
      return Divergence{"read back differs: " + what + (range.empty() ? "" : ", range " + range),
                        "HTTP " + std::to_string(status) + " with the " +
                            std::to_string(want.size()) + " bytes written",
                        r.has_value() ? Got(r) + ", " + std::to_string(r->body.size()) + " bytes" +
                                            (r->body.size() == want.size() ? " (different)" : "")
                                      : Got(r),
                        Repro(ctx, c, key, what), 0};
    }
  }
  if (c.mode != Mode::kCustomer) return std::nullopt;
  // Without the key, and with another key: refused.
  for (int wrong = 0; wrong < 2; ++wrong) {
    S3Request get;
    get.bucket = put.bucket;
    get.key = key;
    if (wrong == 1) get.headers = CustomerKeyHeaders(Bytes(c.seed ^ 0xbadu, 32));
    auto r = ctx.s3->Send(get, &ctx.admin);
    ++report.checks;
    const bool leaked =
        r.has_value() && !body.empty() &&
        r->body.find(body.substr(0, std::min<std::size_t>(body.size(), 64))) != std::string::npos;
    if (!r.has_value() || r->status < 400 || r->status >= 500 || leaked) {
      return Divergence{std::string("SSE-C object served ") +
                            (wrong ? "with a wrong key" : "without its key") + ": " + what,
                        "HTTP 400/403", Got(r), Repro(ctx, c, key, what), 0};
    }
  }
  return std::nullopt;
}

}  // namespace

SuiteReport RunSseSuite(Context& ctx) {
  SuiteReport report;
  report.name = "sse";
  std::vector<Mode> modes = {Mode::kS3};
  if (!ctx.kms_key.empty()) {
    modes.push_back(Mode::kKms);
  } else {
    report.notes.push_back("SSE-KMS not tested: no --kms-key given");
  }
  if (ctx.s3->main().tls) {
    modes.push_back(Mode::kCustomer);
  } else {
    report.notes.push_back("SSE-C not tested: S3 refuses SSE-C keys over plain HTTP (use https)");
  }
  RunProperty(ctx, report, [&]() -> std::optional<Divergence> {
    SseCase c;
    c.mode = *rc::gen::elementOf(modes);
    c.size = static_cast<std::size_t>(
        *rc::gen::oneOf(rc::gen::inRange(0, 64), rc::gen::inRange(0, 300000)));
    c.seed = *rc::gen::arbitrary<std::uint32_t>();
    const int n = *rc::gen::inRange(0, 3);
    for (int i = 0; i < n; ++i) {
      c.ranges.emplace_back(*rc::gen::inRange<std::size_t>(0, 1u << 20),
                            *rc::gen::inRange<std::size_t>(0, 1u << 20));
    }
    return RunOne(ctx, report, c);
  });
  return report;
}

}  // namespace coffer::conform
