#pragma once
// `coffer kms rewrap` (issue #9): re-seals the object keys of stored objects
// under the newest version of their key service keys, without re-encrypting
// any data. Dispatched by `coffer kms` (kms_command.cc).

#include "commands.h"

namespace coffer::cli {

// Args after "rewrap": [--data DIR] [--drives N] [--bucket B] and where the
// key service is (the in-process store DATA/kms under DATA/kms.key, as
// `coffer serve` uses by default, or --server with its client credentials).
// Exit 0 when every encrypted object was rewrapped or skipped, 1 on any
// failure, 2 on usage errors.
int RunKmsRewrap(const Args& args);

}  // namespace coffer::cli
