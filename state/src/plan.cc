// The differ: a merge walk over two sorted record lists. Kept apart from rendering so the
// daemon, the CLI and tests share one definition of "what changes".

#include "coffer/state/plan.h"

#include <algorithm>
#include <tuple>

namespace coffer::state {

int KindRank(std::string_view kind) {
  static constexpr std::string_view kOrder[] = {"policy",        "user",        "group", "bucket",
                                                "appliance",     "key_service", "oidc",  "ldap",
                                                "audit_webhook", "audit_file"};
  for (int i = 0; i < static_cast<int>(std::size(kOrder)); ++i) {
    if (kOrder[i] == kind) return i;
  }
  return static_cast<int>(std::size(kOrder));
}

std::string_view ChangeActionName(ChangeAction a) {
  switch (a) {
    case ChangeAction::kCreate:
      return "create";
    case ChangeAction::kUpdate:
      return "update";
    case ChangeAction::kDelete:
      return "delete";
  }
  return "create";
}

std::size_t Plan::Count(ChangeAction action) const {
  return static_cast<std::size_t>(std::count_if(
      changes.begin(), changes.end(), [&](const Change& c) { return c.action == action; }));
}

std::size_t Plan::Deletes(std::string_view kind) const {
  return static_cast<std::size_t>(std::count_if(
      changes.begin(), changes.end(),
      [&](const Change& c) { return c.action == ChangeAction::kDelete && c.kind == kind; }));
}

namespace {

auto Key(const Record& r) {
  return std::make_tuple(KindRank(r.kind), std::cref(r.kind), std::cref(r.name));
}

std::vector<const Record*> Sorted(const std::vector<Record>& records) {
  std::vector<const Record*> out;
  out.reserve(records.size());
  for (const Record& r : records) out.push_back(&r);
  std::sort(out.begin(), out.end(),
            [](const Record* a, const Record* b) { return Key(*a) < Key(*b); });
  return out;
}

Change WholeRecord(const Record& r, ChangeAction action) {
  Change c{action, r.kind, r.name, {}, r.drifted};
  for (const auto& [name, value] : r.fields) {
    FieldChange f{name, std::nullopt, std::nullopt, value.sensitive};
    (action == ChangeAction::kCreate ? f.after : f.before) = value.value;
    c.fields.push_back(std::move(f));
  }
  return c;
}

std::optional<Change> Update(const Record& want, const Record& have) {
  Change c{ChangeAction::kUpdate, want.kind, want.name, {}, have.drifted};
  auto w = want.fields.begin();
  auto h = have.fields.begin();
  while (w != want.fields.end() || h != have.fields.end()) {
    if (h == have.fields.end() || (w != want.fields.end() && w->first < h->first)) {
      c.fields.push_back({w->first, std::nullopt, w->second.value, w->second.sensitive});
      ++w;
    } else if (w == want.fields.end() || h->first < w->first) {
      c.fields.push_back({h->first, h->second.value, std::nullopt, h->second.sensitive});
      ++h;
    } else {
      if (w->second.value != h->second.value) {
        c.fields.push_back({w->first, h->second.value, w->second.value,
                            w->second.sensitive || h->second.sensitive});
      }
      ++w;
      ++h;
    }
  }
  // A drifted row whose visible fields match was still edited (its digest differs); apply
  // rewrites it, so it shows as an update.
  if (c.fields.empty() && !have.drifted) return std::nullopt;
  return c;
}

}  // namespace

Plan ComputePlan(const std::vector<Record>& desired, const std::vector<Record>& stored) {
  std::vector<const Record*> want = Sorted(desired);
  std::vector<const Record*> have = Sorted(stored);
  Plan plan;
  std::size_t i = 0, j = 0;
  while (i < want.size() || j < have.size()) {
    if (j == have.size() || (i < want.size() && Key(*want[i]) < Key(*have[j]))) {
      plan.changes.push_back(WholeRecord(*want[i++], ChangeAction::kCreate));
    } else if (i == want.size() || Key(*have[j]) < Key(*want[i])) {
      plan.changes.push_back(WholeRecord(*have[j++], ChangeAction::kDelete));
    } else {
      if (std::optional<Change> c = Update(*want[i], *have[j]))
        plan.changes.push_back(*std::move(c));
      ++i;
      ++j;
    }
  }
  return plan;
}

}  // namespace coffer::state
