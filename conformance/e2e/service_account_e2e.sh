#!/usr/bin/env bash
# End to end: service accounts through the admin API of a real `coffer serve`.
# A config repo declares user alice (readwrite on one bucket); alice creates a
# service account for herself, narrowed to reading, by signing the admin
# request with curl's own SigV4 (--aws-sigv4); the account is then used with
# Debian's unmodified awscli (reads work, a write is denied although alice may
# write), listed without its secret, refused the creation of another account,
# and deleted, after which its key is unknown (InvalidAccessKeyId).
# Needs COFFER_BIN and COFFER_SOURCE_DIR; E2E_KEEP=1 keeps the work dir.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init service_account_e2e

ALICE_SECRET=alice-secret-key-0123456789
export E2E_ALICE_SECRET=$ALICE_SECRET
BUCKET=sa-e2e
ADMIN_PATH=/coffer/admin/v1/service-accounts

repo="$work/repo"
mkdir -p "$repo"
cat >"$repo/coffer.toml" <<'EOF'
[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[buckets.sa-e2e]

[policies.sa-e2e-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::sa-e2e","arn:aws:s3:::sa-e2e/*"]}]}'''

[users.alice]
secret = "env:E2E_ALICE_SECRET"
policies = ["sa-e2e-rw"]
EOF

start_coffer "$repo"

# admin KEY SECRET METHOD PATH [BODY]: a SigV4-signed admin request (curl
# signs it; curl 7.88 does not add x-amz-content-sha256 itself, so the body's
# hash is passed and signed as a header); prints the body, then the status on
# the last line.
admin() {
  local key=$1 secret=$2 method=$3 path=$4 body=${5:-}
  local hash
  hash=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
  local args=(-sS -m "$E2E_CALL_TIMEOUT" -X "$method" --aws-sigv4 "aws:amz:us-east-1:s3"
    --user "$key:$secret" -H "x-amz-content-sha256: $hash" -w '\n%{http_code}')
  if [[ -n "$body" ]]; then
    args+=(-H 'content-type: application/json' --data-binary "$body")
  fi
  bounded "$E2E_CALL_TIMEOUT" curl "${args[@]}" "$coffer_endpoint$path"
}
status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
json_get() {  # json_get EXPR: evaluates EXPR over the JSON on stdin (bound to d)
  "$E2E_PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
# aws_as KEY SECRET ARGS...: awscli with the given credentials.
aws_as() {
  local key=$1 secret=$2
  shift 2
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret \
    bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    --cli-connect-timeout 10 --cli-read-timeout 60 "$@"
}

case_service_account_lifecycle() {
  local out sa_key sa_secret
  echo "hello from alice" >hello.txt
  aws_as alice "$ALICE_SECRET" s3 cp hello.txt "s3://$BUCKET/hello.txt"

  # alice creates a read-only account for herself: no admin rights needed.
  local policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::sa-e2e","arn:aws:s3:::sa-e2e/*"]}]}'
  out=$(admin alice "$ALICE_SECRET" POST "$ADMIN_PATH" "{\"policy\": $policy}")
  assert_eq 200 "$(status_of "$out")" "create as alice: $(body_of "$out")"
  sa_key=$(body_of "$out" | json_get 'd["accessKey"]')
  sa_secret=$(body_of "$out" | json_get 'd["secretKey"]')
  assert_eq alice "$(body_of "$out" | json_get 'd["parent"]')" "parent defaults to the caller"
  assert_eq 20 "${#sa_key}" "generated access key length"
  assert_eq 40 "${#sa_secret}" "generated secret length"

  # The account works with a real S3 client at once, inside its own policy.
  assert_contains "hello.txt" "$(aws_as "$sa_key" "$sa_secret" s3 ls "s3://$BUCKET/")" \
    "ls as the service account"
  aws_as "$sa_key" "$sa_secret" s3 cp "s3://$BUCKET/hello.txt" back.txt
  assert_files_equal hello.txt back.txt "get as the service account"
  # alice may write; her read-only account may not.
  expect_fail "AccessDenied" "put outside the account's policy" \
    aws_as "$sa_key" "$sa_secret" s3 cp hello.txt "s3://$BUCKET/denied.txt"
  aws_as alice "$ALICE_SECRET" s3 cp hello.txt "s3://$BUCKET/allowed.txt"

  # Listed without its secret.
  out=$(admin alice "$ALICE_SECRET" GET "$ADMIN_PATH")
  assert_eq 200 "$(status_of "$out")" "list as alice"
  assert_contains "$sa_key" "$(body_of "$out")" "list names the account"
  assert_not_contains "$sa_secret" "$(body_of "$out")" "list never shows the secret"
  assert_not_contains "secretKey" "$(body_of "$out")" "list has no secret field"

  # A service account cannot mint another one.
  out=$(admin "$sa_key" "$sa_secret" POST "$ADMIN_PATH" '{}')
  assert_eq 403 "$(status_of "$out")" "create as the service account"
  assert_contains '"Code":"AccessDenied"' "$(body_of "$out")" "its error is JSON"

  # Deleted: the key is unknown on the next request.
  out=$(admin alice "$ALICE_SECRET" DELETE "$ADMIN_PATH/$sa_key")
  assert_eq 204 "$(status_of "$out")" "delete as alice"
  expect_fail "InvalidAccessKeyId" "the deleted key" \
    aws_as "$sa_key" "$sa_secret" s3 ls "s3://$BUCKET/"
  out=$(admin alice "$ALICE_SECRET" GET "$ADMIN_PATH")
  assert_not_contains "$sa_key" "$(body_of "$out")" "the deleted account is not listed"
}

case_admin_errors() {
  local out
  out=$(admin alice "$ALICE_SECRET" POST "$ADMIN_PATH" '{not json')
  assert_eq 400 "$(status_of "$out")" "bad JSON"
  assert_contains '"Code":"MalformedJSON"' "$(body_of "$out")" "bad JSON code"
  out=$(admin alice "$ALICE_SECRET" POST "$ADMIN_PATH" '{"parent":"root-or-anyone"}')
  assert_eq 403 "$(status_of "$out")" "another parent without admin rights"
  out=$(admin alice wrong-secret-0123456789 GET "$ADMIN_PATH")
  assert_eq 403 "$(status_of "$out")" "a bad signature"
  assert_contains SignatureDoesNotMatch "$(body_of "$out")" "a bad signature's code"
  out=$(admin alice "$ALICE_SECRET" GET /coffer/admin/v1/unknown)
  assert_eq 404 "$(status_of "$out")" "unknown admin route"
  # Root manages anyone's accounts.
  out=$(admin "$COFFER_ACCESS_KEY" "$COFFER_SECRET_KEY" POST "$ADMIN_PATH" '{"parent":"alice"}')
  assert_eq 200 "$(status_of "$out")" "root creates for alice"
}

run_case service_account_lifecycle case_service_account_lifecycle
run_case admin_errors case_admin_errors
e2e_finish
