#pragma once
// `coffer heal [--dry-run] --data DIR [--drives N]`: verifies every bucket and
// object of the erasure set in DIR/drive0..N-1 (the layout `coffer serve`
// uses) and repairs what is missing or rotten, printing one line per object
// and what was fixed. Exit codes: 0 when everything verifies (or was
// repaired), 1 when something could not be repaired or the set cannot be
// opened, 2 on a usage error. Wired into main.cc by the CLI owner.

#include "commands.h"

namespace coffer::cli {

int RunHeal(const Args& args);

}  // namespace coffer::cli
