// `coffer admin sts list|revoke`: the STS sessions recorded in the IAM store.
// Listing shows access key, parent, expiry and whether a session policy
// narrows it, never a secret or a token. Revoking marks the session (or every
// session of a parent) revoked; a `coffer serve` running on the store notices
// the write through SQLite's data_version (polled every 250 ms), rebuilds its
// snapshot and refuses the token from the next request. The admin API
// (DELETE /coffer/admin/v1/sts-sessions/KEY) revokes without store access.

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "coffer/env/log.h"
#include "coffer/state/store.h"

#include "commands.h"
#include "options.h"

namespace coffer::cli {
namespace {

constexpr const char* kUsage =
    "usage: coffer admin sts list --store PATH [--parent USER] [--json]\n"
    "       coffer admin sts revoke --store PATH (ACCESS_KEY | --parent USER)\n";

base::Result<std::unique_ptr<state::Store>> OpenStore(const std::string& path) {
  state::StoreOptions options;
  options.create_if_missing = false;
  return state::Store::Open(path, options);
}

int Fail(const base::Error& error) {
  std::fprintf(stderr, "coffer admin sts: %s\n", error.message().c_str());
  return 1;
}

int List(const Args& args) {
  po::options_description desc("coffer admin sts list");
  desc.add_options()("store", po::value<std::string>()->required(), "IAM store (SQLite file)")(
      "parent", po::value<std::string>()->default_value(""), "only this parent's sessions")(
      "json", po::bool_switch(), "print JSON");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer admin sts list", desc, args, vm)) return *exit;
  auto store = OpenStore(vm["store"].as<std::string>());
  if (!store.has_value()) return Fail(store.error());
  auto sessions = (*store)->ListStsSessions(vm["parent"].as<std::string>());
  if (!sessions.has_value()) return Fail(sessions.error());
  if (vm["json"].as<bool>()) {
    nlohmann::json out = nlohmann::json::array();
    for (const state::StsSessionInfo& s : *sessions) {
      out.push_back({{"accessKey", s.access_key},
                     {"parent", s.parent},
                     {"expiration", env::FormatRfc3339(s.expires_at)},
                     {"createdAt", env::FormatRfc3339(s.created_at)},
                     {"revoked", s.revoked},
                     {"sessionPolicy", !s.policy.empty()}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%-22s %-28s %-26s %-8s %s\n", "ACCESS KEY", "PARENT", "EXPIRATION", "POLICY",
              "STATE");
  for (const state::StsSessionInfo& s : *sessions) {
    std::printf("%-22s %-28s %-26s %-8s %s\n", s.access_key.c_str(), s.parent.c_str(),
                env::FormatRfc3339(s.expires_at).c_str(), s.policy.empty() ? "-" : "session",
                s.revoked ? "revoked" : "active");
  }
  return 0;
}

int Revoke(const Args& args) {
  po::options_description desc("coffer admin sts revoke");
  desc.add_options()("store", po::value<std::string>()->required(), "IAM store (SQLite file)")(
      "parent", po::value<std::string>()->default_value(""), "revoke every session of USER")(
      "access-key", po::value<std::string>()->default_value(""), "the session to revoke");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer admin sts revoke", desc, args, vm, "access-key")) {
    return *exit;
  }
  const std::string access_key = vm["access-key"].as<std::string>();
  const std::string parent = vm["parent"].as<std::string>();
  if (access_key.empty() == parent.empty()) {
    std::fprintf(stderr, "coffer admin sts revoke: name one ACCESS_KEY or --parent USER\n%s",
                 kUsage);
    return 2;
  }
  auto store = OpenStore(vm["store"].as<std::string>());
  if (!store.has_value()) return Fail(store.error());
  auto revoked = (*store)->RevokeStsSessions(access_key, parent);
  if (!revoked.has_value()) return Fail(revoked.error());
  std::printf("revoked %lld session(s)\n", static_cast<long long>(*revoked));
  return 0;
}

}  // namespace

int RunAdminSts(const Args& args) {
  // args = {"sts", VERB, ...}
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
    std::fputs(kUsage, args.size() < 2 ? stderr : stdout);
    return args.size() < 2 ? 2 : 0;
  }
  const Args rest(args.begin() + 2, args.end());
  if (args[1] == "list") return List(rest);
  if (args[1] == "revoke") return Revoke(rest);
  std::fprintf(stderr, "coffer admin sts: unknown verb '%s'\n%s", args[1].c_str(), kUsage);
  return 2;
}

}  // namespace coffer::cli
