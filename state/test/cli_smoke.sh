#!/bin/sh
# End-to-end smoke test of the GitOps verbs: coffer validate/plan/apply/status/seal/unseal on
# the quickstart fixture and a bad repo. Needs COFFER_BIN and COFFER_SOURCE_DIR.
set -u
bin=${COFFER_BIN:?}
src=${COFFER_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect CODE command...
  want=$1; shift
  "$@" >"$work/out" 2>"$work/err"; got=$?
  [ "$got" = "$want" ] || { cat "$work/out" "$work/err"; fail "exit $got, want $want: $*"; }
}

expect 0 "$bin" validate "$src/fixtures/quickstart"
expect 1 "$bin" validate "$src/fixtures/config/bad/plain-secret"
grep -q "main.toml:2:10: users.alice.secret: plain secrets" "$work/err" || fail "no position"
grep -q "hunter2" "$work/err" && fail "secret echoed"
expect 2 "$bin" validate --no-such-flag "$src/fixtures/quickstart"

export COFFER_ROOT_USER=root COFFER_ROOT_PASSWORD=root-password-1 COFFER_VIEWER_SECRET=viewer-secret-1
store="$work/iam.db"
expect 2 "$bin" plan "$src/fixtures/quickstart" --store "$store"
grep -q "+ user viewer" "$work/out" || fail "plan lacks viewer"
grep -q "viewer-secret-1" "$work/out" && fail "plan shows a secret"
expect 2 "$bin" plan "$src/fixtures/quickstart" --store "$store" --json
grep -q '"format_version":"1"' "$work/out" || fail "no JSON plan"
expect 0 "$bin" apply "$src/fixtures/quickstart" --store "$store"
[ -f "$work/master.key" ] || fail "no master key"
expect 0 "$bin" plan "$src/fixtures/quickstart" --store "$store"
expect 0 "$bin" status --store "$store"
grep -q "condition: Ready" "$work/out" || fail "status not Ready"
grep -q "drift: 0 object" "$work/out" || fail "unexpected drift"

unset COFFER_VIEWER_SECRET
expect 1 "$bin" plan "$src/fixtures/quickstart" --store "$store"
grep -q "env:COFFER_VIEWER_SECRET is not set" "$work/err" || fail "missing env not reported"

expect 0 "$bin" seal --init --key-dir "$work/keys"
echo "sealed-secret-42" > "$work/plain"
"$bin" seal --key "$work/keys/seal.pub" <"$work/plain" >"$work/sealed" || fail "seal"
grep -q "^sealed:" "$work/sealed" || fail "seal output"
out=$("$bin" unseal --key "$work/keys/seal.key" <"$work/sealed") || fail "unseal"
[ "$out" = "sealed-secret-42" ] || fail "unseal gave '$out'"
echo "PASS"
