#!/usr/bin/env bash
# Long fuzzing runs, beyond CI's bounded fuzz-smoke tests (30 s a target).
# Builds the fuzz preset (clang-14, libFuzzer, ASan + UBSan) and runs every
# target, or the ones named, for SECONDS each on its seed corpus in fixtures/fuzz/
# plus a working corpus kept between runs in build/fuzz/long/NAME/corpus.
# Crashes, leaks and timeouts are written to build/fuzz/long/NAME/ (libFuzzer's
# crash-*, leak-*, timeout-* files); the script exits 1 when any target found
# one. A crash found is fixed and its input copied into the target's seed
# corpus as a regression input.
#
#   scripts/fuzz.sh [--seconds N] [--no-build] [TARGET...]    (default 600 s)
#   scripts/fuzz.sh --list
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
seconds=600
build=1
list=0
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift ;;
    --no-build) build=0 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

if [[ $build -eq 1 ]]; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  [[ -f build/fuzz/CMakeCache.txt ]] || cmake --preset fuzz >/dev/null
  cmake --build build/fuzz -j2 --target coffer_fuzzers
fi

# Each target's seed corpus, from the fuzz-smoke test CMake registered for it
# (its last argument is the seed corpus folder).
declare -A corpus
while IFS=$'\t' read -r name dir; do
  corpus[$name]=$dir
done < <(ctest --test-dir build/fuzz -L fuzz-smoke --show-only=json-v1 | python3 -c '
import json, sys, re
for t in json.load(sys.stdin)["tests"]:
    name = t["name"].removesuffix("_smoke")
    m = re.findall(r"'\''([^'\'']+)'\''", " ".join(t["command"]))
    print(name + "\t" + (m[-1] if m else ""))
')

if [[ $list -eq 1 ]]; then
  for name in $(printf '%s\n' "${!corpus[@]}" | sort); do printf '%-28s %s\n' "$name" "${corpus[$name]}"; done
  exit 0
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(printf '%s\n' "${!corpus[@]}" | sort)
fi

found=0
for name in "${targets[@]}"; do
  bin=build/fuzz/conformance/$name
  [[ -x $bin && -n ${corpus[$name]:-} ]] || { echo "fuzz: no target $name (scripts/fuzz.sh --list)" >&2; exit 2; }
  out=build/fuzz/long/$name
  mkdir -p "$out/corpus"
  echo "fuzz: $name for ${seconds}s (findings in $out)" >&2
  if ! (cd "$out" && "$ROOT/$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 corpus "${corpus[$name]}" >run.log 2>&1); then
    echo "fuzz: $name FOUND A FAILURE: $(ls "$out" | grep -E '^(crash|leak|timeout|oom)-' | head -3 | tr '\n' ' ')" >&2
    tail -30 "$out/run.log" >&2
    found=1
  else
    grep -E '^stat::number_of_executed_units|^cov:' "$out/run.log" | tail -1 >&2 || true
  fi
done
exit $found
