#!/usr/bin/env bash
# Sets up, builds and runs the whole bounded test suite: unit, property,
# vectors, sim and e2e tests under AddressSanitizer + UndefinedBehaviorSanitizer
# (preset debug-asan), then every libFuzzer target for a bounded time (preset
# fuzz, clang-14). Idempotent; a second run builds incrementally.
# Long fuzzing, soaks and big swarms are separate commands (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache hits across clones in different folders (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
scripts/install-deps.sh all
jobs=$(nproc)
t0=$(date +%s)
phase() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }

phase "build: debug-asan"
cmake --preset debug-asan >/dev/null
cmake --build --preset debug-asan -j "$jobs"
phase "test: unit, property, vectors, sim, e2e"
ctest --preset debug-asan -j "$jobs"

phase "build: fuzz (clang-14, libFuzzer)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
phase "test: fuzz-smoke"
if [[ -n "$(ctest --preset fuzz -N | grep -E '^\s+Test +#')" ]]; then
  ctest --preset fuzz -j "$jobs"
else
  echo "no fuzz targets yet"
fi
phase "done"
