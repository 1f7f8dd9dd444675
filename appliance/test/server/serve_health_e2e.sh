#!/usr/bin/env bash
# End to end: `coffer serve` on 127.0.0.1 answers the health checks under both
# path families, refuses bad flags with exit 2, generates root credentials
# once, and shuts down cleanly on SIGTERM. Needs COFFER_BIN.
set -euo pipefail
bin=${COFFER_BIN:?}
work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/log" ]] && tail -20 "$work/log" >&2; exit 1; }

"$bin" version | grep -Eq '^coffer [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+|unknown' || fail "version line"
"$bin" --help | grep -q 'serve' || fail "--help lists serve"
set +e
"$bin" serve --no-such-flag >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "unknown flag exit $rc, want 2"
"$bin" serve --address nonsense >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "bad address exit $rc, want 2"
"$bin" frobnicate >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "unknown verb exit $rc, want 2"
set -e

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -u COFFER_ROOT_USER -u COFFER_ROOT_PASSWORD \
  "$bin" serve --data "$work/data" --address "127.0.0.1:$port" >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done
for path in /health/live /minio/health/live /health/ready /minio/health/ready; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
  [[ "$code" == 200 ]] || fail "$path answered $code"
done
curl -s -D - -o /dev/null "http://127.0.0.1:$port/health/live" | grep -qi '^x-amz-request-id: [0-9A-F]\{16\}' \
  || fail "x-amz-request-id missing"
for d in drive1 drive2 drive3 drive4; do [[ -d "$work/data/$d" ]] || fail "missing $d"; done
[[ $(stat -c %a "$work/data/root.credentials") == 600 ]] || fail "root.credentials not 0600"
grep -q '^Root user:' "$work/out" || fail "generated credentials not printed"
grep -q '"component":"serve","msg":"listening"' "$work/log" || fail "structured log line"

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
[[ $rc -eq 0 ]] || fail "serve exited $rc after SIGTERM"
grep -q '"msg":"stopped"' "$work/log" || fail "no clean stop logged"

# Second start: credentials are reused, not regenerated or printed again.
env -u COFFER_ROOT_USER -u COFFER_ROOT_PASSWORD \
  "$bin" serve --data "$work/data" --address "127.0.0.1:$port" >"$work/out2" 2>>"$work/log" &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done
! grep -q 'Root password' "$work/out2" || fail "credentials printed twice"
kill -INT "$pid"; rc=0; wait "$pid" || rc=$?; pid=""
[[ $rc -eq 0 ]] || fail "serve exited $rc after SIGINT"
[[ -f "$work/data/iam.db" ]] || fail "no IAM store"
"$bin" heal --data "$work/data" --dry-run >"$work/heal" 2>&1 || fail "heal --dry-run on a healthy set"

# A config repo that turns invalid: the last good state keeps serving, ready
# says degraded with the file:line:col reason, and a fix makes it ready again.
# The reconcile timer is an hour here: only the inotify watch on the repo can
# notice the edits within the 10 s each step waits.
cp -r "${COFFER_SOURCE_DIR:?}/fixtures/quickstart" "$work/repo"
export COFFER_VIEWER_SECRET=viewer-secret-for-e2e
"$bin" serve --data "$work/data2" --config "$work/repo" --address "127.0.0.1:$port" \
  --reconcile-interval 3600 >"$work/out3" 2>"$work/log3" &
pid=$!
for _ in $(seq 1 100); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready") == 200 ]] && break
  sleep 0.1
done
ready=$(curl -s "http://127.0.0.1:$port/health/ready")
grep -q '"config":{"ready":true}' <<<"$ready" || fail "config not ready: $ready"
printf '\n[users.typo]\nsecert = "env:X"\n' >> "$work/repo/users.toml"
for _ in $(seq 1 50); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready") == 503 ]] && break
  sleep 0.2
done
ready=$(curl -s "http://127.0.0.1:$port/health/ready")
grep -q '"status":"degraded"' <<<"$ready" || fail "invalid config not degraded: $ready"
grep -q 'users.toml:[0-9]*:[0-9]*' <<<"$ready" || fail "no file:line:col in the reason: $ready"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/live")
[[ "$code" == 200 ]] || fail "degraded config stopped the appliance"
# Fixed the way git checkout writes files: a new file renamed over the old.
cp "${COFFER_SOURCE_DIR}/fixtures/quickstart/users.toml" "$work/repo/users.toml.new"
mv "$work/repo/users.toml.new" "$work/repo/users.toml"
for _ in $(seq 1 50); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready") == 200 ]] && break
  sleep 0.2
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready") == 200 ]] \
  || fail "fixed config did not become ready"
# Folders below the repo are watched as well: break a policy file there.
policy_file=$(ls "$work/repo/policies/"*.json | head -1)
echo '{"Version": "2012-10-17", "Statement": [' >"$policy_file"
for _ in $(seq 1 50); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready") == 503 ]] && break
  sleep 0.2
done
ready=$(curl -s "http://127.0.0.1:$port/health/ready")
grep -q '"status":"degraded"' <<<"$ready" || fail "broken policy in policies/ not noticed: $ready"
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=""
[[ $rc -eq 0 ]] || fail "serve exited $rc"
echo "serve_health_e2e: ok"
