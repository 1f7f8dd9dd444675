#!/usr/bin/env bash
# End to end: `coffer admin` verbs commit to the config repo of a running
# `coffer serve`, the daemon reconciles each commit, and Debian's unmodified
# awscli and curl see the result (issue #14):
#   user add bob (secret generated, sealed to the appliance's seal.pub, printed
#   once) + policy attach readwrite --user bob -> bob reads and writes a bucket;
#   user disable bob -> bob is refused; user remove bob -> bob is unknown;
#   anonymous set download quickstart -> an unsigned curl GET works, and
#   anonymous set none takes it away again.
# Needs COFFER_BIN and COFFER_SOURCE_DIR; E2E_KEEP=1 keeps the work dir.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init admin_verbs_e2e

# A Git config repo from the quickstart, and the appliance's seal key pair in
# the data dir, where serve looks for seal.key.
repo="$work/repo"
cp -r "$COFFER_SOURCE_DIR/fixtures/quickstart" "$repo"
git -C "$repo" init -q -b main
git -C "$repo" config user.name "E2E Operator"
git -C "$repo" config user.email "ops@example.org"
git -C "$repo" add -A
git -C "$repo" commit -q -m "quickstart"
"$COFFER_BIN" seal --init --key-dir "$work/data" >/dev/null
export COFFER_SEAL_KEY="$work/data/seal.pub" COFFER_CONFIG_REPO="$repo"

start_coffer "$repo"

admin() { bounded 30 "$COFFER_BIN" admin "$@"; }
aws_as() {  # aws_as KEY SECRET ARGS...
  local key=$1 secret=$2
  shift 2
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret \
    bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    --cli-connect-timeout 10 --cli-read-timeout 30 "$@"
}
# eventually SECS WHAT CMD...: retries CMD every 0.25 s until it succeeds; the
# daemon reconciles a commit at once, so this measures the lag too.
eventually() {
  local secs=$1 what=$2 start
  shift 2
  start=$(date +%s%N)
  local deadline=$(($(date +%s) + secs))
  while ! "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || fail "$what: not within ${secs}s"
    sleep 0.25
  done
  echo "NOTE: $what after $((($(date +%s%N) - start) / 1000000)) ms"
}
denied() { ! "$@"; }
fails_with() {  # fails_with PATTERN CMD...: CMD fails and prints PATTERN
  local pattern=$1 out
  shift
  if out=$("$@" 2>&1); then return 1; fi
  grep -qF -- "$pattern" <<<"$out"
}

case_user_lifecycle() {
  local out secret head
  echo "hello from root" >hello.txt
  aws_as "$COFFER_ACCESS_KEY" "$COFFER_SECRET_KEY" s3 cp hello.txt s3://quickstart/hello.txt

  must out admin user add bob
  assert_contains "+ user bob" "$out" "the plan shows the new user"
  secret=$(sed -n 's/^Secret key: //p' <<<"$out")
  assert_eq 40 "${#secret}" "a generated secret is printed"
  assert_eq "admin: add user bob" "$(git -C "$repo" log -1 --format=%s)" "commit message"
  assert_eq "E2E Operator <ops@example.org>" "$(git -C "$repo" log -1 --format='%an <%ae>')" \
    "the operator is the author"
  assert_not_contains "$secret" "$(git -C "$repo" log -p --all)" "no plain secret in history"
  assert_contains 'secret = "sealed:' "$(cat "$repo/users.toml")" "the repo holds it sealed"

  # Reconciled: bob is known, but without a policy he may do nothing.
  eventually 20 "bob known after user add" fails_with AccessDenied aws_as bob "$secret" s3 ls \
    s3://quickstart/
  must out admin policy attach readwrite --user bob
  assert_contains "~ user bob" "$out" "the plan shows the attachment"
  eventually 20 "bob reads after policy attach" aws_as bob "$secret" s3 cp \
    s3://quickstart/hello.txt got.txt
  assert_files_equal hello.txt got.txt "bob's GET"
  aws_as bob "$secret" s3 cp hello.txt s3://quickstart/from-bob.txt

  must out admin user disable bob
  eventually 20 "bob refused after user disable" denied aws_as bob "$secret" s3 cp \
    s3://quickstart/hello.txt got2.txt

  admin user enable bob >/dev/null
  eventually 20 "bob back after user enable" aws_as bob "$secret" s3 cp \
    s3://quickstart/hello.txt got4.txt

  head=$(git -C "$repo" rev-parse HEAD)
  must out admin user remove bob
  assert_contains "- user bob" "$out" "the plan shows the removal"
  assert_eq "admin: remove user bob" "$(git -C "$repo" log -1 --format=%s)" "removal commit"
  [[ "$(git -C "$repo" rev-parse HEAD~1)" == "$head" ]] || fail "one commit per verb"
  eventually 20 "bob refused after user remove" denied aws_as bob "$secret" s3 ls \
    s3://quickstart/
  expect_fail "InvalidAccessKeyId" "a removed user's key is unknown" \
    aws_as bob "$secret" s3 ls s3://quickstart/
  # The repo was only ever changed by commits.
  assert_eq "" "$(git -C "$repo" status --porcelain)" "clean work tree"
}

case_anonymous_download() {
  local url="$coffer_endpoint/quickstart/pub.txt"
  echo "public bytes" >pub.txt
  aws_as "$COFFER_ACCESS_KEY" "$COFFER_SECRET_KEY" s3 cp pub.txt s3://quickstart/pub.txt
  assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -m 10 "$url")" "anonymous before"
  must out admin anonymous set download quickstart
  assert_contains "anonymous: none -> download" "$out" "the plan"
  eventually 20 "anonymous GET after anonymous set download" curl -fsS -m 10 -o got.txt "$url"
  assert_files_equal pub.txt got.txt "anonymous GET"
  assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -m 10 -X PUT --data-binary x \
    "$coffer_endpoint/quickstart/anon-put.txt")" "download does not allow PUT"
  must out admin anonymous set none quickstart
  eventually 20 "anonymous refused after anonymous set none" denied curl -fsS -m 10 -o /dev/null \
    "$url"

  # A prefix: a generated bucket policy for "*" on quickstart/pub/*, nothing else.
  aws_as "$COFFER_ACCESS_KEY" "$COFFER_SECRET_KEY" s3 cp pub.txt s3://quickstart/pub/a.txt
  must out admin anonymous set download quickstart/pub/
  assert_contains "~ bucket quickstart" "$out" "the plan"
  eventually 20 "anonymous GET under the prefix" curl -fsS -m 10 -o got2.txt \
    "$coffer_endpoint/quickstart/pub/a.txt"
  assert_files_equal pub.txt got2.txt "anonymous GET under the prefix"
  assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -m 10 "$url")" "outside the prefix"
}

case_refusals() {
  local head out
  head=$(git -C "$repo" rev-parse HEAD)
  expect_fail "nothing was written" "sse-kms without a key service" \
    admin encrypt set sse-kms k1 quickstart
  must out admin policy attach quickstart-home --user viewer --dry-run
  assert_contains "~ user viewer" "$out" "a dry run prints the plan"
  assert_eq "$head" "$(git -C "$repo" rev-parse HEAD)" "refusals and dry runs commit nothing"
  admin policy attach quickstart-home --user viewer >/dev/null
  expect_fail "attached to user viewer" "removing an attached policy" \
    admin policy remove quickstart-home
  admin policy remove quickstart-home --force >/dev/null
  assert_eq "admin: remove policy quickstart-home (detached from user viewer)" \
    "$(git -C "$repo" log -1 --format=%s)" "forced removal"
}

run_case user_lifecycle case_user_lifecycle
run_case anonymous_download case_anonymous_download
run_case refusals case_refusals
e2e_finish
