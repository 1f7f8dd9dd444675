#pragma once
// The file-system edge of the config loader: reading a config repo directory into a
// ConfigTree, and describing its revision (Git commit and author, or a content digest).
// These touch the disk and run `git`, so the daemon and the CLI call them; the rest of
// coffer::state only sees the in-memory ConfigTree.

#include <string>

#include "coffer/base/random.h"
#include "coffer/base/result.h"
#include "coffer/state/config.h"
#include "coffer/state/revision.h"

namespace coffer::state {

// Reads every *.toml and *.json file under `dir` (recursively, skipping dot-directories such
// as .git) into a tree keyed by the path relative to `dir`, with '/' separators.
// Errors: kNotFound when `dir` is missing, kUnavailable on a read error.
base::Result<ConfigTree> ReadConfigDir(const std::string& dir);

// "sha256:<hex>" over every (path, size, content) of the tree in sorted order. Pure.
std::string ContentDigest(const ConfigTree& tree, ossl_lib_ctx_st* libctx);

// The Git revision when `dir` is a Git work tree, else the content digest of `tree`.
// Runs `git -C dir ...`; a missing git binary just means "not a work tree".
Revision DescribeRevision(const std::string& dir, const ConfigTree& tree, ossl_lib_ctx_st* libctx);

}  // namespace coffer::state
