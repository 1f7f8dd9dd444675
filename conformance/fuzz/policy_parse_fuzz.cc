// libFuzzer target for the policy parser (clang-14, the fuzz preset). For every input it checks
// that parsing and validation never crash, that printing is a normal form
// (print(parse(print(d))) == print(d)), and that a document that validates also compiles and
// evaluates. A broken property aborts through COFFER_ASSERT, which libFuzzer reports.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/base/assert.h"
#include "coffer/policy/compile.h"
#include "coffer/policy/evaluate.h"
#include "coffer/policy/explain.h"
#include "coffer/policy/parse.h"
#include "coffer/policy/validate.h"

namespace {

void CheckRoundTrip(const coffer::policy::Document& doc) {
  const std::string printed = coffer::policy::Print(doc);
  const auto again = coffer::policy::Parse(printed);
  COFFER_ASSERT(again.has_value());
  COFFER_ASSERT(coffer::policy::Print(*again) == printed);
}

void CheckEvaluates(const coffer::policy::Document& doc, coffer::policy::PolicyKind kind) {
  auto compiled = coffer::policy::Compile(doc, "fuzz", kind);
  COFFER_ASSERT(compiled.has_value());
  coffer::policy::Context ctx;
  ctx.Add("aws:username", "alice");
  ctx.Add("aws:SourceIp", "10.0.0.1");
  ctx.Add("s3:prefix", "alice/x");
  ctx.Add("aws:CurrentTime", "2026-01-01T00:00:00Z");
  const coffer::policy::CompiledPolicy* list[] = {compiled->get()};
  coffer::policy::PolicySet set;
  if (kind == coffer::policy::PolicyKind::kBucket) {
    set.bucket = compiled->get();
  } else {
    set.identity = list;
  }
  coffer::policy::Request request;
  request.action = "s3:GetObject";
  request.resource = "arn:aws:s3:::mybucket/alice/x";
  request.principal = "alice";
  request.context = &ctx;
  const coffer::policy::Decision d = coffer::policy::Evaluate(set, request);
  const coffer::policy::Explanation e = coffer::policy::Explain(set, request, true);
  COFFER_ASSERT(e.decision.effect == d.effect);
  COFFER_ASSERT(e.statements.size() == compiled->get()->statement_count());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto doc = coffer::policy::Parse(text, {.max_bytes = 64 * 1024, .max_depth = 64});
  if (!doc.has_value()) return 0;
  if (doc->shape_errors.empty()) CheckRoundTrip(*doc);
  for (const auto kind :
       {coffer::policy::PolicyKind::kIdentity, coffer::policy::PolicyKind::kBucket}) {
    if (coffer::policy::Validate(*doc, {kind}).empty()) CheckEvaluates(*doc, kind);
  }
  return 0;
}
