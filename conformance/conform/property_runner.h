#pragma once
// Runs one suite's property under rapidcheck with the run's seed and case count, and keeps the
// last (so the smallest, after shrinking) divergence. The body generates its case with
// rapidcheck inside the property and returns the divergence it saw, if any. Shrinking re-runs
// the body against the live endpoint, so it is bounded by Context::shrink_budget evaluations;
// once the budget is spent (or the run is interrupted) every further evaluation passes at
// once, which ends rapidcheck's search.

#include <functional>
#include <optional>
#include <string>

#include <rapidcheck.h>

#include "report.h"
#include "suites.h"

namespace coffer::conform {

inline void RunProperty(Context& ctx, SuiteReport& report,
                        const std::function<std::optional<Divergence>()>& body) {
  std::optional<Divergence> last;
  std::string first_seen;
  int after_failure = 0;
  bool failed = false;
  const auto property = [&]() {
    if (ctx.Interrupted()) return;
    if (failed && after_failure >= ctx.shrink_budget) return;
    if (failed) ++after_failure;
    std::optional<Divergence> d = body();
    if (!failed) ++report.cases;
    if (d) {
      if (!failed) first_seen = d->title;
      failed = true;
      last = std::move(d);
      RC_FAIL(last->title);
    }
  };
  rc::detail::TestParams params;
  std::uint64_t seed = ctx.seed;
  for (char c : report.name) seed = seed * 1099511628211ull ^ static_cast<unsigned char>(c);
  params.seed = seed;
  params.maxSuccess = ctx.cases;
  params.maxSize = 100;
  params.maxDiscardRatio = 10;
  rc::detail::TestMetadata metadata;
  metadata.id = "conform/" + report.name;
  metadata.description = report.name;
  (void)rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params);
  if (last) {
    last->shrink_steps = after_failure;
    if (first_seen != last->title) {
      report.notes.push_back("the divergence was first seen as: " + first_seen);
    }
    report.divergences.push_back(std::move(*last));
  }
}

}  // namespace coffer::conform
