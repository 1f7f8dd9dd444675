#pragma once
// `coffer admin`: mc admin's verbs, the GitOps way. Each changing verb edits the config repo's
// TOML files in place (coffer/state/admin_edits.h), validates the whole repo with the loader
// `coffer validate` uses, prints the plan (what the daemon will change when it reconciles the
// commit) and makes one Git commit of exactly the files it touched, with the operator as
// author. List and info verbs only read the repo. `coffer admin sts ...` is sts_command.cc.
//
// Exit codes: 0 done (or nothing to change), 1 error (nothing written), 2 usage.

#include <cstdio>

#include "commands.h"

namespace coffer::cli {

// The verbs after "admin" (args = {"user", "add", "bob", ...}), printing to `out` and `err`.
// Secrets the operator must see once (a generated user secret) go to `out` only.
int RunAdminVerbs(const Args& args, std::FILE* out, std::FILE* err);

}  // namespace coffer::cli
