#pragma once
// The quickstart config repo (fixtures/quickstart), compiled into the library so `coffer
// serve` without --config has a desired state: a `quickstart` bucket, the readwrite and
// per-user-prefix example policies, a read-only `viewer` user (secret env:COFFER_VIEWER_SECRET)
// and root credentials by reference (env:COFFER_ROOT_USER, env:COFFER_ROOT_PASSWORD).

#include "coffer/state/config.h"

namespace coffer::state {

// The embedded files, keyed by repo-relative path. Immutable; thread-safe.
const ConfigTree& QuickstartConfig();

}  // namespace coffer::state
