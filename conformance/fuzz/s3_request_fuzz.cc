// libFuzzer target for S3 request routing: target parsing (ParseS3Request)
// and operation classification (Classify). The input is read as a request
// head: the first line is "METHOD target" (GET when there is no space), each
// later line "name:value" a header. The properties: no crash, no sanitizer
// report, every error carries an S3 code (a malformed target is never a 500),
// every accepted request names a valid bucket (or none) and a key of at most
// 1024 bytes, every classified operation has an IAM action, and a parsed key
// survives the listing encoding (encoding-type=url) round trip.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/core/auth/s3_errors.h"

#include "../../appliance/src/core/s3/operations.h"
#include "../../appliance/src/core/s3/request.h"

namespace {

namespace s3 = coffer::core::s3;

void RequireS3Code(const coffer::base::Error& error) {
  if (!coffer::core::auth::S3ErrorCodeOf(error).has_value()) std::abort();
}

void Require(bool condition) {
  if (!condition) std::abort();
}

coffer::core::HttpRequest BuildRequest(std::string_view text) {
  coffer::core::HttpRequest request;
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (first) {
      first = false;
      const std::size_t space = line.find(' ');
      request.method = space == std::string_view::npos ? "GET" : std::string(line.substr(0, space));
      request.target = std::string(space == std::string_view::npos ? line : line.substr(space + 1));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(line.substr(colon + 1)));
  }
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const coffer::core::HttpRequest request = BuildRequest(text);
  static const std::vector<std::string> kDomains = {"s3.example.com", "localhost"};
  for (const bool virtual_hosts : {false, true}) {
    auto parsed = s3::ParseS3Request(request, virtual_hosts ? std::span<const std::string>(kDomains)
                                                            : std::span<const std::string>());
    if (!parsed.has_value()) {
      RequireS3Code(parsed.error());
      continue;
    }
    Require(parsed->bucket.empty() || s3::IsValidBucketName(parsed->bucket));
    Require(parsed->key.size() <= 1024);
    Require(parsed->key.empty() || !parsed->bucket.empty());
    const auto decoded = s3::PercentDecode(s3::UrlEncodeKey(parsed->key), false);
    Require(decoded.has_value() && *decoded == parsed->key);
    auto op = s3::Classify(request, *parsed);
    if (!op.has_value()) {
      RequireS3Code(op.error());
      continue;
    }
    const s3::OpSpec& spec = s3::SpecOf(*op);
    Require(spec.op == *op);
    Require(!spec.action.empty());
    // Service-level requests are ListBuckets only; object operations need a key.
    Require(!parsed->bucket.empty() || *op == s3::Op::kListBuckets);
    Require(spec.resource != s3::ResourceKind::kObject || !parsed->key.empty());
  }
  return 0;
}
