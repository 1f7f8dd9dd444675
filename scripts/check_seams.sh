#!/usr/bin/env bash
# Fails when code outside the seam bindings reaches the clock, randomness,
# files, threads or sockets directly (STYLE.md §2). The allowlist is the
# production bindings (appliance/src/posix), the HTTP shell and the CLI
# (appliance/src/server, appliance/src/cli), the simulator's bindings (sim/src)
# and tests. Core code and the pure libraries get everything through Env.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
check() {  # check <label> <regex> <paths...>
  local label=$1 pattern=$2; shift 2
  local hits
  hits=$(grep -rnE --include='*.h' --include='*.cc' --include='*.sql' "$pattern" "$@" 2>/dev/null \
         | grep -v '// seam-ok' || true)
  if [[ -n "$hits" ]]; then
    echo "check_seams: $label outside the seam bindings:"
    echo "$hits"
    status=1
  fi
}

clock='system_clock::now|steady_clock::now|high_resolution_clock::now|[^_a-zA-Z]time\(|gettimeofday|clock_gettime'
random='std::random_device|[^_a-zA-Z]s?rand\(|RAND_bytes\(|RAND_priv_bytes\(|_ex\((nullptr|NULL)[,)]'
files='fopen\(|[^_a-zA-Z.>]open\(|std::(i|o)?fstream|std::filesystem'
threads='std::thread|std::async|sleep_for|sleep_until|[^_a-zA-Z]u?sleep\('
sockets='asio::|beast::|[^_a-zA-Z]socket\('
sql="CURRENT_TIMESTAMP|datetime\('now'\)|random\(\)"

core=(appliance/src/core appliance/include/coffer/core appliance/include/coffer/env appliance/src/env)
pure=(policy-dsl/src policy-dsl/include)
state_dirs=()
for d in state/src state/include; do [[ -d $d ]] && state_dirs+=("$d"); done

check "clock" "$clock" "${core[@]}" "${pure[@]}" "${state_dirs[@]}"
check "randomness" "$random" "${core[@]}" "${pure[@]}" "${state_dirs[@]}"
check "threads or sleeps" "$threads" "${core[@]}" "${pure[@]}" "${state_dirs[@]}"
check "files" "$files" "${core[@]}" "${pure[@]}"
check "sockets" "$sockets" "${core[@]}" "${pure[@]}" "${state_dirs[@]}"
[[ -d state/migrations ]] && check "non-deterministic SQL" "$sql" state/migrations state/src
if grep -rn 'FIXME' --include='*.h' --include='*.cc' --include='*.cmake' --include='CMakeLists.txt' \
     policy-dsl state appliance sim conformance >/dev/null 2>&1; then
  echo "check_seams: FIXME found (name an issue with TODO(#N) instead):"
  grep -rn 'FIXME' --include='*.h' --include='*.cc' policy-dsl state appliance sim conformance || true
  status=1
fi
[[ $status -eq 0 ]] && echo "check_seams: ok"
exit $status
