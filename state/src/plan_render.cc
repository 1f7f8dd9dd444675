// Plan renderers. SECURITY: a sensitive field's values never reach the output, only the
// fact that it changed.

#include <nlohmann/json.hpp>

#include "coffer/state/plan.h"

namespace coffer::state {
namespace {

char Sigil(ChangeAction a) {
  switch (a) {
    case ChangeAction::kCreate:
      return '+';
    case ChangeAction::kUpdate:
      return '~';
    case ChangeAction::kDelete:
      return '-';
  }
  return '?';
}

std::string Shown(const std::optional<std::string>& v, bool sensitive) {
  if (!v) return "(none)";
  if (sensitive) return "(sensitive)";
  if (v->empty()) return "\"\"";
  return *v;
}

}  // namespace

std::string RenderPlanText(const Plan& plan) {
  std::string out;
  for (const Change& c : plan.changes) {
    out += Sigil(c.action);
    out += " " + c.kind + " " + c.name;
    if (c.drift) out += " (drift: changed outside the repo)";
    out += "\n";
    for (const FieldChange& f : c.fields) {
      out += "    " + f.field + ": ";
      switch (c.action) {
        case ChangeAction::kCreate:
          out += Shown(f.after, f.sensitive);
          break;
        case ChangeAction::kDelete:
          out += Shown(f.before, f.sensitive);
          break;
        case ChangeAction::kUpdate:
          out += Shown(f.before, f.sensitive) + " -> " + Shown(f.after, f.sensitive);
          break;
      }
      out += "\n";
    }
  }
  if (plan.empty()) {
    out += "No changes. The store matches the configuration.\n";
  } else {
    out += "Plan: " + std::to_string(plan.Count(ChangeAction::kCreate)) + " to create, " +
           std::to_string(plan.Count(ChangeAction::kUpdate)) + " to update, " +
           std::to_string(plan.Count(ChangeAction::kDelete)) + " to delete.\n";
  }
  return out;
}

std::string RenderPlanJson(const Plan& plan) {
  using Json = nlohmann::ordered_json;
  Json changes = Json::array();
  for (const Change& c : plan.changes) {
    Json fields = Json::object();
    for (const FieldChange& f : c.fields) {
      Json field = {{"sensitive", f.sensitive}};
      if (!f.sensitive) {
        field["before"] = f.before ? Json(*f.before) : Json(nullptr);
        field["after"] = f.after ? Json(*f.after) : Json(nullptr);
      }
      fields[f.field] = std::move(field);
    }
    changes.push_back({{"action", ChangeActionName(c.action)},
                       {"kind", c.kind},
                       {"name", c.name},
                       {"drift", c.drift},
                       {"fields", std::move(fields)}});
  }
  Json out = {{"format_version", "1"},
              {"changes", std::move(changes)},
              {"summary",
               {{"create", plan.Count(ChangeAction::kCreate)},
                {"update", plan.Count(ChangeAction::kUpdate)},
                {"delete", plan.Count(ChangeAction::kDelete)}}}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace coffer::state
