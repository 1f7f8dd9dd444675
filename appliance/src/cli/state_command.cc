// `coffer validate|plan|apply|status|seal|unseal`: the GitOps verbs over coffer::state. This is
// the shell: it reads files, the environment and the real clock, then calls the library.
//
// Key files live in --key-dir (default: the store's directory):
//   master.key  the appliance master key (base64, 32 bytes) that encrypts secrets at rest;
//               created by the first apply.
//   seal.key    the X25519 private key that opens sealed: secrets (coffer seal --init).
//   seal.pub    its public key, safe to share with whoever writes the config repo.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "coffer/posix/posix_env.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/config_files.h"
#include "coffer/state/plan.h"
#include "coffer/state/seal.h"
#include "coffer/state/secrets.h"
#include "coffer/state/store.h"

#include "commands.h"
#include "options.h"
#include "repo_access.h"

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;

std::string KeyDir(const po::variables_map& vm) {
  if (vm.count("key-dir") != 0) return vm["key-dir"].as<std::string>();
  fs::path parent = fs::path(vm["store"].as<std::string>()).parent_path();
  return parent.empty() ? "." : parent.string();
}

base::WallTime Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

// Loads and validates DIR; prints every error to stderr. Returns nullopt on failure.
struct Loaded {
  state::ConfigTree tree;
  state::DesiredState state;
};
std::optional<Loaded> LoadDir(const std::string& dir) {
  base::Result<state::ConfigTree> tree = state::ReadConfigDir(dir);
  if (!tree.has_value()) {
    std::fprintf(stderr, "coffer: %s\n", tree.error().message().c_str());
    return std::nullopt;
  }
  state::ConfigLoad load = state::LoadConfig(*tree);
  if (!load.ok()) {
    // Positions are relative to DIR; prefix it so editors can jump to them.
    for (const state::ConfigError& e : load.errors) {
      std::string file = (fs::path(dir) / e.where.file).lexically_normal().string();
      std::fprintf(stderr, "%s:%d:%d: %s\n", file.c_str(), e.where.line, e.where.column,
                   e.message.c_str());
    }
    std::fprintf(stderr, "coffer: %zu error(s) in %s\n", load.errors.size(), dir.c_str());
    return std::nullopt;
  }
  return Loaded{*std::move(tree), std::move(load.state)};
}

int Fail(const base::Error& error) {
  std::fprintf(stderr, "coffer: %s\n", error.ToString().c_str());
  return 1;
}

// Shared by plan and apply: load, open, resolve. Returns an exit code on failure.
struct Session {
  Loaded loaded;
  std::unique_ptr<state::Store> store;
  std::optional<state::MasterKey> key;
  std::optional<state::DesiredRecords> desired;
};
std::optional<int> OpenSession(const po::variables_map& vm, base::Random& random, bool apply,
                               Session& s) {
  const std::string dir = vm["dir"].as<std::string>();
  std::optional<Loaded> loaded = LoadDir(dir);
  if (!loaded) return 1;
  s.loaded = *std::move(loaded);
  const std::string key_dir = KeyDir(vm);
  base::Result<state::MasterKey> key = MasterKeyFor(key_dir, random, apply);
  if (!key.has_value()) return Fail(key.error());
  s.key = *std::move(key);
  auto store = state::Store::Open(vm["store"].as<std::string>(), {});
  if (!store.has_value()) return Fail(store.error());
  s.store = *std::move(store);
  // Without the master key every stored secret digest would look changed; only an empty
  // store may be planned with a throwaway key.
  bool have_key = fs::exists(fs::path(key_dir) / "master.key");
  base::Result<state::StoreCounts> counts = s.store->Counts();
  if (!counts.has_value()) return Fail(counts.error());
  if (!apply && !have_key && counts->users + counts->settings > 0) {
    return Fail(base::FailedPrecondition("master key " + key_dir +
                                         "/master.key is missing; pass --key-dir"));
  }
  state::StandardSecretResolver resolver = ResolverFor(dir, key_dir, random);
  base::Result<state::DesiredRecords> desired =
      state::BuildDesiredRecords(s.loaded.state, resolver, *s.key);
  if (!desired.has_value()) {
    std::fprintf(stderr, "%s", desired.error().message().c_str());
    return 1;
  }
  s.desired = *std::move(desired);
  return std::nullopt;
}

void AddStoreOptions(po::options_description& desc) {
  desc.add_options()("dir", po::value<std::string>()->required(), "config repo directory")(
      "store", po::value<std::string>()->required(), "IAM store (SQLite file)")(
      "key-dir", po::value<std::string>(),
      "directory of master.key and seal.key "
      "(default: the store's directory)");
}

}  // namespace

int RunValidate(const Args& args) {
  po::options_description desc("coffer validate DIR");
  desc.add_options()("dir", po::value<std::string>()->required(), "config repo directory");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer validate", desc, args, vm, "dir")) return *exit;
  std::optional<Loaded> loaded = LoadDir(vm["dir"].as<std::string>());
  if (!loaded) return 1;
  const state::DesiredState& s = loaded->state;
  std::printf("OK: %zu users, %zu groups, %zu policies, %zu buckets, %zu settings\n",
              s.users.size(), s.groups.size(), s.policies.size(), s.buckets.size(),
              s.settings.size());
  if (!state::HasAdminPrincipal(s)) {
    std::fprintf(stderr, "warning: no principal has admin rights (apply needs --allow-lockout)\n");
  }
  return 0;
}

int RunPlan(const Args& args) {
  po::options_description desc("coffer plan DIR --store PATH");
  AddStoreOptions(desc);
  desc.add_options()("json", po::bool_switch(), "print the plan as JSON");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer plan", desc, args, vm, "dir")) return *exit;
  posix::OpenSslRandom random;
  Session s;
  if (auto exit = OpenSession(vm, random, /*apply=*/false, s)) return *exit;
  base::Result<state::Plan> plan = state::PlanChanges(*s.store, *s.desired);
  if (!plan.has_value()) return Fail(plan.error());
  std::string out =
      vm["json"].as<bool>() ? state::RenderPlanJson(*plan) + "\n" : state::RenderPlanText(*plan);
  std::fputs(out.c_str(), stdout);
  return plan->empty() ? 0 : 2;
}

int RunApply(const Args& args) {
  po::options_description desc("coffer apply DIR --store PATH");
  AddStoreOptions(desc);
  desc.add_options()("allow-lockout", po::bool_switch(),
                     "apply even if no principal keeps admin rights")(
      "allow-prune", po::bool_switch(), "apply even if it deletes over half the users/policies");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer apply", desc, args, vm, "dir")) return *exit;
  posix::OpenSslRandom random;
  Session s;
  if (auto exit = OpenSession(vm, random, /*apply=*/true, s)) return *exit;
  state::ApplyOptions options;
  options.revision =
      state::DescribeRevision(vm["dir"].as<std::string>(), s.loaded.tree, random.LibCtx());
  options.now = Now();
  options.allow_lockout = vm["allow-lockout"].as<bool>();
  options.allow_prune = vm["allow-prune"].as<bool>();
  base::Result<state::ApplyResult> result =
      state::Apply(*s.store, *s.desired, *s.key, random, options);
  if (!result.has_value()) return Fail(result.error());
  std::fputs(state::RenderPlanText(result->plan).c_str(), stdout);
  std::printf("Applied revision %s (generation %llu).\n", options.revision.ToString().c_str(),
              static_cast<unsigned long long>(result->generation));
  return 0;
}

namespace {

std::string FormatTime(base::WallTime t) {
  std::int64_t s = base::UnixSeconds(t);
  if (s == 0) return "never";
  std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int RunStatus(const Args& args) {
  po::options_description desc("coffer status --store PATH");
  desc.add_options()("store", po::value<std::string>()->required(), "IAM store (SQLite file)");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer status", desc, args, vm)) return *exit;
  state::StoreOptions options;
  options.create_if_missing = false;
  auto store = state::Store::Open(vm["store"].as<std::string>(), options);
  if (!store.has_value()) return Fail(store.error());
  base::Result<state::ReconcileStatus> st = (*store)->ReadStatus();
  base::Result<state::StoreCounts> counts = (*store)->Counts();
  base::Result<std::vector<state::Record>> records = state::ReadStoredRecords(**store);
  if (!st.has_value()) return Fail(st.error());
  if (!counts.has_value()) return Fail(counts.error());
  if (!records.has_value()) return Fail(records.error());
  std::printf("condition: %s (%s)\n", std::string(state::ConditionName(st->condition)).c_str(),
              st->reason.c_str());
  if (!st->message.empty()) std::printf("last error: %s\n", st->message.c_str());
  std::printf("applied revision: %s\napplied at: %s\n",
              st->last_applied.id.empty() ? "(none)" : st->last_applied.ToString().c_str(),
              FormatTime(st->last_applied_at).c_str());
  std::printf("last attempted: %s at %s\ngeneration: %llu\n",
              st->last_attempted_revision.empty() ? "(none)" : st->last_attempted_revision.c_str(),
              FormatTime(st->last_attempted_at).c_str(),
              static_cast<unsigned long long>(st->generation));
  std::printf(
      "users: %lld (+%lld runtime), groups: %lld, policies: %lld, buckets: %lld, "
      "settings: %lld\nservice accounts: %lld, sts sessions: %lld, audit outbox: %lld\n",
      static_cast<long long>(counts->users), static_cast<long long>(counts->runtime_users),
      static_cast<long long>(counts->groups), static_cast<long long>(counts->policies),
      static_cast<long long>(counts->buckets), static_cast<long long>(counts->settings),
      static_cast<long long>(counts->service_accounts),
      static_cast<long long>(counts->sts_sessions), static_cast<long long>(counts->outbox));
  std::size_t drifted = 0;
  for (const state::Record& r : *records) {
    if (!r.drifted) continue;
    ++drifted;
    std::printf("drift: %s %s changed outside the repo\n", r.kind.c_str(), r.name.c_str());
  }
  std::printf("drift: %zu object(s)\n", drifted);
  return 0;
}

int RunSeal(const Args& args) {
  po::options_description desc("coffer seal --key PUBKEY_FILE < secret");
  desc.add_options()("key", po::value<std::string>(), "the appliance's seal public key file")(
      "init", po::bool_switch(), "create seal.key and seal.pub in --key-dir if missing")(
      "key-dir", po::value<std::string>(), "where --init writes the key pair");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer seal", desc, args, vm)) return *exit;
  posix::OpenSslRandom random;
  if (vm["init"].as<bool>()) {
    if (vm.count("key-dir") == 0) {
      std::fprintf(stderr, "coffer seal: --init needs --key-dir\n");
      return 2;
    }
    std::string dir = vm["key-dir"].as<std::string>();
    std::string priv = (fs::path(dir) / "seal.key").string();
    std::string pub = (fs::path(dir) / "seal.pub").string();
    if (fs::exists(priv)) {
      std::printf("%s\n", pub.c_str());
      return 0;
    }
    base::Result<state::SealKeyPair> pair = state::GenerateSealKeyPair(random);
    if (!pair.has_value()) return Fail(pair.error());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!WritePrivateFile(priv, state::EncodeSealPrivateKey(pair->private_key) + "\n")) {
      return Fail(base::FailedPrecondition("cannot create " + priv));
    }
    std::ofstream(pub) << state::EncodeSealPublicKey(pair->public_key) << "\n";
    std::printf("%s\n", pub.c_str());
    return 0;
  }
  if (vm.count("key") == 0) {
    std::fprintf(stderr, "coffer seal: --key PUBKEY_FILE is required\n");
    return 2;
  }
  std::optional<std::string> key_text = ReadFile(vm["key"].as<std::string>());
  if (!key_text) return Fail(base::NotFound("cannot read " + vm["key"].as<std::string>()));
  base::Result<std::string> pub = state::DecodeSealPublicKey(*key_text);
  if (!pub.has_value()) return Fail(pub.error());
  std::ostringstream in;
  in << std::cin.rdbuf();
  std::string secret = in.str();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (secret.empty()) return Fail(base::InvalidArgument("no secret on stdin"));
  base::Result<std::string> sealed = state::Seal(secret, *pub, random);
  base::Secret wipe(std::move(secret));
  if (!sealed.has_value()) return Fail(sealed.error());
  std::printf("%s\n", sealed->c_str());
  return 0;
}

int RunUnseal(const Args& args) {
  po::options_description desc("coffer unseal --key PRIVKEY_FILE < sealed");
  desc.add_options()("key", po::value<std::string>()->required(),
                     "the appliance's seal private key file");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer unseal", desc, args, vm)) return *exit;
  posix::OpenSslRandom random;
  std::optional<std::string> key_text = ReadFile(vm["key"].as<std::string>());
  if (!key_text) return Fail(base::NotFound("cannot read " + vm["key"].as<std::string>()));
  base::Result<base::Secret> key = state::DecodeSealPrivateKey(*key_text);
  if (!key.has_value()) return Fail(key.error());
  std::ostringstream in;
  in << std::cin.rdbuf();
  std::string sealed = in.str();
  while (!sealed.empty() && (sealed.back() == '\n' || sealed.back() == '\r')) sealed.pop_back();
  base::Result<base::Secret> plain = state::Unseal(sealed, *key, random.LibCtx());
  if (!plain.has_value()) return Fail(plain.error());
  // SECURITY: the operator asked for the secret; it goes to stdout only, never to a log.
  std::fwrite(plain->Reveal().data(), 1, plain->size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace coffer::cli
