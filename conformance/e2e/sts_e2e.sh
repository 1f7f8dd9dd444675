#!/usr/bin/env bash
# End to end: STS temporary credentials (issue #10) on a real `coffer serve`
# over HTTPS (certificates from `coffer certs generate`), with Debian's
# unmodified awscli 2 and boto3:
#   - `aws sts assume-role` as an IAM user, with and without a session policy;
#     S3 calls with the temporary credentials are allowed and denied exactly
#     as parent-policies ∩ session-policy say (a wider session policy adds
#     nothing);
#   - bad input: a malformed session policy, a tampered token, a missing
#     token; (boto3, client-side validation off) DurationSeconds out of range
#     and an oversized policy;
#   - expiry: a session of a few seconds (test-only minimum) answers
#     ExpiredToken afterwards;
#   - `coffer admin sts list` shows sessions without secrets, `revoke` kills one
#     while serve runs (refused within a few hundred ms: the daemon polls the
#     store's data_version);
#   - the admin API lists and revokes sessions (the very next request is
#     refused) and authorizes session credentials by their effective policy;
#   - STS over the plain-HTTP listener is refused.
# Needs COFFER_BIN and COFFER_SOURCE_DIR; E2E_KEEP=1 keeps the work dir.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init sts_e2e

export E2E_ALICE_SECRET=alice-secret-key-0123456789
BUCKET=sts-e2e
OTHER=sts-other
# The shortest session this test asks for (COFFER_TESTING builds only).
MIN_DURATION=4

repo="$work/repo"
mkdir -p "$repo"
cat >"$repo/coffer.toml" <<'EOF'
[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[buckets.sts-e2e]
[buckets.sts-other]

[policies.sts-e2e-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::sts-e2e","arn:aws:s3:::sts-e2e/*"]}]}'''

[users.alice]
secret = "env:E2E_ALICE_SECRET"
policies = ["sts-e2e-rw"]
EOF

# HTTPS on the main address, plain HTTP beside it (for the refusal case).
certs="$work/certs"
"$COFFER_BIN" certs generate --host localhost --ip 127.0.0.1 --out "$certs" \
  >"$work/certs.out" 2>&1 || fail "coffer certs generate failed: $(cat "$work/certs.out")"
export AWS_CA_BUNDLE="$certs/CAs/coffer-local-ca.crt"
export REQUESTS_CA_BUNDLE=$AWS_CA_BUNDLE CURL_CA_BUNDLE=$AWS_CA_BUNDLE
port=$(free_port)
plain_port=$(free_port)
endpoint="https://127.0.0.1:$port"
COFFER_ROOT_USER=$COFFER_ACCESS_KEY COFFER_ROOT_PASSWORD=$COFFER_SECRET_KEY \
  "$COFFER_BIN" serve --data "$work/data" --config "$repo" --certs-dir "$certs" \
  --address "127.0.0.1:$port" --plain-address "127.0.0.1:$plain_port" \
  --reconcile-interval 60 --sts-min-duration-for-test "$MIN_DURATION" \
  >>"$work/coffer.out" 2>>"$work/coffer.log" &
coffer_pid=$!
for _ in $(seq 1 600); do
  kill -0 "$coffer_pid" 2>/dev/null || fail "coffer serve exited: $(tail -5 "$work/coffer.log")"
  curl -s -m 2 -o /dev/null -f "$endpoint/minio/health/ready" && break
  sleep 0.1
done
curl -s -m 2 -o /dev/null -f "$endpoint/minio/health/ready" || fail "coffer serve not ready"
e2e_log "coffer serve pid $coffer_pid on $endpoint (plain $plain_port)"

aws_() { bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$endpoint" "$@"; }
as_alice() { AWS_ACCESS_KEY_ID=alice AWS_SECRET_ACCESS_KEY=$E2E_ALICE_SECRET "$@"; }
# with_session FILE CMD...: runs CMD with the credentials of an assume-role answer.
with_session() {
  local file=$1
  shift
  AWS_ACCESS_KEY_ID=$(jq -r .Credentials.AccessKeyId "$file") \
    AWS_SECRET_ACCESS_KEY=$(jq -r .Credentials.SecretAccessKey "$file") \
    AWS_SESSION_TOKEN=$(jq -r .Credentials.SessionToken "$file") "$@"
}

echo "hello sts" >"$work/hello.txt"
aws_ s3api put-object --bucket "$BUCKET" --key seed.txt --body "$work/hello.txt" >/dev/null
cat >"$work/read-only.json" <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
 "Resource":["arn:aws:s3:::sts-e2e","arn:aws:s3:::sts-e2e/*"]}]}
EOF
cat >"$work/everything.json" <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}
EOF

case_assume_role_parent_rights() {
  as_alice aws_ sts assume-role --role-arn arn:aws:iam::123456789012:role/any \
    --role-session-name e2e >"$work/plain.json"
  local ak exp
  ak=$(jq -r .Credentials.AccessKeyId "$work/plain.json")
  exp=$(jq -r .Credentials.Expiration "$work/plain.json")
  assert_eq 20 "${#ak}" "access key length"
  # Default duration: one hour from now (give or take the run's slowness).
  local left=$(($(date -d "$exp" +%s) - $(date +%s)))
  ((left > 3500 && left <= 3600)) || fail "expiration $exp is $left s away, want ~3600"
  with_session "$work/plain.json" aws_ s3api put-object --bucket "$BUCKET" --key by-session.txt \
    --body "$work/hello.txt" >/dev/null
  with_session "$work/plain.json" aws_ s3 cp "s3://$BUCKET/seed.txt" "$work/got.txt" >/dev/null
  assert_files_equal "$work/hello.txt" "$work/got.txt" "GET with session credentials"
  expect_fail AccessDenied "session PUT outside the parent's policy" \
    with_session "$work/plain.json" aws_ s3api put-object --bucket "$OTHER" --key x \
    --body "$work/hello.txt"
}

case_session_policy_narrows() {
  as_alice aws_ sts assume-role --role-arn arn:aws:iam::123456789012:role/any \
    --role-session-name ro --duration-seconds 900 --policy "file://$work/read-only.json" \
    >"$work/ro.json"
  with_session "$work/ro.json" aws_ s3 cp "s3://$BUCKET/seed.txt" "$work/got-ro.txt" >/dev/null
  expect_fail AccessDenied "PUT denied by the session policy" \
    with_session "$work/ro.json" aws_ s3api put-object --bucket "$BUCKET" --key ro.txt \
    --body "$work/hello.txt"
  # A session policy wider than the parent grants nothing more.
  as_alice aws_ sts assume-role --role-arn arn:aws:iam::123456789012:role/any \
    --role-session-name wide --policy "file://$work/everything.json" >"$work/wide.json"
  with_session "$work/wide.json" aws_ s3api put-object --bucket "$BUCKET" --key wide.txt \
    --body "$work/hello.txt" >/dev/null
  expect_fail AccessDenied "widened session policy outside the parent" \
    with_session "$work/wide.json" aws_ s3api put-object --bucket "$OTHER" --key wide.txt \
    --body "$work/hello.txt"
}

case_bad_input() {
  expect_fail MalformedPolicyDocument "malformed session policy" \
    as_alice aws_ sts assume-role --role-arn arn:aws:iam::1:role/x --role-session-name bad \
    --policy '{"Statement":"nope"}'
  expect_fail SignatureDoesNotMatch "wrong secret" \
    env AWS_ACCESS_KEY_ID=alice AWS_SECRET_ACCESS_KEY=wrong "$E2E_AWS" --endpoint-url "$endpoint" \
    sts assume-role --role-arn arn:aws:iam::1:role/x --role-session-name bad
  local token
  token=$(jq -r .Credentials.SessionToken "$work/plain.json")
  local tampered="${token:0:40}$([[ ${token:40:1} == A ]] && echo B || echo A)${token:41}"
  expect_fail InvalidToken "tampered token" \
    env AWS_ACCESS_KEY_ID="$(jq -r .Credentials.AccessKeyId "$work/plain.json")" \
    AWS_SECRET_ACCESS_KEY="$(jq -r .Credentials.SecretAccessKey "$work/plain.json")" \
    AWS_SESSION_TOKEN="$tampered" "$E2E_AWS" --endpoint-url "$endpoint" s3 ls "s3://$BUCKET"
  expect_fail MissingSecurityHeader "missing token" \
    env AWS_ACCESS_KEY_ID="$(jq -r .Credentials.AccessKeyId "$work/plain.json")" \
    AWS_SECRET_ACCESS_KEY="$(jq -r .Credentials.SecretAccessKey "$work/plain.json")" \
    "$E2E_AWS" --endpoint-url "$endpoint" s3 ls "s3://$BUCKET"
}

case_boto3() {
  E2E_ENDPOINT=$endpoint E2E_MIN_DURATION=$MIN_DURATION E2E_BUCKET=$BUCKET E2E_OTHER=$OTHER \
    bounded 120 "$E2E_PY" "$here/sts_e2e.py"
}

# admin_call METHOD PATH KEY SECRET [TOKEN]: a SigV4-signed admin API call
# (curl's own signer); prints the body and the status on the last line.
admin_call() {
  local method=$1 path=$2 key=$3 secret=$4 token=${5:-}
  local hash
  hash=$(printf '' | sha256sum | cut -d' ' -f1)
  local args=(-sS -m "$E2E_CALL_TIMEOUT" -X "$method" --aws-sigv4 "aws:amz:us-east-1:s3"
    --user "$key:$secret" -H "x-amz-content-sha256: $hash" -w '\n%{http_code}')
  [[ -n "$token" ]] && args+=(-H "x-amz-security-token: $token")
  bounded "$E2E_CALL_TIMEOUT" curl "${args[@]}" "$endpoint$path"
}

# refused_within FILE: lists the bucket with the session of FILE (curl's own
# SigV4, so one poll costs milliseconds, not an aws CLI start) every 20 ms
# until it answers 400 InvalidToken; prints the milliseconds it took (fails
# after 10 s).
refused_within() {
  local file=$1 start now code
  local hash user token
  hash=$(printf '' | sha256sum | cut -d' ' -f1)
  user="$(jq -r .Credentials.AccessKeyId "$file"):$(jq -r .Credentials.SecretAccessKey "$file")"
  token=$(jq -r .Credentials.SessionToken "$file")
  start=$(date +%s%N)
  while :; do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
      --user "$user" -H "x-amz-security-token: $token" -H "x-amz-content-sha256: $hash" \
      "$endpoint/$BUCKET?list-type=2&max-keys=1") || true
    [[ $code == 400 ]] && break
    [[ $code == 200 ]] || fail "unexpected status $code while waiting for the revocation"
    now=$(date +%s%N)
    (((now - start) / 1000000 < 10000)) || fail "still accepted 10 s after the revocation"
    sleep 0.02
  done
  echo $((($(date +%s%N) - start) / 1000000))
}

case_revoke() {
  as_alice aws_ sts assume-role --role-arn arn:aws:iam::1:role/x --role-session-name rv \
    >"$work/rv.json"
  local ak
  ak=$(jq -r .Credentials.AccessKeyId "$work/rv.json")
  with_session "$work/rv.json" aws_ s3 ls "s3://$BUCKET" >/dev/null
  local listing
  must listing "$COFFER_BIN" admin sts list --store "$work/data/iam.db" --parent alice
  assert_contains "$ak" "$listing" "sts list"
  assert_not_contains "$(jq -r .Credentials.SecretAccessKey "$work/rv.json")" "$listing" \
    "sts list shows no secret"
  must listing "$COFFER_BIN" admin sts revoke --store "$work/data/iam.db" "$ak"
  assert_contains "revoked 1" "$listing" "sts revoke"
  # The daemon polls the store's data_version every 250 ms and swaps its
  # snapshot; the bound allows for an ASan build on a loaded 2-core machine
  # (the reconcile pass, the old backstop, runs only every 60 s here).
  local took
  took=$(refused_within "$work/rv.json")
  echo "NOTE: coffer admin sts revoke --store -> token refused after ${took} ms"
  ((took < 3000)) || fail "revocation through the store took ${took} ms"
  local out
  out=$(with_session "$work/rv.json" "$E2E_AWS" --endpoint-url "$endpoint" \
    s3 ls "s3://$BUCKET" 2>&1) && fail "revoked session still lists"
  assert_contains InvalidToken "$out" "revoked session refused"
  must listing "$COFFER_BIN" admin sts list --store "$work/data/iam.db" --json
  assert_contains '"revoked": true' "$listing" "listed as revoked"
  # Another session of the same parent still works.
  with_session "$work/plain.json" aws_ s3 ls "s3://$BUCKET" >/dev/null
}

case_admin_api_revoke() {
  as_alice aws_ sts assume-role --role-arn arn:aws:iam::1:role/x --role-session-name api \
    >"$work/api.json"
  local ak sk token
  ak=$(jq -r .Credentials.AccessKeyId "$work/api.json")
  sk=$(jq -r .Credentials.SecretAccessKey "$work/api.json")
  token=$(jq -r .Credentials.SessionToken "$work/api.json")
  with_session "$work/api.json" aws_ s3 ls "s3://$BUCKET" >/dev/null
  # The admin API lists it (root), never with its secret or token.
  local out
  out=$(admin_call GET "/coffer/admin/v1/sts-sessions?user=alice" "$COFFER_ACCESS_KEY" \
    "$COFFER_SECRET_KEY")
  assert_eq 200 "$(tail -n1 <<<"$out")" "list sessions: $out"
  assert_contains "$ak" "$out" "session listed"
  assert_not_contains "$sk" "$out" "no secret in the listing"
  assert_not_contains "$token" "$out" "no token in the listing"
  # Session credentials on the admin API: alice has no admin:* rights, so
  # her session is authenticated and denied (no own-account shortcut).
  out=$(admin_call GET /coffer/admin/v1/sts-sessions "$ak" "$sk" "$token")
  assert_eq 403 "$(tail -n1 <<<"$out")" "session without admin rights: $out"
  # Root revokes it; the very next request is refused.
  out=$(admin_call DELETE "/coffer/admin/v1/sts-sessions/$ak" "$COFFER_ACCESS_KEY" \
    "$COFFER_SECRET_KEY")
  assert_eq 200 "$(tail -n1 <<<"$out")" "revoke through the admin API: $out"
  out=$(with_session "$work/api.json" "$E2E_AWS" --endpoint-url "$endpoint" \
    s3 ls "s3://$BUCKET" 2>&1) && fail "session still works right after the admin API revoke"
  assert_contains InvalidToken "$out" "refused on the next request"
  # A root session (no session policy: root's rights) may use the admin API.
  AWS_ACCESS_KEY_ID=$COFFER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_SECRET_KEY \
    aws_ sts assume-role --role-arn arn:aws:iam::1:role/x --role-session-name root \
    >"$work/root.json"
  out=$(admin_call GET /coffer/admin/v1/sts-sessions \
    "$(jq -r .Credentials.AccessKeyId "$work/root.json")" \
    "$(jq -r .Credentials.SecretAccessKey "$work/root.json")" \
    "$(jq -r .Credentials.SessionToken "$work/root.json")")
  assert_eq 200 "$(tail -n1 <<<"$out")" "root session on the admin API: $out"
}

case_plain_http_refused() {
  local out
  out=$(curl -sS -m 10 -w '\n%{http_code}' -X POST \
    -H 'content-type: application/x-www-form-urlencoded' \
    --data 'Action=AssumeRole&Version=2011-06-15' "http://127.0.0.1:$plain_port/")
  assert_eq 403 "$(tail -n1 <<<"$out")" "plain-HTTP STS status"
  assert_contains "<Code>AccessDenied</Code>" "$out" "plain-HTTP STS code"
  assert_contains "HTTPS" "$out" "plain-HTTP STS message"
}

run_case assume_role_parent_rights case_assume_role_parent_rights
run_case session_policy_narrows case_session_policy_narrows
run_case bad_input case_bad_input
run_case boto3 case_boto3
run_case revoke case_revoke
run_case admin_api_revoke case_admin_api_revoke
run_case plain_http_refused case_plain_http_refused
e2e_finish
