#!/usr/bin/env bash
# End to end: AssumeRoleWithCertificate (issue #10) on a real `coffer serve`
# over HTTPS with optional mutual TLS (--client-cert optional):
#   - a client CA made with openssl sits in the certs dir's CAs/, next to the
#     server CA from `coffer certs generate`;
#   - curl --cert/--key posts Action=AssumeRoleWithCertificate; the answer is
#     AWS STS XML with AccessKeyId, SecretAccessKey, SessionToken, Expiration;
#   - the temporary credentials (with their session token) are used with
#     Debian's aws CLI: the policy named by the certificate's CN allows GET and
#     denies PUT (and everything on another bucket);
#   - refused: a certificate of an untrusted CA (the handshake fails), no
#     certificate (AccessDenied), a CN that names no policy (AccessDenied),
#     plain HTTP (AccessDenied naming HTTPS), DurationSeconds out of range.
# Needs COFFER_BIN and COFFER_SOURCE_DIR; E2E_KEEP=1 keeps the work dir.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init sts_cert_e2e

BUCKET=cert-e2e
OTHER=cert-other
repo="$work/repo"
mkdir -p "$repo"
cat >"$repo/coffer.toml" <<'EOF'
[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[buckets.cert-e2e]
[buckets.cert-other]

# The policy a client certificate with CN=cert-reader gets (MinIO's rule).
[policies.cert-reader]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["s3:GetObject","s3:ListBucket"],
  "Resource":["arn:aws:s3:::cert-e2e","arn:aws:s3:::cert-e2e/*"]}]}'''
EOF

# Server certificate from coffer itself; a client CA, two client certificates
# it signs (one whose CN names a policy, one whose CN does not) and a rogue CA
# with a certificate of the right CN, all from openssl.
certs="$work/certs"
"$COFFER_BIN" certs generate --host localhost --ip 127.0.0.1 --out "$certs" \
  >"$work/certs.out" 2>&1 || fail "coffer certs generate failed: $(cat "$work/certs.out")"
pki="$work/pki"
mkdir -p "$pki"
ossl() { openssl "$@" >>"$work/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -3 "$work/openssl.log")"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" \
  -out "$pki/ca.crt" -days 2 -subj "/CN=Coffer e2e client CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/rogue-ca.key" \
  -out "$pki/rogue-ca.crt" -days 2 -subj "/CN=Rogue CA"
issue() {  # issue NAME CN CA
  printf 'extendedKeyUsage=clientAuth\n' >"$pki/$1.ext"
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" \
    -out "$pki/$1.csr" -subj "/O=Coffer e2e/CN=$2"
  ossl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.crt" -CAkey "$pki/$3.key" -CAcreateserial \
    -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}
issue reader cert-reader ca
issue nopolicy no-such-policy ca
issue rogue cert-reader rogue-ca
cp "$pki/ca.crt" "$certs/CAs/e2e-client-ca.crt"

SERVER_CA="$certs/CAs/coffer-local-ca.crt"
export AWS_CA_BUNDLE=$SERVER_CA REQUESTS_CA_BUNDLE=$SERVER_CA CURL_CA_BUNDLE=$SERVER_CA
port=$(free_port)
plain_port=$(free_port)
endpoint="https://127.0.0.1:$port"
COFFER_ROOT_USER=$COFFER_ACCESS_KEY COFFER_ROOT_PASSWORD=$COFFER_SECRET_KEY \
  "$COFFER_BIN" serve --data "$work/data" --config "$repo" --certs-dir "$certs" \
  --address "127.0.0.1:$port" --plain-address "127.0.0.1:$plain_port" \
  --client-cert optional --reconcile-interval 5 \
  >>"$work/coffer.out" 2>>"$work/coffer.log" &
coffer_pid=$!
for _ in $(seq 1 600); do
  kill -0 "$coffer_pid" 2>/dev/null || fail "coffer serve exited: $(tail -5 "$work/coffer.log")"
  curl -s -m 2 -o /dev/null -f "$endpoint/minio/health/ready" && break
  sleep 0.1
done
curl -s -m 2 -o /dev/null -f "$endpoint/minio/health/ready" || fail "coffer serve not ready"
e2e_log "coffer serve pid $coffer_pid on $endpoint (plain $plain_port, mTLS optional)"

aws_() { bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$endpoint" "$@"; }
echo "hello certificate" >"$work/hello.txt"
aws_ s3api put-object --bucket "$BUCKET" --key seed.txt --body "$work/hello.txt" >/dev/null

# sts_cert OUT [CURL ARGS...]: POSTs AssumeRoleWithCertificate; OUT gets the
# body, stdout the HTTP status ("000" when the connection failed).
sts_cert() {
  local out=$1
  shift
  bounded 30 curl -sS -m 20 -o "$out" -w '%{http_code}' -X POST \
    -H 'content-type: application/x-www-form-urlencoded' \
    --data 'Action=AssumeRoleWithCertificate&Version=2011-06-15' "$@" || true
}
# xml_field FILE NAME: the text of the first <NAME> element.
xml_field() { sed -n "s:.*<$2>\([^<]*\)</$2>.*:\1:p" "$1" | head -1; }
with_cert_session() {
  AWS_ACCESS_KEY_ID=$(xml_field "$work/reader.xml" AccessKeyId) \
    AWS_SECRET_ACCESS_KEY=$(xml_field "$work/reader.xml" SecretAccessKey) \
    AWS_SESSION_TOKEN=$(xml_field "$work/reader.xml" SessionToken) "$@"
}

case_trusted_certificate() {
  local status
  status=$(sts_cert "$work/reader.xml" --cert "$pki/reader.crt" --key "$pki/reader.key" \
    "$endpoint/")
  assert_eq 200 "$status" "AssumeRoleWithCertificate status ($(cat "$work/reader.xml"))"
  local body ak sk token exp
  body=$(cat "$work/reader.xml")
  assert_contains "<AssumeRoleWithCertificateResponse" "$body" "response element"
  assert_contains "https://sts.amazonaws.com/doc/2011-06-15/" "$body" "STS namespace"
  ak=$(xml_field "$work/reader.xml" AccessKeyId)
  sk=$(xml_field "$work/reader.xml" SecretAccessKey)
  token=$(xml_field "$work/reader.xml" SessionToken)
  exp=$(xml_field "$work/reader.xml" Expiration)
  assert_eq 20 "${#ak}" "access key length"
  ((${#sk} >= 32)) || fail "secret key too short: ${#sk}"
  ((${#token} > 40)) || fail "session token too short: ${#token}"
  local left=$(($(date -d "$exp" +%s) - $(date +%s)))
  ((left > 3500 && left <= 3600)) || fail "expiration $exp is $left s away, want ~3600"
  assert_contains "<RequestId>" "$body" "ResponseMetadata"
  # Allowed by cert-reader: GET and list on the bucket.
  with_cert_session aws_ s3 cp "s3://$BUCKET/seed.txt" "$work/got.txt" >/dev/null
  assert_files_equal "$work/hello.txt" "$work/got.txt" "GET with certificate session"
  local listing
  must listing with_cert_session aws_ s3api list-objects-v2 --bucket "$BUCKET"
  assert_contains seed.txt "$listing" "list with certificate session"
  # Denied: PUT, and anything on another bucket.
  expect_fail AccessDenied "PUT outside cert-reader" \
    with_cert_session aws_ s3api put-object --bucket "$BUCKET" --key x --body "$work/hello.txt"
  expect_fail AccessDenied "list of another bucket" \
    with_cert_session aws_ s3api list-objects-v2 --bucket "$OTHER"
  # Without its token the key is refused; with a tampered token too.
  expect_fail MissingSecurityHeader "session key without token" \
    env AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" \
    "$E2E_AWS" --endpoint-url "$endpoint" s3 ls "s3://$BUCKET"
  local tampered="${token:0:30}$([[ ${token:30:1} == A ]] && echo B || echo A)${token:31}"
  expect_fail InvalidToken "tampered token" \
    env AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" AWS_SESSION_TOKEN="$tampered" \
    "$E2E_AWS" --endpoint-url "$endpoint" s3 ls "s3://$BUCKET"
}

case_duration() {
  local status
  status=$(sts_cert "$work/short.xml" --cert "$pki/reader.crt" --key "$pki/reader.key" \
    --data 'DurationSeconds=900' "$endpoint/")
  assert_eq 200 "$status" "DurationSeconds=900"
  local left=$(($(date -d "$(xml_field "$work/short.xml" Expiration)" +%s) - $(date +%s)))
  ((left > 800 && left <= 900)) || fail "900 s session expires in $left s"
  status=$(sts_cert "$work/tooshort.xml" --cert "$pki/reader.crt" --key "$pki/reader.key" \
    --data 'DurationSeconds=60' "$endpoint/")
  assert_eq 400 "$status" "DurationSeconds=60 status"
  assert_contains "<Code>InvalidParameterValue</Code>" "$(cat "$work/tooshort.xml")" "60 s code"
  assert_not_contains "<SessionToken>" "$(cat "$work/tooshort.xml")" "no credentials"
}

case_refused() {
  local status body
  # No client certificate: TLS works, STS refuses.
  status=$(sts_cert "$work/nocert.xml" "$endpoint/")
  body=$(cat "$work/nocert.xml")
  assert_eq 403 "$status" "no certificate status"
  assert_contains "<Code>AccessDenied</Code>" "$body" "no certificate code"
  assert_not_contains "<SessionToken>" "$body" "no certificate: no credentials"
  # A certificate from a CA the appliance does not trust: the handshake fails.
  rm -f "$work/rogue.xml"
  status=$(sts_cert "$work/rogue.xml" --cert "$pki/rogue.crt" --key "$pki/rogue.key" \
    "$endpoint/")
  assert_eq 000 "$status" "untrusted CA: no HTTP answer"
  if [[ -f "$work/rogue.xml" ]]; then
    assert_not_contains "<SessionToken>" "$(cat "$work/rogue.xml")" "untrusted CA credentials"
  fi
  # A trusted certificate whose CN names no policy.
  status=$(sts_cert "$work/nopolicy.xml" --cert "$pki/nopolicy.crt" --key "$pki/nopolicy.key" \
    "$endpoint/")
  body=$(cat "$work/nopolicy.xml")
  assert_eq 403 "$status" "CN without policy status"
  assert_contains "<Code>AccessDenied</Code>" "$body" "CN without policy code"
  assert_not_contains "<SessionToken>" "$body" "CN without policy: no credentials"
  # Plain HTTP (no TLS, so no certificate can be presented).
  status=$(sts_cert "$work/plain.xml" "http://127.0.0.1:$plain_port/")
  body=$(cat "$work/plain.xml")
  assert_eq 403 "$status" "plain HTTP status"
  assert_contains "<Code>AccessDenied</Code>" "$body" "plain HTTP code"
  assert_contains "HTTPS" "$body" "plain HTTP message"
  # The server is still fine after the refusals.
  status=$(sts_cert "$work/again.xml" --cert "$pki/reader.crt" --key "$pki/reader.key" \
    "$endpoint/")
  assert_eq 200 "$status" "trusted certificate after the refusals"
}

case_listed() {
  local listing
  must listing "$COFFER_BIN" admin sts list --store "$work/data/iam.db" --json
  assert_contains "$(xml_field "$work/reader.xml" AccessKeyId)" "$listing" "sts list"
  assert_contains "tls:cert-reader" "$listing" "certificate session parent"
  assert_not_contains "$(xml_field "$work/reader.xml" SecretAccessKey)" "$listing" "no secret"
}

run_case trusted_certificate case_trusted_certificate
run_case duration case_duration
run_case refused case_refused
run_case listed case_listed
e2e_finish
