# shellcheck shell=bash
# Shared harness for the real-client end-to-end suites (awscli, boto3, s3cmd).
# Source it from a suite; it is not a test by itself.
#
# What it gives a suite:
#   e2e_init NAME          temp work dir, EXIT trap (stops the server, prints
#                          its log tail when the suite failed), throwaway
#                          client configuration so the user's is never read.
#   start_coffer [REPO]    `coffer serve` on a free 127.0.0.1 port with root
#                          credentials from the environment, a fresh data dir,
#                          an empty certs dir (plain HTTP) and the quickstart
#                          config repo (or REPO); waits until it answers.
#                          With E2E_TLS=1 it serves HTTPS only, from a certs
#                          dir made by `coffer certs generate`, and points the
#                          clients at its CA (E2E_CA; AWS_CA_BUNDLE and
#                          CURL_CA_BUNDLE; aws_ passes --ca-bundle).
#   run_case NAME FN...    runs one case in a subshell with errexit, records
#                          (cwd: its own folder), records pass/fail and keeps going, so one run reports every
#                          broken operation instead of the first one.
#   e2e_finish             prints the summary; exit 1 if any case failed.
#   assertions             fail, assert_eq, assert_contains, assert_not_contains,
#                          assert_files_equal, expect_fail.
# Every client call in the suites goes through `bounded` (timeout), so a hung
# server or client fails the case instead of eating the ctest budget.

set -euo pipefail

# Debian's clients only: PATH may hold pyenv shims with other versions.
E2E_PY=/usr/bin/python3
E2E_AWS=/usr/bin/aws
# Per-call bound for ordinary client calls (seconds); big transfers pass their own.
E2E_CALL_TIMEOUT=${E2E_CALL_TIMEOUT:-60}

COFFER_ACCESS_KEY=e2e-root
COFFER_SECRET_KEY=e2e-root-secret-0123456789
E2E_VIEWER_SECRET=e2e-viewer-secret-0123456789

e2e_name=""
work=""
coffer_pid=""
coffer_port=""
coffer_endpoint=""
e2e_failed=()
e2e_started=$(date +%s)
# Cases start only within this many seconds of the suite's start (the ctest
# TIMEOUT is 600 s; the rest is left for the running case and cleanup).
E2E_BUDGET=${E2E_BUDGET:-420}
e2e_passed=()

e2e_log() { printf '[%s %s] %s\n' "$e2e_name" "$(date -u +%H:%M:%S)" "$*" >&2; }

e2e_cleanup() {
  local rc=$?
  stop_coffer
  if [[ $rc -ne 0 && -n "$work" && -f "$work/coffer.log" ]]; then
    echo "---- coffer serve log (last 40 lines) ----" >&2
    tail -40 "$work/coffer.log" >&2 || true
  fi
  [[ -n "$work" && -z "${E2E_KEEP:-}" ]] && rm -rf "$work"
  [[ -n "${E2E_KEEP:-}" ]] && echo "work dir kept: $work" >&2
  return $rc
}

e2e_init() {
  e2e_name=$1
  : "${COFFER_BIN:?COFFER_BIN must name the coffer binary}"
  : "${COFFER_SOURCE_DIR:?COFFER_SOURCE_DIR must name the source tree}"
  work=$(mktemp -d "${TMPDIR:-/tmp}/coffer-$e2e_name.XXXXXX")
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  # Never read the user's AWS or s3cmd configuration, never ask IMDS.
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_S3 AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
  export AWS_CONFIG_FILE="$work/aws-config"
  export AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
  export AWS_PAGER=""
  export AWS_ACCESS_KEY_ID=$COFFER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_SECRET_KEY
  cat >"$AWS_CONFIG_FILE" <<EOF
[default]
region = us-east-1
output = json
cli_pager =
s3 =
  addressing_style = path
EOF
  : >"$AWS_SHARED_CREDENTIALS_FILE"
  export HOME="$work/home"
  mkdir -p "$HOME"
}

free_port() {
  "$E2E_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_coffer [CONFIG_REPO]: starts the server and waits until it is live and
# its S3 endpoint answers. Retries once on a port lost to a race.
start_coffer() {
  local repo=${1:-$COFFER_SOURCE_DIR/fixtures/quickstart}
  # Developer aid: E2E_EXTERNAL_ENDPOINT=http://127.0.0.1:PORT runs the suite
  # against another S3 implementation (credentials from E2E_EXTERNAL_KEY and
  # E2E_EXTERNAL_SECRET) to check the suite itself. CI never sets it.
  if [[ -n "${E2E_EXTERNAL_ENDPOINT:-}" ]]; then
    coffer_endpoint=$E2E_EXTERNAL_ENDPOINT
    coffer_port=${coffer_endpoint##*:}
    COFFER_ACCESS_KEY=${E2E_EXTERNAL_KEY:-$COFFER_ACCESS_KEY}
    COFFER_SECRET_KEY=${E2E_EXTERNAL_SECRET:-$COFFER_SECRET_KEY}
    export AWS_ACCESS_KEY_ID=$COFFER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_SECRET_KEY
    e2e_log "using the external endpoint $coffer_endpoint"
    return 0
  fi
  local certs="$work/certs-empty" scheme=http
  if [[ "${E2E_TLS:-0}" == 1 ]]; then
    certs="$work/certs"
    scheme=https
    if [[ ! -f "$certs/public.crt" ]]; then
      "$COFFER_BIN" certs generate --host localhost --ip 127.0.0.1 --out "$certs" \
        >>"$work/coffer.out" 2>>"$work/coffer.log" || fail "coffer certs generate failed"
    fi
    E2E_CA="$certs/CAs/coffer-local-ca.crt"
    export E2E_CA AWS_CA_BUNDLE=$E2E_CA CURL_CA_BUNDLE=$E2E_CA REQUESTS_CA_BUNDLE=$E2E_CA
  fi
  mkdir -p "$certs"
  local attempt
  for attempt in 1 2 3; do
    coffer_port=$(free_port)
    coffer_endpoint="$scheme://127.0.0.1:$coffer_port"
    COFFER_ROOT_USER=$COFFER_ACCESS_KEY COFFER_ROOT_PASSWORD=$COFFER_SECRET_KEY \
      COFFER_VIEWER_SECRET=$E2E_VIEWER_SECRET \
      "$COFFER_BIN" serve --data "$work/data" --config "$repo" \
      --address "127.0.0.1:$coffer_port" --certs-dir "$certs" \
      --reconcile-interval 5 >>"$work/coffer.out" 2>>"$work/coffer.log" &
    coffer_pid=$!
    local i
    # ASan builds start slowly on a busy 2-core machine: allow 60 s.
    for i in $(seq 1 600); do
      if ! kill -0 "$coffer_pid" 2>/dev/null; then
        wait "$coffer_pid" 2>/dev/null || true
        coffer_pid=""
        break
      fi
      if curl -s -m 2 -o /dev/null -f "$coffer_endpoint/minio/health/live"; then
        # Ready means drives, IAM store and the first reconcile are in; give it
        # a few seconds but do not insist (the suites report what fails).
        for i in $(seq 1 100); do
          curl -s -m 2 -o /dev/null -f "$coffer_endpoint/minio/health/ready" && break
          sleep 0.1
        done
        curl -s -m 2 -o /dev/null -f "$coffer_endpoint/minio/health/ready" ||
          e2e_log "warning: ready still says: $(curl -s -m 2 "$coffer_endpoint/minio/health/ready")"
        e2e_log "coffer serve pid $coffer_pid on $coffer_endpoint"
        export coffer_endpoint coffer_port
        return 0
      fi
      sleep 0.1
    done
    [[ -n "$coffer_pid" ]] && stop_coffer
    e2e_log "coffer serve did not come up (attempt $attempt)"
  done
  fail "coffer serve did not start"
}

stop_coffer() {
  [[ -z "$coffer_pid" ]] && return 0
  local pid=$coffer_pid
  coffer_pid=""
  kill -TERM "$pid" 2>/dev/null || return 0
  local i
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    e2e_log "coffer serve did not stop on SIGTERM within 10 s; killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# bounded SECS CMD...: runs a client call with a time limit. A call that runs
# out of time marks the run: later cases are not started (a hung server would
# otherwise spend the whole ctest budget one timeout at a time).
bounded() {
  local secs=$1 rc=0
  shift
  timeout -k 5 "$secs" "$@" || rc=$?
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "TIMEOUT after ${secs}s: $*" >&2
    : >"$work/timed-out"
  fi
  return $rc
}

# ---- assertions: each prints what was expected and what came back.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

assert_eq() {  # assert_eq WANT GOT WHAT
  [[ "$1" == "$2" ]] || fail "$3: want [$1], got [$2]"
}

assert_contains() {  # assert_contains NEEDLE HAYSTACK WHAT
  grep -qF -- "$1" <<<"$2" || fail "$3: [$1] not in [$2]"
}

assert_not_contains() {  # assert_not_contains NEEDLE HAYSTACK WHAT
  if grep -qF -- "$1" <<<"$2"; then fail "$3: [$1] unexpectedly in [$2]"; fi
}

assert_files_equal() {  # assert_files_equal WANT GOT WHAT
  [[ -f "$2" ]] || fail "$3: $2 missing"
  cmp -s "$1" "$2" || fail "$3: content differs ($(wc -c <"$1") bytes sha256 $(sha256sum <"$1" | cut -c1-16) vs $(wc -c <"$2") bytes sha256 $(sha256sum <"$2" | cut -c1-16))"
}

# must VAR CMD...: runs CMD, stores its stdout in VAR, fails the case when CMD
# fails. Use it before assert_not_contains or an empty-string assert_eq: a
# failing command inside "$(...)" as an argument would go unnoticed.
must() {
  local __var=$1 __out __rc=0
  shift
  __out=$("$@") || __rc=$?
  [[ $__rc -eq 0 ]] || fail "command failed (exit $__rc): $*"
  printf -v "$__var" '%s' "$__out"
}

# expect_fail PATTERN WHAT CMD...: CMD must exit non-zero and print PATTERN
# (fixed string) on stdout or stderr.
expect_fail() {
  local pattern=$1 what=$2
  shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [[ $rc -ne 0 ]] || fail "$what: succeeded, want failure with [$pattern]; output: $out"
  grep -qF -- "$pattern" <<<"$out" || fail "$what: want [$pattern], got (exit $rc): $out"
}

# ---- cases

# run_case NAME FN [ARGS...]: FN runs in a subshell with errexit; its output
# goes to a per-case log shown only on failure.
run_case() {
  local name=$1
  shift
  if [[ -n "${E2E_ONLY:-}" && ",$E2E_ONLY," != *",$name,"* ]]; then return 0; fi
  if [[ -f "$work/timed-out" ]]; then
    e2e_failed+=("$name")
    e2e_log "case $name: NOT RUN (an earlier client call timed out)"
    return 0
  fi
  if (($(date +%s) - e2e_started > E2E_BUDGET)); then
    e2e_failed+=("$name")
    e2e_log "case $name: NOT RUN (suite budget of ${E2E_BUDGET}s spent)"
    return 0
  fi
  local log="$work/case-$name.log" start rc offset=0
  start=$(date +%s)
  [[ -f "$work/coffer.log" ]] && offset=$(stat -c %s "$work/coffer.log")
  e2e_log "case $name ..."
  set +e
  (
    set -euo pipefail
    trap - EXIT
    mkdir -p "$work/cases/$name"
    cd "$work/cases/$name"
    "$@"
  ) >"$log" 2>&1
  rc=$?
  set -e
  local took=$(($(date +%s) - start))
  # Lines a case prints as "NOTE: ..." (timings) are shown pass or fail.
  grep '^NOTE:' "$log" | sed "s/^/[$e2e_name] /" >&2 || true
  if [[ $rc -eq 0 ]]; then
    e2e_passed+=("$name")
    e2e_log "case $name: ok (${took}s)"
  else
    e2e_failed+=("$name")
    e2e_log "case $name: FAILED (exit $rc, ${took}s)"
    sed 's/^/    /' "$log" | tail -60 >&2
    if [[ -f "$work/coffer.log" ]]; then
      echo "    -- server log during the case (last 15 lines):" >&2
      tail -c +$((offset + 1)) "$work/coffer.log" | tail -15 | cut -c1-400 | sed 's/^/    | /' >&2
    fi
  fi
}

e2e_finish() {
  e2e_log "passed ${#e2e_passed[@]}: ${e2e_passed[*]:-}"
  if ((${#e2e_failed[@]} > 0)); then
    e2e_log "FAILED ${#e2e_failed[@]}: ${e2e_failed[*]}"
    return 1
  fi
  echo "$e2e_name: ok"
}
