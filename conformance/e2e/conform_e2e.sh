#!/usr/bin/env bash
# End to end for `coffer conform` (issue #15) against a real `coffer serve` (test build) on
# 127.0.0.1, HTTPS with a plain-HTTP listener beside it, a Git config repo the conform run
# writes its users and identity policies into (secrets sealed to the appliance's seal key) and
# a file audit target.
#   clean    every suite (policy, sigv4, sts, sse, audit) with a bounded number of cases: zero
#            divergences, exit 0, no run bucket and no repo file left; the generic adapter (no
#            config repo) also finds none; then a run interrupted with SIGINT exits 130 and
#            also leaves nothing behind.
#   planted  serve with --plant allow-overrides-deny,skip-presign-expiry,skip-session-expiry:
#            conform reports divergences in the policy, sigv4 and sts suites and exits 1.
# Needs COFFER_BIN, COFFER_SOURCE_DIR and CONFORM_BIN (ctest sets them); E2E_KEEP=1 keeps the
# work dir.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
mode=${1:-clean}
e2e_init "conform_$mode"
: "${CONFORM_BIN:?CONFORM_BIN must name the coffer-conform binary}"
export COFFER_CONFORM_BIN=$CONFORM_BIN
export E2E_BASE_SECRET=base-user-secret-0123456789
CASES=${E2E_CONFORM_CASES:-12}
SEED=${E2E_CONFORM_SEED:-1515}

repo="$work/repo"
data="$work/data"
audit="$work/audit.jsonl"
mkdir -p "$repo" "$data"
# Three users and policies of its own, so that the conform run's three users and policies are
# at most half of the store when it removes them (reconcile's prune guard).
cat >"$repo/coffer.toml" <<EOF2
[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[audit.file.local]
path = "$audit"
EOF2
for i in 1 2 3; do
  cat >>"$repo/coffer.toml" <<EOF2

[policies.base$i]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::base$i/*"}]}'''

[users.base$i]
secret = "env:E2E_BASE_SECRET"
policies = ["base$i"]
EOF2
done
git -C "$repo" init -q
git -C "$repo" -c user.name=e2e -c user.email=e2e@localhost add -A
git -C "$repo" -c user.name=e2e -c user.email=e2e@localhost commit -qm "base config"
"$COFFER_BIN" seal --init --key-dir "$data" >"$work/seal.out" 2>&1 ||
  fail "coffer seal --init failed: $(cat "$work/seal.out")"

certs="$work/certs"
"$COFFER_BIN" certs generate --host localhost --ip 127.0.0.1 --out "$certs" \
  >"$work/certs.out" 2>&1 || fail "coffer certs generate failed: $(cat "$work/certs.out")"
ca="$certs/CAs/coffer-local-ca.crt"
export AWS_CA_BUNDLE=$ca CURL_CA_BUNDLE=$ca REQUESTS_CA_BUNDLE=$ca

plant=()
[[ $mode == planted ]] && plant=(--plant allow-overrides-deny,skip-presign-expiry,skip-session-expiry)
port=$(free_port)
plain_port=$(free_port)
endpoint="https://127.0.0.1:$port"
COFFER_ROOT_USER=$COFFER_ACCESS_KEY COFFER_ROOT_PASSWORD=$COFFER_SECRET_KEY \
  "$COFFER_BIN" serve --data "$data" --config "$repo" --certs-dir "$certs" \
  --address "127.0.0.1:$port" --plain-address "127.0.0.1:$plain_port" \
  --reconcile-interval 60 --sts-min-duration-for-test 2 "${plant[@]}" \
  >>"$work/coffer.out" 2>>"$work/coffer.log" &
coffer_pid=$!
for _ in $(seq 1 600); do
  kill -0 "$coffer_pid" 2>/dev/null || fail "coffer serve exited: $(tail -5 "$work/coffer.log")"
  curl -s -m 2 -o /dev/null -f "$endpoint/minio/health/ready" && break
  sleep 0.1
done
curl -s -m 2 -o /dev/null -f "$endpoint/minio/health/ready" || fail "coffer serve not ready"
e2e_log "coffer serve pid $coffer_pid on $endpoint (plain $plain_port) ${plant[*]}"

export E2E_ADMIN_KEY=$COFFER_ACCESS_KEY E2E_ADMIN_SECRET=$COFFER_SECRET_KEY
conform() {
  bounded 100 "$COFFER_BIN" conform --endpoint "$endpoint" \
    --plain-endpoint "http://127.0.0.1:$plain_port" --ca "$ca" \
    --admin-credentials env:E2E_ADMIN_KEY,env:E2E_ADMIN_SECRET \
    --config-repo "$repo" --seal-key "$data/seal.pub" "$@"
}
run_buckets() {
  bounded 30 "$E2E_AWS" --endpoint-url "$endpoint" s3api list-buckets \
    --query 'Buckets[].Name' --output text | tr '\t' '\n' | grep '^conform-' || true
}
# json_field FILE EXPR: a value of the JSON report (Python expression over `r`).
json_field() { "$E2E_PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

if [[ $mode == clean ]]; then
  rc=0
  conform --seed "$SEED" --cases "$CASES" --suite policy,sigv4,sts,sse,audit \
    --audit-sink "file:$audit" --report "$work/report.json" >"$work/conform.md" \
    2>"$work/conform.err" || rc=$?
  cat "$work/conform.md" >&2
  [[ $rc -eq 0 ]] || { tail -20 "$work/conform.err" >&2; fail "conform exited $rc, want 0"; }
  assert_eq "0" "$(json_field "$work/report.json" "r['divergences']")" "divergences"
  assert_eq "[]" "$(json_field "$work/report.json" "r['cleanup_problems']")" "cleanup problems"
  for s in policy sigv4 sts sse audit; do
    checks=$(json_field "$work/report.json" "[s['checks'] for s in r['suites'] if s['name']=='$s'][0]")
    [[ $checks -gt 0 ]] || fail "suite $s made no checks"
    e2e_log "suite $s: $checks checks"
  done
  assert_contains "Coffer" "$(json_field "$work/report.json" "r['server_header']")" "server header"
  assert_eq "" "$(run_buckets)" "run buckets left"
  assert_eq "" "$(ls "$repo" | grep '^conform-' || true)" "repo files left"
  [[ -n "$(git -C "$repo" log --oneline --grep='coffer conform: remove')" ]] || fail "no removal commit"

  # The generic adapter (what runs against other S3 servers): no config repo, identity-like
  # restrictions through session policies of the admin credential.
  rc=0
  bounded 100 "$COFFER_BIN" conform --endpoint "$endpoint" \
    --plain-endpoint "http://127.0.0.1:$plain_port" --ca "$ca" \
    --admin-credentials env:E2E_ADMIN_KEY,env:E2E_ADMIN_SECRET --seed "$SEED" --cases 8 \
    --suite policy,sigv4,sts --report "$work/generic.json" >"$work/generic.md" \
    2>"$work/generic.err" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$work/generic.md" >&2; fail "generic conform exited $rc, want 0"; }
  assert_eq "generic" "$(json_field "$work/generic.json" "r['adapter']")" "adapter"
  assert_eq "" "$(run_buckets)" "run buckets left by the generic run"

  # Ctrl-C in the middle of the policy suite: exit 130, and nothing left behind.
  # Not through `bounded`: the signal must reach conform itself (exec'd by coffer).
  "$COFFER_BIN" conform --endpoint "$endpoint" --plain-endpoint "http://127.0.0.1:$plain_port" \
    --ca "$ca" --admin-credentials env:E2E_ADMIN_KEY,env:E2E_ADMIN_SECRET --config-repo "$repo" \
    --seal-key "$data/seal.pub" --seed 7 --cases 200 --suite policy >"$work/int.md" \
    2>"$work/int.err" &
  cpid=$!
  for _ in $(seq 1 100); do
    grep -q "suite policy" "$work/int.err" 2>/dev/null && break
    sleep 0.1
  done
  sleep 2
  kill -INT "$cpid"
  rc=0
  for _ in $(seq 1 300); do
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$cpid" 2>/dev/null && { kill -KILL "$cpid"; fail "conform did not stop within 30 s of SIGINT"; }
  wait "$cpid" || rc=$?
  assert_eq "130" "$rc" "exit status after SIGINT"
  assert_eq "" "$(run_buckets)" "run buckets left after SIGINT"
  assert_eq "" "$(ls "$repo" | grep '^conform-' || true)" "repo files left after SIGINT"
  e2e_log "PASS: clean run, zero divergences; SIGINT cleans up"
else
  rc=0
  conform --seed "$SEED" --cases 25 --suite policy,sigv4,sts --shrink-budget 15 \
    --report "$work/report.json" >"$work/conform.md" 2>"$work/conform.err" || rc=$?
  cat "$work/conform.md" >&2
  assert_eq "1" "$rc" "conform exit status with planted bugs"
  for s in policy sigv4 sts; do
    n=$(json_field "$work/report.json" "len([s for s in r['suites'] if s['name']=='$s'][0]['divergences'])")
    [[ $n -gt 0 ]] || fail "planted bug not detected by suite $s"
    e2e_log "suite $s: $n divergence(s)"
  done
  grep -q "expired presigned GET" "$work/conform.md" || fail "skip-presign-expiry not reported"
  grep -q "expired session" "$work/conform.md" || fail "skip-session-expiry not reported"
  grep -q "should be refused" "$work/conform.md" || fail "allow-overrides-deny not reported"
  grep -q '^curl ' "$work/conform.md" || fail "no curl reproduction in the report"
  assert_eq "" "$(run_buckets)" "run buckets left"
  e2e_log "PASS: planted bugs detected"
fi
