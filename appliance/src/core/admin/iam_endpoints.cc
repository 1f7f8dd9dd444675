// The admin API's IAM reads (users, groups, policies as the store has them)
// and the reconcile status (what was applied, what the repo says now, what
// applying it would change). Everything comes from the IAM store and the
// config repo through their interfaces: no files, no git here.
//
// SECURITY: answers are built field by field from names the code chooses;
// stored secret digests and the repo's secret references (env:NAME,
// file:PATH, sealed:...) are never copied into them. Only the reference's
// kind is.

#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "coffer/env/log.h"
#include "coffer/state/apply.h"
#include "coffer/state/builtin_policies.h"
#include "coffer/state/config.h"
#include "coffer/state/plan.h"
#include "coffer/state/secrets.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "admin_impl.h"

namespace coffer::core::admin {

using nlohmann::json;

namespace {

// A stored list field (a JSON array of strings) as an array; [] when absent.
json ListField(const state::Record& record, const char* field) {
  auto it = record.fields.find(field);
  if (it == record.fields.end() || it->second.sensitive) return json::array();
  json list = json::parse(it->second.value, nullptr, /*allow_exceptions=*/false);
  return list.is_array() ? list : json::array();
}

bool BoolField(const state::Record& record, const char* field, bool fallback) {
  auto it = record.fields.find(field);
  if (it == record.fields.end()) return fallback;
  return it->second.value == "true";
}

std::string_view SecretKindName(state::SecretRef::Kind kind) {
  switch (kind) {
    case state::SecretRef::Kind::kEnv:
      return "env";
    case state::SecretRef::Kind::kFile:
      return "file";
    case state::SecretRef::Kind::kSealed:
      return "sealed";
  }
  return "unknown";
}

json PolicyDocument(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return doc.is_discarded() ? json(std::string(text)) : doc;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Lines of unresolved-secret errors ("FILE:LINE:COL: kind.name.field:
// resolver message") cut after the field: the resolver's message may name
// the reference (an environment variable, a path), which answers never show.
std::vector<std::string> ScrubSecretErrors(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    const std::size_t where = line.find(": ");
    const std::size_t field = where == std::string::npos ? where : line.find(": ", where + 2);
    out.push_back((field == std::string::npos ? std::string("(unknown)") : line.substr(0, field)) +
                  ": secret reference cannot be resolved");
  }
  return out;
}

json RevisionJson(const state::Revision& r) {
  if (r.id.empty()) return nullptr;
  return {{"id", r.id}, {"author", r.author}, {"dirty", r.dirty}, {"git", r.git}};
}

}  // namespace

// Reads the store under its lock without rebuilding the snapshot (the change
// function's error skips the rebuild).
base::Status AdminApi::Impl::ReadStore(
    const std::function<base::Status(state::Store&, const state::MasterKey&)>& read) const {
  if (options.sources.live == nullptr) return base::Unimplemented("the IAM store");
  base::Status outcome = base::Ok();
  (void)options.sources.live->Change(
      [&](state::Store& store, const state::MasterKey& key) -> base::Status {
        outcome = read(store, key);
        return base::Aborted("read only");
      },
      env.clock().Now());
  return outcome;
}

base::Result<std::vector<state::Record>> AdminApi::Impl::StoredRecords() const {
  std::vector<state::Record> records;
  COFFER_RETURN_IF_ERROR(
      ReadStore([&](state::Store& store, const state::MasterKey&) -> base::Status {
        COFFER_ASSIGN_OR_RETURN(records, state::ReadStoredRecords(store));
        return base::Ok();
      }));
  return records;
}

std::map<std::string, std::string> AdminApi::Impl::SecretKinds() {
  std::map<std::string, std::string> kinds;
  if (options.sources.repo == nullptr) return kinds;
  std::lock_guard lock(repo_mu);
  base::Result<state::ConfigTree> tree = options.sources.repo->Read();
  if (!tree.has_value()) return kinds;
  // A repo with errors still names its users' references where they parse.
  const state::ConfigLoad load = state::LoadConfig(*tree);
  for (const auto& [name, user] : load.state.users) {
    kinds[name] = std::string(SecretKindName(user.secret.kind));
  }
  return kinds;
}

Reply AdminApi::Impl::Users(const Call& call, std::string_view name) {
  // MinIO: a user may read its own info; anyone else's needs admin:GetUser.
  const bool self = !name.empty() && call.authorizer.type() == s3::PrincipalType::kUser &&
                    call.authorizer.user() == name;
  if (!self && !Allowed(call, name.empty() ? "admin:ListUsers" : "admin:GetUser")) {
    return Denied();
  }
  base::Result<std::vector<state::Record>> records = StoredRecords();
  if (!records.has_value()) {
    if (records.error().code() == base::ErrorCode::kUnimplemented) return NotImplemented("users");
    return FromError(call.http, records.error());
  }
  std::map<std::string, std::set<std::string>> groups_of;
  for (const state::Record& r : *records) {
    if (r.kind != "group") continue;
    for (const json& member : ListField(r, "members")) {
      if (member.is_string()) groups_of[member.get<std::string>()].insert(r.name);
    }
  }
  const std::map<std::string, std::string> kinds = SecretKinds();
  json users = json::array();
  for (const state::Record& r : *records) {
    if (r.kind != "user" || (!name.empty() && r.name != name)) continue;
    const state::Principal* principal =
        call.snapshot != nullptr ? call.snapshot->FindPrincipal(r.name) : nullptr;
    auto kind = kinds.find(r.name);
    users.push_back(
        {{"name", r.name},
         {"enabled", BoolField(r, "enabled", true)},
         {"groups", groups_of[r.name]},
         {"policies", ListField(r, "policies")},
         {"effectivePolicies", principal != nullptr ? json(principal->policies) : json::array()},
         {"secretKind", kind != kinds.end() ? kind->second : "unknown"},
         {"drifted", r.drifted}});
  }
  if (name.empty()) return Ok({{"users", std::move(users)}});
  if (users.empty()) return Fail(404, "NoSuchUser", "The specified user does not exist.");
  return Ok(users.front());
}

Reply AdminApi::Impl::Groups(const Call& call, std::string_view name) {
  if (!Allowed(call, name.empty() ? "admin:ListGroups" : "admin:GetGroup")) return Denied();
  base::Result<std::vector<state::Record>> records = StoredRecords();
  if (!records.has_value()) {
    if (records.error().code() == base::ErrorCode::kUnimplemented) return NotImplemented("groups");
    return FromError(call.http, records.error());
  }
  json groups = json::array();
  for (const state::Record& r : *records) {
    if (r.kind != "group" || (!name.empty() && r.name != name)) continue;
    groups.push_back({{"name", r.name},
                      {"enabled", BoolField(r, "enabled", true)},
                      {"members", ListField(r, "members")},
                      {"policies", ListField(r, "policies")},
                      {"drifted", r.drifted}});
  }
  if (name.empty()) return Ok({{"groups", std::move(groups)}});
  if (groups.empty()) return Fail(404, "NoSuchGroup", "The specified group does not exist.");
  return Ok(groups.front());
}

Reply AdminApi::Impl::Policies(const Call& call, std::string_view name) {
  if (!Allowed(call, name.empty() ? "admin:ListUserPolicies" : "admin:GetPolicy")) return Denied();
  base::Result<std::vector<state::Record>> records = StoredRecords();
  if (!records.has_value()) {
    if (records.error().code() == base::ErrorCode::kUnimplemented) {
      return NotImplemented("policies");
    }
    return FromError(call.http, records.error());
  }
  // Who uses each policy (directly), so the console can say "attached to".
  std::map<std::string, json> users_of, groups_of;
  for (const state::Record& r : *records) {
    if (r.kind != "user" && r.kind != "group") continue;
    for (const json& p : ListField(r, "policies")) {
      if (!p.is_string()) continue;
      json& list = (r.kind == "user" ? users_of : groups_of)[p.get<std::string>()];
      if (list.is_null()) list = json::array();
      list.push_back(r.name);
    }
  }
  auto entry = [&](const std::string& policy, std::string_view document, bool builtin,
                   bool drifted) {
    json users = users_of.count(policy) != 0 ? users_of[policy] : json::array();
    json groups = groups_of.count(policy) != 0 ? groups_of[policy] : json::array();
    return json{{"name", policy},
                {"builtin", builtin},
                {"document", PolicyDocument(document)},
                {"users", std::move(users)},
                {"groups", std::move(groups)},
                {"drifted", drifted}};
  };
  json policies = json::array();
  for (const state::BuiltinPolicy& b : state::BuiltinPolicies()) {
    if (name.empty() || b.name == name) {
      policies.push_back(entry(std::string(b.name), b.document, true, false));
    }
  }
  for (const state::Record& r : *records) {
    if (r.kind != "policy" || (!name.empty() && r.name != name)) continue;
    auto doc = r.fields.find("document");
    policies.push_back(
        entry(r.name, doc != r.fields.end() ? doc->second.value : "", false, r.drifted));
  }
  if (name.empty()) return Ok({{"policies", std::move(policies)}});
  if (policies.empty()) {
    return Fail(404, "NoSuchPolicy", "The specified canned policy does not exist.");
  }
  return Ok(policies.front());
}

Reply AdminApi::Impl::Reconcile(const Call& call) {
  if (!Allowed(call, "admin:ServerInfo")) return Denied();
  if (options.sources.live == nullptr) return NotImplemented("reconcile status");
  state::ReconcileStatus status;
  base::Status read = ReadStore([&](state::Store& store, const state::MasterKey&) -> base::Status {
    COFFER_ASSIGN_OR_RETURN(status, store.ReadStatus());
    return base::Ok();
  });
  if (!read.has_value()) return FromError(call.http, read.error());
  // SECURITY: an unresolved secret's message may name its reference.
  if (status.reason == "UnresolvedSecret") {
    std::string scrubbed;
    for (const std::string& line : ScrubSecretErrors(status.message)) scrubbed += line + "\n";
    status.message = scrubbed;
  }
  json out = {
      {"condition", state::ConditionName(status.condition)},
      {"reason", status.reason},
      {"message", status.message},
      {"generation", status.generation},
      {"applied", status.last_applied.id.empty()
                      ? json(nullptr)
                      : json{{"revision", RevisionJson(status.last_applied)},
                             {"at", TimeOrNull(status.last_applied_at)}}},
      {"lastAttempt",
       status.last_attempted_revision.empty()
           ? json(nullptr)
           : json{{"revision", status.last_attempted_revision},
                  {"at", TimeOrNull(status.last_attempted_at)},
                  {"ok", status.condition == state::Condition::kReady},
                  // The store keeps the first error of a failed attempt
                  // ("FILE:LINE:COL: message" after "first: ").
                  {"error", status.condition == state::Condition::kReady ? "" : status.message}}}};
  if (options.sources.repo == nullptr) {
    out["head"] = nullptr;
    out["drift"] = nullptr;
    return Ok(std::move(out));
  }
  RepoView view = ReadRepo(status);
  out["head"] = std::move(view.head);
  out["validationErrors"] = std::move(view.errors);
  out["drift"] = !view.drift_reasons.empty();
  out["driftReasons"] = std::move(view.drift_reasons);
  out["pending"] = std::move(view.pending);
  return Ok(std::move(out));
}

AdminApi::Impl::RepoView AdminApi::Impl::ReadRepo(const state::ReconcileStatus& status) {
  RepoView view;
  view.errors = json::array();
  view.drift_reasons = json::array();
  std::lock_guard lock(repo_mu);
  base::Result<state::ConfigTree> tree = options.sources.repo->Read();
  if (!tree.has_value()) {
    view.errors.push_back("config repo unreadable: " + tree.error().message());
    view.drift_reasons.push_back("the config repo cannot be read");
    return view;
  }
  const state::Revision head = options.sources.repo->Describe(*tree);
  view.head = RevisionJson(head);
  if (head.id != status.last_applied.id) {
    view.drift_reasons.push_back(
        "repo HEAD " + head.id + " is not the applied revision " +
        (status.last_applied.id.empty() ? "(none)" : status.last_applied.id));
  }
  if (head.dirty) view.drift_reasons.push_back("the work tree has uncommitted changes");
  const state::ConfigLoad load = state::LoadConfig(*tree);
  for (const state::ConfigError& e : load.errors) view.errors.push_back(e.ToString());
  if (!load.ok()) return view;
  // The plan HEAD would apply: the store against the repo, drift included.
  state::Plan plan;
  base::Status planned =
      ReadStore([&](state::Store& store, const state::MasterKey& key) -> base::Status {
        COFFER_ASSIGN_OR_RETURN(
            state::DesiredRecords desired,
            state::BuildDesiredRecords(load.state, options.sources.repo->Secrets(), key));
        COFFER_ASSIGN_OR_RETURN(plan, state::PlanChanges(store, desired));
        return base::Ok();
      });
  if (!planned.has_value()) {
    // Unresolvable secrets: say where, not the plan.
    for (const std::string& line : ScrubSecretErrors(planned.error().message())) {
      view.errors.push_back(line);
    }
    return view;
  }
  for (const state::Change& c : plan.changes) {
    if (c.drift) {
      view.drift_reasons.push_back("the store's " + c.kind + " " + c.name +
                                   " was changed outside the repo");
    }
  }
  if (!plan.empty()) {
    view.drift_reasons.push_back(std::to_string(plan.changes.size()) +
                                 " change(s) in the repo are not applied");
    view.pending = {{"revision", head.id},
                    {"plan", Lines(state::RenderPlanText(plan))},
                    {"summary",
                     {{"create", plan.Count(state::ChangeAction::kCreate)},
                      {"update", plan.Count(state::ChangeAction::kUpdate)},
                      {"delete", plan.Count(state::ChangeAction::kDelete)}}}};
  }
  return view;
}

}  // namespace coffer::core::admin
