# shellcheck shell=bash
# Helpers shared by scripts/bench-s3.sh and scripts/bench-tls.sh: free ports,
# waiting for a server, and reading and formatting coffer-load's JSON lines.
# Sourced, not run.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_url URL SECONDS [CURL_ARGS...]: until URL answers 2xx, or fail.
wait_url() {
  local url=$1 deadline=$((SECONDS + $2))
  shift 2
  until curl -fsS "$@" -o /dev/null "$url" 2>/dev/null; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.2
  done
}

# record SUITE NAME JSON: appends coffer-load's JSON line, tagged with the
# suite and test name, to $COFFER_BENCH_JSON when it is set (the benchmark
# report, conformance/perf/run, reads every result from there).
record() {
  [[ -n ${COFFER_BENCH_JSON:-} && -n $3 ]] || return 0
  jq -c --arg suite "$1" --arg name "$2" '. + {suite: $suite, name: $name}' <<<"$3" \
    >>"$COFFER_BENCH_JSON" 2>/dev/null || true
}

# field JSON KEY: one field of a coffer-load JSON line ("" when absent).
field() { jq -r ".$2 // empty" <<<"$1" 2>/dev/null || true; }

# errs JSON: " (N errors of M)" when a run had errors.
errs() {
  local e
  e=$(field "$1" errors)
  [[ -n $e && $e != 0 ]] && printf ' (%s errors of %s)' "$e" "$(field "$1" requests)"
  return 0
}

# ratio JSON_A JSON_B KEY: A/B with two decimals, or — when either is missing.
ratio() {
  local a b
  a=$(field "$1" "$3"); b=$(field "$2" "$3")
  if [[ -n $a && -n $b ]] && awk -v b="$b" 'BEGIN{exit !(b>0)}'; then
    awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}'
  else
    printf '—'
  fi
}

# nginx_temp_paths DIR: the temp-path directives that keep nginx inside DIR.
nginx_temp_paths() {
  local d=$1
  printf '  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n' "$d" "$d"
  printf '  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n' "$d" "$d"
  printf '  scgi_temp_path %s/scgi;\n' "$d"
}
