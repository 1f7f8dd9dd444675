// `coffer admin user|group|policy|encrypt|anonymous|config|idp`: see admin_command.h.
//
// One changing verb runs: read the repo, make the edit in memory, validate (errors as
// FILE:LINE:COL, nothing written), print the plan, refuse if the files it would write have
// uncommitted changes, write them and commit them. --dry-run stops after the plan.

#include "admin_command.h"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer/posix/posix_env.h"
#include "coffer/state/admin_edits.h"
#include "coffer/state/builtin_policies.h"
#include "coffer/state/config_files.h"
#include "coffer/state/seal.h"
#include "coffer/state/settings_schema.h"

#include "admin_repo.h"
#include "options.h"
#include "repo_access.h"

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kUsage = R"(usage: coffer admin <group> <verb> [args] [flags]

Users and groups:
  user add NAME [--secret-from env:X|file:P|sealed:...]   (no secret given: one is generated,
                                          sealed to --seal-key and printed once)
  user enable|disable|remove|info NAME    user list
  group add NAME [MEMBER...] [--members U,V]     group remove NAME [MEMBER...] [--members U,V]
  group enable|disable|info NAME          group list
Policies:
  policy create NAME FILE                 policy remove NAME [--force]
  policy attach|detach POLICY... (--user U | --group G)
  policy list                             policy info NAME
Buckets:
  encrypt set sse-s3 BUCKET | encrypt set sse-kms KEY BUCKET     encrypt clear BUCKET
  anonymous set none|download|upload|public BUCKET[/PREFIX]
Settings and identity providers:
  config set KIND[:NAME] KEY=VALUE...     (KIND: audit_webhook, audit_file, key_service;
                                           secret values are sealed unless env:/file:/sealed:)
  config remove KIND:NAME
  idp openid add|update NAME KEY=VALUE... idp openid remove|info NAME    idp openid list
  idp ldap set [--name N] KEY=VALUE...    idp ldap remove [--name N]     idp ldap list
  idp ldap policy attach|detach POLICY... (--user DN | --group DN) [--name N]
STS sessions:
  sts list|revoke --store PATH            (see `coffer admin sts --help`)

Flags of every changing verb:
  --repo DIR        the config repo (default $COFFER_CONFIG_REPO, else .)
  --dry-run         validate and print the plan; write and commit nothing
  --push            git push the commit (error when no remote is configured)
  --author "N <m>"  commit author (default git config user.name/email, else $USER)
  --message TEXT    commit message instead of the generated one
  --seal-key PATH   the appliance's seal.pub (default $COFFER_SEAL_KEY, else REPO/seal.pub)
List and info verbs take --json. Every verb answers --help.
Exit codes: 0 done, 1 error (nothing written), 2 usage.
)";

struct Ctx {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  std::string command;  // "coffer admin user add", for messages.
  po::variables_map vm;
  std::vector<std::string> pos;  // Positional arguments after the verb.
  posix::OpenSslRandom random;

  std::string Str(const char* name) const {
    return vm.count(name) != 0 ? vm[name].as<std::string>() : std::string();
  }
  bool Flag(const char* name) const { return vm.count(name) != 0 && vm[name].as<bool>(); }
  std::string Repo() const {
    std::string repo = Str("repo");
    if (!repo.empty()) return repo;
    const char* env = std::getenv("COFFER_CONFIG_REPO");
    return env != nullptr && *env != '\0' ? env : ".";
  }
};

int Fail(Ctx& ctx, const base::Error& error) {
  std::fprintf(ctx.err, "%s: %s\n", ctx.command.c_str(), error.message().c_str());
  return 1;
}

int Usage(Ctx& ctx, const std::string& what) {
  std::fprintf(ctx.err, "%s: %s\nRun '%s --help' for the usage.\n", ctx.command.c_str(),
               what.c_str(), ctx.command.c_str());
  return 2;
}

std::vector<std::string> SplitCommas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::stringstream s(item);
    for (std::string part; std::getline(s, part, ',');) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep = ",") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? sep : "") + items[i];
  return out;
}

// ---- The seal key and secrets.

base::Result<std::string> SealPublicKey(const Ctx& ctx) {
  std::string path = ctx.Str("seal-key");
  if (path.empty()) {
    const char* env = std::getenv("COFFER_SEAL_KEY");
    if (env != nullptr && *env != '\0') path = env;
  }
  if (path.empty() && fs::exists(fs::path(ctx.Repo()) / "seal.pub")) {
    path = (fs::path(ctx.Repo()) / "seal.pub").string();
  }
  if (path.empty()) {
    return base::FailedPrecondition(
        "no seal public key to seal the secret with: pass --seal-key PATH (the appliance's "
        "seal.pub), set COFFER_SEAL_KEY, or keep seal.pub in the repo");
  }
  std::optional<std::string> text = ReadFile(path);
  if (!text) return base::NotFound("cannot read the seal public key " + path);
  return state::DecodeSealPublicKey(*text);
}

// A 40-character secret of letters and digits (~238 bits), as mc admin user add would take.
base::Secret GenerateSecret(base::Random& random) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 40; ++i) s += kAlphabet[random.Uniform(0, sizeof(kAlphabet) - 2)];
  return base::Secret(std::move(s));
}

bool IsReference(const std::string& value) { return state::ParseSecretRef(value).has_value(); }

// ---- The changing verbs' common path.

using Edit = std::function<base::Result<std::string>(state::ConfigEditor&)>;

void PrintErrors(Ctx& ctx, const std::string& repo, const std::vector<state::ConfigError>& errors) {
  for (const state::ConfigError& e : errors) {
    std::string file = (fs::path(repo) / e.where.file).lexically_normal().string();
    std::fprintf(ctx.err, "%s:%d:%d: %s\n", file.c_str(), e.where.line, e.where.column,
                 e.message.c_str());
  }
  std::fprintf(ctx.err, "%s: the change would leave %zu error(s); nothing was written\n",
               ctx.command.c_str(), errors.size());
}

// Runs `edit` on the repo and, unless --dry-run, commits it. `after_commit` runs only once
// the commit is made (a generated secret is printed then, never for a change not kept).
int Mutate(Ctx& ctx, const Edit& edit, const std::function<void()>& after_commit = {}) {
  const std::string repo = ctx.Repo();
  const bool dry_run = ctx.Flag("dry-run");
  if (!dry_run) {
    if (base::Status s = RequireWorkTree(repo); !s.has_value()) return Fail(ctx, s.error());
  }
  std::optional<std::string> remote;
  if (ctx.Flag("push") && !dry_run) {
    remote = FirstRemote(repo);
    if (!remote) return Fail(ctx, base::FailedPrecondition("--push: the repo has no remote"));
  }
  base::Result<state::ConfigTree> before = state::ReadConfigDir(repo);
  if (!before.has_value()) return Fail(ctx, before.error());
  state::ConfigEditor ed(*before);
  base::Result<std::string> message = edit(ed);
  if (!message.has_value()) return Fail(ctx, message.error());
  if (ed.tree().files == before->files) {
    std::fprintf(ctx.out, "Nothing to change (%s).\n", message->c_str());
    return 0;
  }
  state::ConfigLoad load = state::LoadConfig(ed.tree());
  if (!load.ok()) {
    PrintErrors(ctx, repo, load.errors);
    return 1;
  }
  state::MasterKey key = state::MasterKey::Generate(ctx.random);
  base::Result<state::Plan> plan = state::PlanBetween(*before, ed.tree(), key);
  if (!plan.has_value()) return Fail(ctx, plan.error());
  std::fputs(state::RenderPlanText(*plan).c_str(), ctx.out);
  if (!state::HasAdminPrincipal(load.state)) {
    std::fprintf(ctx.err, "warning: no principal keeps admin rights after this change\n");
  }
  if (dry_run) {
    std::fprintf(ctx.out, "Dry run: would commit \"%s\" touching %s; nothing written.\n",
                 message->c_str(), Join({ed.touched().begin(), ed.touched().end()}, ", ").c_str());
    return 0;
  }
  if (base::Status s = RequireClean(repo, ed.touched()); !s.has_value())
    return Fail(ctx, s.error());
  base::Result<std::string> author = ResolveAuthor(repo, ctx.Str("author"));
  if (!author.has_value()) return Fail(ctx, author.error());
  std::string subject = ctx.Str("message").empty() ? *message : ctx.Str("message");
  std::string body = subject + "\n\n" + state::RenderPlanText(*plan) + "\nMade by coffer admin.\n";
  base::Result<std::string> commit =
      WriteAndCommit(repo, *before, ed.tree(), ed.touched(), body, *author);
  if (!commit.has_value()) return Fail(ctx, commit.error());
  std::fprintf(ctx.out, "Committed %s: %s (author %s)\n", commit->c_str(), subject.c_str(),
               author->c_str());
  if (after_commit) after_commit();
  if (remote) {
    GitOutput pushed = RunGit(repo, {"push", "-q", *remote, "HEAD"});
    if (pushed.exit_code != 0) {
      return Fail(ctx, base::Unavailable("committed, but git push to " + *remote +
                                         " failed: " + pushed.output));
    }
    std::fprintf(ctx.out, "Pushed to %s.\n", remote->c_str());
  }
  return 0;
}

// The validated state of the repo, for list and info. Prints errors and returns nullopt.
std::optional<state::DesiredState> LoadState(Ctx& ctx) {
  base::Result<state::ConfigTree> tree = state::ReadConfigDir(ctx.Repo());
  if (!tree.has_value()) {
    Fail(ctx, tree.error());
    return std::nullopt;
  }
  state::ConfigLoad load = state::LoadConfig(*tree);
  if (!load.ok()) {
    for (const state::ConfigError& e : load.errors) {
      std::fprintf(ctx.err, "%s\n", e.ToString().c_str());
    }
    return std::nullopt;
  }
  return std::move(load.state);
}

std::string SecretKind(const state::SecretRef& ref) {
  return ref.kind == state::SecretRef::Kind::kSealed ? "sealed" : ref.Text();
}

void PrintJson(Ctx& ctx, const json& j) { std::fprintf(ctx.out, "%s\n", j.dump(2).c_str()); }

// ---- user

int UserAdd(Ctx& ctx) {
  if (ctx.pos.size() != 1) return Usage(ctx, "expected NAME");
  const std::string name = ctx.pos[0];
  std::string ref = ctx.Str("secret-from");
  std::optional<base::Secret> generated;
  if (!ref.empty() && !IsReference(ref)) {
    return Usage(ctx, "--secret-from takes env:NAME, file:PATH or sealed:... (never a secret)");
  }
  if (ref.empty()) {
    base::Result<std::string> pub = SealPublicKey(ctx);
    if (!pub.has_value()) return Fail(ctx, pub.error());
    generated = GenerateSecret(ctx.random);
    base::Result<std::string> sealed = state::Seal(generated->Reveal(), *pub, ctx.random);
    if (!sealed.has_value()) return Fail(ctx, sealed.error());
    ref = *sealed;
  }
  return Mutate(
      ctx, [&](state::ConfigEditor& ed) { return state::AddUser(ed, name, ref); },
      [&] {
        if (!generated) return;
        // SECURITY: the only place the secret appears: the operator's terminal, once.
        std::fprintf(ctx.out, "Access key: %s\nSecret key: %.*s\n", name.c_str(),
                     static_cast<int>(generated->size()), generated->Reveal().data());
        std::fprintf(ctx.out, "Keep the secret key now: the repo holds it sealed only.\n");
      });
}

json UserJson(const state::UserConfig& u) {
  return {{"accessKey", u.name},
          {"status", u.enabled ? "enabled" : "disabled"},
          {"policies", u.policies},
          {"memberOf", u.groups},
          {"secret", SecretKind(u.secret)},
          {"definedIn", u.where.file + ":" + std::to_string(u.where.line)}};
}

int UserList(Ctx& ctx) {
  std::optional<state::DesiredState> s = LoadState(ctx);
  if (!s) return 1;
  if (ctx.Flag("json")) {
    json users = json::array();
    for (const auto& [name, u] : s->users) users.push_back(UserJson(u));
    PrintJson(ctx, {{"users", users}});
    return 0;
  }
  for (const auto& [name, u] : s->users) {
    std::fprintf(ctx.out, "%-9s %-24s %s\n", u.enabled ? "enabled" : "disabled", name.c_str(),
                 Join(u.policies).c_str());
  }
  return 0;
}

int UserInfo(Ctx& ctx) {
  if (ctx.pos.size() != 1) return Usage(ctx, "expected NAME");
  std::optional<state::DesiredState> s = LoadState(ctx);
  if (!s) return 1;
  auto it = s->users.find(ctx.pos[0]);
  if (it == s->users.end()) return Fail(ctx, base::NotFound("no user " + ctx.pos[0]));
  const state::UserConfig& u = it->second;
  if (ctx.Flag("json")) {
    PrintJson(ctx, UserJson(u));
    return 0;
  }
  std::fprintf(ctx.out,
               "AccessKey: %s\nStatus: %s\nPolicyName: %s\nMemberOf: %s\nSecret: %s\n"
               "Defined in: %s:%d\n",
               u.name.c_str(), u.enabled ? "enabled" : "disabled", Join(u.policies).c_str(),
               Join(u.groups).c_str(), SecretKind(u.secret).c_str(), u.where.file.c_str(),
               u.where.line);
  return 0;
}

int RunUser(Ctx& ctx, const std::string& verb) {
  if (verb == "add") return UserAdd(ctx);
  if (verb == "list") return UserList(ctx);
  if (verb == "info") return UserInfo(ctx);
  if (ctx.pos.size() != 1) return Usage(ctx, "expected NAME");
  const std::string name = ctx.pos[0];
  if (verb == "enable" || verb == "disable") {
    return Mutate(ctx, [&](state::ConfigEditor& ed) {
      return state::SetUserEnabled(ed, name, verb == "enable");
    });
  }
  if (verb == "remove") {
    return Mutate(ctx, [&](state::ConfigEditor& ed) { return state::RemoveUser(ed, name); });
  }
  return Usage(ctx, "unknown verb user " + verb);
}

// ---- group

json GroupJson(const state::GroupConfig& g) {
  return {{"group", g.name},
          {"status", g.enabled ? "enabled" : "disabled"},
          {"members", g.members},
          {"policies", g.policies}};
}

int RunGroup(Ctx& ctx, const std::string& verb) {
  if (verb == "list" || verb == "info") {
    std::optional<state::DesiredState> s = LoadState(ctx);
    if (!s) return 1;
    if (verb == "list") {
      json groups = json::array();
      for (const auto& [name, g] : s->groups) {
        if (ctx.Flag("json")) {
          groups.push_back(GroupJson(g));
        } else {
          std::fprintf(ctx.out, "%s\n", name.c_str());
        }
      }
      if (ctx.Flag("json")) PrintJson(ctx, {{"groups", groups}});
      return 0;
    }
    if (ctx.pos.size() != 1) return Usage(ctx, "expected NAME");
    auto it = s->groups.find(ctx.pos[0]);
    if (it == s->groups.end()) return Fail(ctx, base::NotFound("no group " + ctx.pos[0]));
    if (ctx.Flag("json")) {
      PrintJson(ctx, GroupJson(it->second));
    } else {
      std::fprintf(ctx.out, "Group: %s\nStatus: %s\nPolicy: %s\nMembers: %s\n", it->first.c_str(),
                   it->second.enabled ? "enabled" : "disabled", Join(it->second.policies).c_str(),
                   Join(it->second.members).c_str());
    }
    return 0;
  }
  if (ctx.pos.empty()) return Usage(ctx, "expected NAME");
  const std::string name = ctx.pos[0];
  std::vector<std::string> members(ctx.pos.begin() + 1, ctx.pos.end());
  if (ctx.vm.count("members") != 0) {
    for (const std::string& m : SplitCommas(ctx.vm["members"].as<std::vector<std::string>>())) {
      members.push_back(m);
    }
  }
  if (verb == "add") {
    return Mutate(ctx, [&](state::ConfigEditor& ed) { return state::AddGroup(ed, name, members); });
  }
  if (verb == "remove") {
    return Mutate(ctx,
                  [&](state::ConfigEditor& ed) { return state::RemoveGroup(ed, name, members); });
  }
  if ((verb == "enable" || verb == "disable") && members.empty()) {
    return Mutate(ctx, [&](state::ConfigEditor& ed) {
      return state::SetGroupEnabled(ed, name, verb == "enable");
    });
  }
  return Usage(ctx, "unknown verb group " + verb);
}

// ---- policy

int PolicyListInfo(Ctx& ctx, const std::string& verb) {
  std::optional<state::DesiredState> s = LoadState(ctx);
  if (!s) return 1;
  std::map<std::string, std::pair<std::string, bool>> all;  // name -> (document, builtin)
  for (const state::BuiltinPolicy& b : state::BuiltinPolicies()) {
    all[std::string(b.name)] = {std::string(b.document), true};
  }
  for (const auto& [name, p] : s->policies) all[name] = {p.document, false};
  if (verb == "list") {
    json list = json::array();
    for (const auto& [name, p] : all) {
      if (ctx.Flag("json")) {
        list.push_back({{"policy", name}, {"builtin", p.second}});
      } else {
        std::fprintf(ctx.out, "%s%s\n", name.c_str(), p.second ? " (built-in)" : "");
      }
    }
    if (ctx.Flag("json")) PrintJson(ctx, {{"policies", list}});
    return 0;
  }
  if (ctx.pos.size() != 1) return Usage(ctx, "expected NAME");
  auto it = all.find(ctx.pos[0]);
  if (it == all.end()) return Fail(ctx, base::NotFound("no policy " + ctx.pos[0]));
  base::Result<state::ConfigTree> tree = state::ReadConfigDir(ctx.Repo());
  std::vector<std::string> attached;
  if (tree.has_value()) attached = state::PolicyAttachments(state::ConfigEditor(*tree), it->first);
  json doc = json::parse(it->second.first, nullptr, false);
  if (ctx.Flag("json")) {
    PrintJson(ctx, {{"policy", it->first},
                    {"builtin", it->second.second},
                    {"document", doc},
                    {"attachedTo", attached}});
  } else {
    std::fprintf(ctx.out, "Policy: %s%s\nAttached to: %s\n%s\n", it->first.c_str(),
                 it->second.second ? " (built-in)" : "", Join(attached, ", ").c_str(),
                 doc.dump(2).c_str());
  }
  return 0;
}

base::Result<state::PolicyTarget> TargetFlags(Ctx& ctx, bool ldap) {
  const std::string user = ctx.Str("user");
  const std::string group = ctx.Str("group");
  if (user.empty() == group.empty()) {
    return base::InvalidArgument("give exactly one of --user or --group");
  }
  state::PolicyTarget t;
  t.name = user.empty() ? group : user;
  if (ldap) {
    t.kind =
        user.empty() ? state::PolicyTarget::Kind::kLdapGroup : state::PolicyTarget::Kind::kLdapUser;
  } else {
    t.kind = user.empty() ? state::PolicyTarget::Kind::kGroup : state::PolicyTarget::Kind::kUser;
  }
  return t;
}

int AttachDetach(Ctx& ctx, const std::string& verb, state::PolicyTarget target) {
  if (ctx.pos.empty()) return Usage(ctx, "expected POLICY...");
  std::vector<std::string> policies = SplitCommas(ctx.pos);
  if (verb == "attach") {
    return Mutate(
        ctx, [&](state::ConfigEditor& ed) { return state::AttachPolicies(ed, policies, target); });
  }
  return Mutate(
      ctx, [&](state::ConfigEditor& ed) { return state::DetachPolicies(ed, policies, target); });
}

int PolicyCreate(Ctx& ctx) {
  if (ctx.pos.size() != 2) return Usage(ctx, "expected NAME FILE");
  const std::string name = ctx.pos[0];
  std::optional<std::string> doc = ReadFile(ctx.pos[1]);
  if (!doc) return Fail(ctx, base::NotFound("cannot read " + ctx.pos[1]));
  // The loader compiles the document with the policy compiler; errors point into the copy.
  return Mutate(ctx, [&](state::ConfigEditor& ed) {
    return state::CreatePolicy(ed, name, *doc, "policies/" + name + ".json");
  });
}

int RunPolicyVerb(Ctx& ctx, const std::string& verb) {
  if (verb == "list" || verb == "info") return PolicyListInfo(ctx, verb);
  if (verb == "create") return PolicyCreate(ctx);
  if (verb == "attach" || verb == "detach") {
    base::Result<state::PolicyTarget> t = TargetFlags(ctx, false);
    if (!t.has_value()) return Usage(ctx, t.error().message());
    return AttachDetach(ctx, verb, *t);
  }
  if (verb == "remove") {
    if (ctx.pos.size() != 1) return Usage(ctx, "expected NAME");
    const std::string name = ctx.pos[0];
    const bool force = ctx.Flag("force");
    return Mutate(ctx,
                  [&](state::ConfigEditor& ed) { return state::RemovePolicy(ed, name, force); });
  }
  return Usage(ctx, "unknown verb policy " + verb);
}

// ---- encrypt, anonymous

int RunEncrypt(Ctx& ctx, const std::string& verb) {
  if (verb == "clear") {
    if (ctx.pos.size() != 1) return Usage(ctx, "expected BUCKET");
    const std::string bucket = ctx.pos[0];
    return Mutate(ctx, [&](state::ConfigEditor& ed) {
      return state::SetBucketEncryption(ed, bucket, state::Encryption::kNone, "");
    });
  }
  if (verb != "set") return Usage(ctx, "unknown verb encrypt " + verb);
  if (ctx.pos.size() == 2 && ctx.pos[0] == "sse-s3") {
    const std::string bucket = ctx.pos[1];
    return Mutate(ctx, [&](state::ConfigEditor& ed) {
      return state::SetBucketEncryption(ed, bucket, state::Encryption::kSseS3, "");
    });
  }
  if (ctx.pos.size() == 3 && ctx.pos[0] == "sse-kms") {
    const std::string key = ctx.pos[1];
    const std::string bucket = ctx.pos[2];
    return Mutate(ctx, [&](state::ConfigEditor& ed) {
      return state::SetBucketEncryption(ed, bucket, state::Encryption::kSseKms, key);
    });
  }
  return Usage(ctx, "expected sse-s3 BUCKET or sse-kms KEY BUCKET");
}

int RunAnonymous(Ctx& ctx, const std::string& verb) {
  if (verb != "set" || ctx.pos.size() != 2) {
    return Usage(ctx, "expected set none|download|upload|public BUCKET[/PREFIX]");
  }
  static const std::map<std::string, state::AnonymousAccess> kModes = {
      {"none", state::AnonymousAccess::kNone},
      {"private", state::AnonymousAccess::kNone},
      {"download", state::AnonymousAccess::kDownload},
      {"upload", state::AnonymousAccess::kUpload},
      {"public", state::AnonymousAccess::kPublic}};
  auto mode = kModes.find(ctx.pos[0]);
  if (mode == kModes.end()) return Usage(ctx, "unknown access " + ctx.pos[0]);
  std::string target = ctx.pos[1];
  std::size_t slash = target.find('/');
  const std::string bucket = target.substr(0, slash);
  const std::string prefix = slash == std::string::npos ? "" : target.substr(slash + 1);
  return Mutate(ctx, [&](state::ConfigEditor& ed) {
    return state::SetBucketAnonymous(ed, bucket, prefix, mode->second);
  });
}

// ---- settings: config set, idp

// KEY=VALUE arguments; secret fields of `kind` that are not references are sealed here.
base::Result<std::map<std::string, std::string>> KeyValues(Ctx& ctx, const std::string& kind,
                                                           const std::vector<std::string>& args) {
  const state::SettingsSpec* spec = state::FindSettingsSpec(kind);
  if (spec == nullptr) return base::InvalidArgument("unknown kind " + kind);
  std::map<std::string, std::string> values;
  std::optional<std::string> pub;
  for (const std::string& arg : args) {
    std::size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return base::InvalidArgument("expected KEY=VALUE, got an argument without '='");
    }
    std::string key = arg.substr(0, eq);
    std::string value = arg.substr(eq + 1);
    auto field = std::find_if(spec->fields.begin(), spec->fields.end(),
                              [&](const state::FieldSpec& f) { return f.name == key; });
    if (field != spec->fields.end() && field->type == state::FieldType::kSecret &&
        !IsReference(value)) {
      if (!pub) {
        COFFER_ASSIGN_OR_RETURN(std::string k, SealPublicKey(ctx));
        pub = std::move(k);
      }
      base::Secret plain(std::move(value));
      COFFER_ASSIGN_OR_RETURN(value, state::Seal(plain.Reveal(), *pub, ctx.random));
    }
    values[key] = std::move(value);
  }
  return values;
}

int SetKind(Ctx& ctx, const std::string& kind, const std::string& name,
            const std::vector<std::string>& args, const std::string& fallback,
            std::optional<bool> must_exist) {
  base::Result<std::map<std::string, std::string>> values = KeyValues(ctx, kind, args);
  if (!values.has_value()) return Fail(ctx, values.error());
  if (values->empty()) return Usage(ctx, "expected KEY=VALUE...");
  return Mutate(ctx, [&](state::ConfigEditor& ed) -> base::Result<std::string> {
    if (must_exist) {
      const state::SettingsSpec* spec = state::FindSettingsSpec(kind);
      std::string path = std::string(spec->toml_path) + "." + name;
      bool exists = false;
      if (kind == "oidc") exists = ed.FileOf({"identity", "oidc", name}).has_value();
      if (*must_exist && !exists) return base::NotFound("no " + path + " in the repo");
      if (!*must_exist && exists) return base::AlreadyExists(path + " already exists");
    }
    return state::SetSettings(ed, kind, name, *values, fallback);
  });
}

int RunConfig(Ctx& ctx, const std::string& verb) {
  if (ctx.pos.empty()) return Usage(ctx, "expected KIND[:NAME]");
  std::string kind = ctx.pos[0];
  std::string name;
  if (std::size_t colon = kind.find(':'); colon != std::string::npos) {
    name = kind.substr(colon + 1);
    kind = kind.substr(0, colon);
  }
  const state::SettingsSpec* spec = state::FindSettingsSpec(kind);
  if (spec == nullptr || kind == "appliance") return Usage(ctx, "unknown kind " + kind);
  if (spec->named && name.empty()) return Usage(ctx, kind + " needs a name: " + kind + ":NAME");
  if (!spec->named) name = kind;
  if (verb == "set") {
    std::vector<std::string> args(ctx.pos.begin() + 1, ctx.pos.end());
    std::string fallback = kind.starts_with("audit") ? "audit.toml" : "appliance.toml";
    return SetKind(ctx, kind, name, args, fallback, std::nullopt);
  }
  if (verb == "remove") {
    return Mutate(ctx,
                  [&](state::ConfigEditor& ed) { return state::RemoveSettings(ed, kind, name); });
  }
  return Usage(ctx, "unknown verb config " + verb);
}

int ListSettings(Ctx& ctx, const std::string& kind, const std::string& only) {
  std::optional<state::DesiredState> s = LoadState(ctx);
  if (!s) return 1;
  json list = json::array();
  bool found = false;
  for (const auto& [key, obj] : s->settings) {
    if (key.first != kind || (!only.empty() && key.second != only)) continue;
    found = true;
    json fields(obj.fields);
    for (const auto& [field, ref] : obj.secrets) fields[field] = SecretKind(ref);
    if (ctx.Flag("json")) {
      list.push_back({{"name", obj.name}, {"config", fields}});
    } else if (only.empty()) {
      std::fprintf(ctx.out, "%s\n", obj.name.c_str());
    } else {
      for (const auto& [field, value] : fields.items()) {
        std::fprintf(ctx.out, "%s = %s\n", field.c_str(),
                     value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
      }
    }
  }
  if (!only.empty() && !found) return Fail(ctx, base::NotFound("no " + kind + " " + only));
  if (ctx.Flag("json")) PrintJson(ctx, {{kind, list}});
  return 0;
}

// The [identity.ldap.NAME] an LDAP verb means: --name, else the only one, else "main".
std::string LdapName(Ctx& ctx) {
  if (!ctx.Str("name").empty()) return ctx.Str("name");
  base::Result<state::ConfigTree> tree = state::ReadConfigDir(ctx.Repo());
  if (!tree.has_value()) return "main";
  std::vector<std::string> names = state::ConfigEditor(*tree).ChildTables({"identity", "ldap"});
  return names.size() == 1 ? names[0] : "main";
}

int RunIdp(Ctx& ctx, const std::string& provider) {
  if (ctx.pos.empty()) return Usage(ctx, "expected a verb");
  const std::string verb = ctx.pos[0];
  std::vector<std::string> rest(ctx.pos.begin() + 1, ctx.pos.end());
  if (provider == "openid") {
    if (verb == "list") return ListSettings(ctx, "oidc", "");
    if (rest.empty()) return Usage(ctx, "expected NAME");
    const std::string name = rest[0];
    std::vector<std::string> args(rest.begin() + 1, rest.end());
    if (verb == "info") return ListSettings(ctx, "oidc", name);
    if (verb == "add") return SetKind(ctx, "oidc", name, args, "identity.toml", false);
    if (verb == "update") return SetKind(ctx, "oidc", name, args, "identity.toml", true);
    if (verb == "remove") {
      return Mutate(
          ctx, [&](state::ConfigEditor& ed) { return state::RemoveSettings(ed, "oidc", name); });
    }
    return Usage(ctx, "unknown verb idp openid " + verb);
  }
  if (provider != "ldap") return Usage(ctx, "expected idp openid|ldap");
  const std::string name = LdapName(ctx);
  if (verb == "list") return ListSettings(ctx, "ldap", "");
  if (verb == "info") return ListSettings(ctx, "ldap", name);
  if (verb == "set") return SetKind(ctx, "ldap", name, rest, "identity.toml", std::nullopt);
  if (verb == "remove") {
    return Mutate(ctx,
                  [&](state::ConfigEditor& ed) { return state::RemoveSettings(ed, "ldap", name); });
  }
  if (verb == "policy" && !rest.empty() && (rest[0] == "attach" || rest[0] == "detach")) {
    base::Result<state::PolicyTarget> t = TargetFlags(ctx, true);
    if (!t.has_value()) return Usage(ctx, t.error().message());
    t->ldap_config = name;
    const std::string action = rest[0];
    ctx.pos.assign(rest.begin() + 1, rest.end());
    return AttachDetach(ctx, action, *t);
  }
  return Usage(ctx, "unknown verb idp ldap " + verb);
}

// ---- flags and dispatch

void AddFlags(po::options_description& desc, const std::string& group, const std::string& verb) {
  desc.add_options()("repo", po::value<std::string>(),
                     "config repo (default $COFFER_CONFIG_REPO, else .)")("json", po::bool_switch(),
                                                                          "list/info: print JSON")(
      "dry-run", po::bool_switch(), "validate and print the plan; change nothing")(
      "push", po::bool_switch(), "git push the commit (error when no remote)")(
      "author", po::value<std::string>(), "commit author \"Name <mail>\"")(
      "message,m", po::value<std::string>(), "commit message instead of the generated one")(
      "seal-key", po::value<std::string>(),
      "the appliance's seal.pub (default $COFFER_SEAL_KEY, else REPO/seal.pub)")(
      "args", po::value<std::vector<std::string>>(), "positional arguments");
  if (group == "user") {
    desc.add_options()("secret-from", po::value<std::string>(),
                       "user add: the secret as a reference (env:NAME, file:PATH, sealed:...)");
  }
  if (group == "group") {
    desc.add_options()("members", po::value<std::vector<std::string>>(),
                       "members, comma separated or repeated");
  }
  if (group == "policy" || (group == "idp" && verb == "ldap")) {
    desc.add_options()("user", po::value<std::string>(), "attach/detach: the user (LDAP: its DN)")(
        "group", po::value<std::string>(), "attach/detach: the group (LDAP: its DN)")(
        "force", po::bool_switch(), "policy remove: detach it everywhere first");
  }
  if (group == "idp") {
    desc.add_options()("name", po::value<std::string>(),
                       "ldap: the [identity.ldap.NAME] (default: the only one, else main)");
  }
}

}  // namespace

int RunAdminVerbs(const Args& args, std::FILE* out, std::FILE* err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? err : out);
    return args.empty() ? 2 : 0;
  }
  Ctx ctx;
  ctx.out = out;
  ctx.err = err;
  const std::string group = args[0];
  static const std::vector<std::string> kGroups = {"user",      "group",  "policy", "encrypt",
                                                   "anonymous", "config", "idp"};
  if (std::find(kGroups.begin(), kGroups.end(), group) == kGroups.end()) {
    std::fprintf(err, "coffer admin: unknown command '%s'\n\n%s", group.c_str(), kUsage);
    return 2;
  }
  std::string verb = args.size() > 1 ? args[1] : "";
  ctx.command = "coffer admin " + group + (verb.empty() || verb[0] == '-' ? "" : " " + verb);
  Args rest(
      args.begin() + std::min<std::size_t>(args.size(), verb.empty() || verb[0] == '-' ? 1 : 2),
      args.end());
  po::options_description desc(ctx.command);
  AddFlags(desc, group, verb);
  if (auto exit = ParseFlags(ctx.command, desc, rest, ctx.vm, "args")) {
    if (*exit == 0) std::fputs(kUsage, stdout);
    return *exit;
  }
  if (verb.empty() || verb[0] == '-') return Usage(ctx, "expected a verb");
  if (ctx.vm.count("args") != 0) ctx.pos = ctx.vm["args"].as<std::vector<std::string>>();
  if (group == "user") return RunUser(ctx, verb);
  if (group == "group") return RunGroup(ctx, verb);
  if (group == "policy") return RunPolicyVerb(ctx, verb);
  if (group == "encrypt") return RunEncrypt(ctx, verb);
  if (group == "anonymous") return RunAnonymous(ctx, verb);
  if (group == "config") return RunConfig(ctx, verb);
  return RunIdp(ctx, verb);
}

int RunAdmin(const Args& args) {
  if (!args.empty() && args[0] == "sts") return RunAdminSts(args);
  return RunAdminVerbs(args, stdout, stderr);
}

}  // namespace coffer::cli
