// Reconcile properties (STYLE §22): for random config repos A and B,
//   - apply is idempotent: a second apply of A plans and writes nothing;
//   - after apply, plan shows no changes;
//   - convergence: applying B after A leaves the same rows as applying B to an empty store;
//   - an injected failure in the middle of applying B leaves exactly the state after A.
// Run with RC_PARAMS="seed=N" to reproduce; rapidcheck prints the seed of a failing case.

#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/plan.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace coffer::state {
namespace {

using testing::TempDir;
using testing::TestRandom;

std::map<std::string, std::string> Env() {
  return {{"S0", "secret-zero"}, {"S1", "secret-one"}, {"S2", "secret-two"}, {"ROOT", "root"}};
}

std::string List(const std::string& prefix, const std::set<int>& ids,
                 std::vector<std::string> extra = {}) {
  std::string out = "[";
  for (int id : ids) extra.push_back(prefix + std::to_string(id));
  for (std::size_t i = 0; i < extra.size(); ++i) out += (i ? ", \"" : "\"") + extra[i] + "\"";
  return out + "]";
}

std::set<int> SubsetOf(const std::set<int>& from) {
  std::set<int> out;
  for (int v : from) {
    if (*rc::gen::arbitrary<bool>()) out.insert(v);
  }
  return out;
}

// A random subset of [0, n).
std::set<int> GenSet(int n) {
  std::set<int> out;
  for (int i = 0; i < n; ++i) {
    if (*rc::gen::arbitrary<bool>()) out.insert(i);
  }
  return out;
}

// A random but always valid config repo (one file), with a root admin so guards pass.
std::string GenConfig() {
  std::ostringstream toml;
  toml << "[users.root]\nsecret = \"env:ROOT\"\npolicies = [\"consoleAdmin\"]\n";
  const std::set<int> policies = GenSet(5);
  const std::set<int> users = GenSet(7);
  const std::set<int> groups = GenSet(3);
  const std::set<int> buckets = GenSet(4);
  static constexpr const char* kActions[] = {"s3:GetObject", "s3:PutObject", "s3:ListBucket"};
  for (int p : policies) {
    int action = *rc::gen::inRange(0, 3);
    toml << "[policies.p" << p << "]\njson = '{\"Version\": \"2012-10-17\", \"Statement\": "
         << "[{\"Effect\": \"Allow\", \"Action\": \"" << kActions[action]
         << "\", \"Resource\": \"arn:aws:s3:::b" << p << "/*\"}]}'\n";
  }
  for (int u : users) {
    toml << "[users.u" << u << "]\nsecret = \"env:S" << *rc::gen::inRange(0, 3) << "\"\n"
         << "enabled = " << (*rc::gen::arbitrary<bool>() ? "true" : "false") << "\n"
         << "policies = " << List("p", SubsetOf(policies)) << "\n";
  }
  for (int g : groups) {
    toml << "[groups.g" << g << "]\nmembers = " << List("u", SubsetOf(users)) << "\n"
         << "policies = " << List("p", SubsetOf(policies)) << "\n"
         << "enabled = " << (*rc::gen::arbitrary<bool>() ? "true" : "false") << "\n";
  }
  for (int b : buckets) {
    toml << "[buckets.bucket" << b
         << "]\nversioning = " << (*rc::gen::arbitrary<bool>() ? "true" : "false")
         << "\nencryption = \"" << (*rc::gen::arbitrary<bool>() ? "sse-s3" : "none") << "\"\n";
  }
  return toml.str();
}

class Harness {
 public:
  Harness() : key_(MasterKey::Generate(random_)) {}

  std::unique_ptr<Store> Open(const std::string& name) {
    base::Result<std::unique_ptr<Store>> store = Store::Open(dir_.Path(name), {});
    RC_ASSERT(store.has_value());
    return *std::move(store);
  }

  DesiredRecords Desired(const std::string& toml) {
    ConfigLoad load = LoadConfig(testing::Tree({{"repo.toml", toml}}));
    if (!load.ok()) RC_FAIL(FormatErrors(load.errors) + toml);
    StandardSecretResolver resolver = testing::MapResolver(Env());
    base::Result<DesiredRecords> desired = BuildDesiredRecords(load.state, resolver, key_);
    RC_ASSERT(desired.has_value());
    return *std::move(desired);
  }

  base::Result<ApplyResult> ApplyTo(Store& store, const std::string& toml) {
    ApplyOptions options;
    options.revision.id = "rev";
    options.allow_prune = true;
    return Apply(store, Desired(toml), key_, random_, options);
  }

  // The repo-owned rows, as (kind, name, fields): the state plan and apply care about.
  static std::vector<std::string> Rows(Store& store) {
    base::Result<std::vector<Record>> records = ReadStoredRecords(store);
    RC_ASSERT(records.has_value());
    std::vector<std::string> out;
    for (const Record& r : *records) {
      std::string row = r.kind + " " + r.name + (r.drifted ? " DRIFT" : "");
      for (const auto& [k, v] : r.fields) row += " " + k + "=" + v.value;
      out.push_back(std::move(row));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TestRandom random_{7};
  MasterKey key_;
  TempDir dir_;
};

RC_GTEST_PROP(StateProperty, ApplyIsIdempotentAndLeavesNoPlan, ()) {
  Harness h;
  std::string a = GenConfig();
  auto store = h.Open("a.db");
  base::Result<ApplyResult> first = h.ApplyTo(*store, a);
  RC_ASSERT(first.has_value());
  base::Result<Plan> plan = PlanChanges(*store, h.Desired(a));
  RC_ASSERT(plan.has_value());
  RC_ASSERT(plan->empty());
  auto rows = Harness::Rows(*store);
  base::Result<ApplyResult> second = h.ApplyTo(*store, a);
  RC_ASSERT(second.has_value());
  RC_ASSERT(second->plan.empty());
  RC_ASSERT(second->generation == first->generation);
  RC_ASSERT(Harness::Rows(*store) == rows);
}

RC_GTEST_PROP(StateProperty, ApplyConverges, ()) {
  Harness h;
  std::string a = GenConfig();
  std::string b = GenConfig();
  auto via_a = h.Open("via_a.db");
  auto fresh = h.Open("fresh.db");
  RC_ASSERT(h.ApplyTo(*via_a, a).has_value());
  RC_ASSERT(h.ApplyTo(*via_a, b).has_value());
  RC_ASSERT(h.ApplyTo(*fresh, b).has_value());
  RC_ASSERT(Harness::Rows(*via_a) == Harness::Rows(*fresh));
  RC_ASSERT(PlanChanges(*via_a, h.Desired(b))->empty());
}

RC_GTEST_PROP(StateProperty, InjectedFailureLeavesThePreviousState, ()) {
  Harness h;
  std::string a = GenConfig();
  std::string b = GenConfig();
  auto store = h.Open("s.db");
  RC_ASSERT(h.ApplyTo(*store, a).has_value());
  auto rows = Harness::Rows(*store);
  auto status = *store->ReadStatus();
  base::Result<Plan> plan = PlanChanges(*store, h.Desired(b));
  RC_ASSERT(plan.has_value());
  RC_PRE(!plan->empty());
  int fail_after = *rc::gen::inRange<int>(0, static_cast<int>(plan->changes.size()));
  store->FailApplyAfterChangesForTest(fail_after);
  base::Result<ApplyResult> failed = h.ApplyTo(*store, b);
  RC_ASSERT(!failed.has_value());
  RC_ASSERT(failed.error().code() == base::ErrorCode::kAborted);
  RC_ASSERT(Harness::Rows(*store) == rows);
  RC_ASSERT(store->ReadStatus()->generation == status.generation);
  RC_ASSERT(store->ReadStatus()->last_applied.id == status.last_applied.id);
  store->FailApplyAfterChangesForTest(-1);
  RC_ASSERT(h.ApplyTo(*store, b).has_value());
}

}  // namespace
}  // namespace coffer::state
