#!/usr/bin/env bash
# Server-side encryption through Debian's aws CLI (2.9) over HTTPS against
# `coffer serve` (issue #9): `s3 cp --sse AES256`, `--sse aws:kms
# --sse-kms-key-id`, `--sse-c AES256 --sse-c-key`, multipart uploads of a
# large file in each mode, ranged reads with s3api get-object --range, the
# response headers clients see, SSE-C refused without its key or with a
# wrong one, SSE-C key rotation and SSE-S3 -> SSE-KMS by copy, and bucket
# default encryption.
#
# Needs COFFER_BIN and COFFER_SOURCE_DIR (ctest sets both).
set -euo pipefail
# shellcheck source=conformance/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init sse
# The quickstart repo plus an in-process key service that makes the SSE-KMS
# key at start.
cp -r "$COFFER_SOURCE_DIR/fixtures/quickstart" "$work/repo"
cat >"$work/repo/key_service.toml" <<'TOML'
[key_service]
address = "in-process"
create_keys = ["e2e-kms-key"]
TOML
E2E_TLS=1 start_coffer "$work/repo"

KMS_KEY=e2e-kms-key
BUCKET=sse-bkt
# A 32-byte SSE-C key in the form the aws CLI takes it (raw characters).
SSE_C_KEY=0123456789abcdef0123456789ABCDEF
SSE_C_KEY2=ZYXWVUTSRQPONMLKJIHGFEDCBA987654

aws_() { bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$coffer_endpoint" --ca-bundle "$E2E_CA" "$@"; }
aws_big() { bounded 180 "$E2E_AWS" --endpoint-url "$coffer_endpoint" --ca-bundle "$E2E_CA" "$@"; }
slice() { dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }  # FILE OFF LEN
field() { "$E2E_PY" -c 'import json,sys; d=json.load(sys.stdin); print(d.get(sys.argv[1], ""))' "$1"; }

# A file whose every 64-byte line is distinct and names the suite.
make_file() {  # make_file PATH BYTES
  "$E2E_PY" - "$1" "$2" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
out = bytearray()
i = 0
while len(out) < n:
    out += b"COFFER-SSE-E2E-PLAINTEXT line %08d ........................\n" % i
    i += 1
open(path, "wb").write(out[:n])
EOF
}

aws_ s3 mb "s3://$BUCKET" >/dev/null

case_sse_s3() {
  make_file small.txt 200000
  aws_ s3 cp small.txt "s3://$BUCKET/s3.txt" --sse AES256 >/dev/null
  local head
  must head aws_ s3api head-object --bucket "$BUCKET" --key s3.txt
  assert_eq AES256 "$(field ServerSideEncryption <<<"$head")" "head ServerSideEncryption"
  assert_eq 200000 "$(field ContentLength <<<"$head")" "head ContentLength (plaintext size)"
  # SSE-S3's ETag of a single PUT is the MD5 of the plaintext, as on S3.
  assert_eq "\"$(md5sum small.txt | cut -d' ' -f1)\"" "$(field ETag <<<"$head")" "ETag"
  aws_ s3 cp "s3://$BUCKET/s3.txt" back.txt >/dev/null
  assert_files_equal small.txt back.txt "SSE-S3 round trip"
  local range
  must range aws_ s3api get-object --bucket "$BUCKET" --key s3.txt --range bytes=65530-131080 part.bin
  assert_eq AES256 "$(field ServerSideEncryption <<<"$range")" "range ServerSideEncryption"
  slice small.txt 65530 65551 >want.bin
  assert_files_equal want.bin part.bin "SSE-S3 ranged read across packages"
}

case_sse_kms() {
  make_file kms.txt 100000
  aws_ s3 cp kms.txt "s3://$BUCKET/kms.txt" --sse aws:kms --sse-kms-key-id "$KMS_KEY" >/dev/null
  local head
  must head aws_ s3api head-object --bucket "$BUCKET" --key kms.txt
  assert_eq aws:kms "$(field ServerSideEncryption <<<"$head")" "ServerSideEncryption"
  assert_contains "$KMS_KEY" "$(field SSEKMSKeyId <<<"$head")" "SSEKMSKeyId"
  aws_ s3 cp "s3://$BUCKET/kms.txt" back.txt >/dev/null
  assert_files_equal kms.txt back.txt "SSE-KMS round trip"
  expect_fail "KMS.NotFoundException" "unknown KMS key" \
    aws_ s3 cp kms.txt "s3://$BUCKET/kms2.txt" --sse aws:kms --sse-kms-key-id no-such-key
}

case_sse_c() {
  make_file c.txt 150000
  aws_ s3 cp c.txt "s3://$BUCKET/c.txt" --sse-c AES256 --sse-c-key "$SSE_C_KEY" >/dev/null
  expect_fail "400" "HEAD without the key" aws_ s3api head-object --bucket "$BUCKET" --key c.txt
  expect_fail "403" "HEAD with a wrong key" aws_ s3api head-object --bucket "$BUCKET" --key c.txt \
    --sse-customer-algorithm AES256 --sse-customer-key "$SSE_C_KEY2"
  local head
  must head aws_ s3api head-object --bucket "$BUCKET" --key c.txt \
    --sse-customer-algorithm AES256 --sse-customer-key "$SSE_C_KEY"
  assert_eq AES256 "$(field SSECustomerAlgorithm <<<"$head")" "SSECustomerAlgorithm"
  assert_eq 150000 "$(field ContentLength <<<"$head")" "ContentLength"
  aws_ s3 cp "s3://$BUCKET/c.txt" back.txt --sse-c AES256 --sse-c-key "$SSE_C_KEY" >/dev/null
  assert_files_equal c.txt back.txt "SSE-C round trip"
  aws_ s3api get-object --bucket "$BUCKET" --key c.txt --range bytes=100-70000 \
    --sse-customer-algorithm AES256 --sse-customer-key "$SSE_C_KEY" part.bin >/dev/null
  slice c.txt 100 69901 >want.bin
  assert_files_equal want.bin part.bin "SSE-C ranged read"
  # Key rotation: copy the object onto itself under a new key.
  aws_ s3 cp "s3://$BUCKET/c.txt" "s3://$BUCKET/c.txt" --sse-c-copy-source AES256 \
    --sse-c-copy-source-key "$SSE_C_KEY" --sse-c AES256 --sse-c-key "$SSE_C_KEY2" >/dev/null
  expect_fail "403" "old key after rotation" aws_ s3api head-object --bucket "$BUCKET" \
    --key c.txt --sse-customer-algorithm AES256 --sse-customer-key "$SSE_C_KEY"
  aws_ s3 cp "s3://$BUCKET/c.txt" rotated.txt --sse-c AES256 --sse-c-key "$SSE_C_KEY2" >/dev/null
  assert_files_equal c.txt rotated.txt "SSE-C after key rotation"
}

case_multipart() {
  make_file big.bin $((20 * 1024 * 1024 + 12345))
  aws_big s3 cp big.bin "s3://$BUCKET/big-c.bin" --sse-c AES256 --sse-c-key "$SSE_C_KEY" >/dev/null
  aws_big s3 cp "s3://$BUCKET/big-c.bin" back-c.bin --sse-c AES256 --sse-c-key "$SSE_C_KEY" \
    >/dev/null
  assert_files_equal big.bin back-c.bin "multipart SSE-C round trip"
  aws_big s3 cp big.bin "s3://$BUCKET/big-s3.bin" --sse AES256 >/dev/null
  local head
  must head aws_ s3api head-object --bucket "$BUCKET" --key big-s3.bin
  assert_eq AES256 "$(field ServerSideEncryption <<<"$head")" "multipart ServerSideEncryption"
  assert_eq $((20 * 1024 * 1024 + 12345)) "$(field ContentLength <<<"$head")" "multipart size"
  assert_contains '-' "$(field ETag <<<"$head")" "multipart ETag is md5-of-md5s -N"
  # A range across the first part boundary (the CLI uses 8 MiB parts).
  aws_ s3api get-object --bucket "$BUCKET" --key big-s3.bin --range bytes=8388000-8389000 \
    part.bin >/dev/null
  slice big.bin 8388000 1001 >want.bin
  assert_files_equal want.bin part.bin "range across parts"
  aws_ s3api get-object --bucket "$BUCKET" --key big-s3.bin --part-number 2 p2.bin >/dev/null
  slice big.bin 8388608 8388608 >want2.bin
  assert_files_equal want2.bin p2.bin "GET partNumber=2"
  aws_big s3 cp "s3://$BUCKET/big-s3.bin" back-s3.bin >/dev/null
  assert_files_equal big.bin back-s3.bin "multipart SSE-S3 round trip"
}

case_copy_s3_to_kms() {
  make_file src.txt 70000
  aws_ s3 cp src.txt "s3://$BUCKET/src.txt" --sse AES256 >/dev/null
  aws_ s3 cp "s3://$BUCKET/src.txt" "s3://$BUCKET/dst.txt" --sse aws:kms \
    --sse-kms-key-id "$KMS_KEY" >/dev/null
  local head
  must head aws_ s3api head-object --bucket "$BUCKET" --key dst.txt
  assert_eq aws:kms "$(field ServerSideEncryption <<<"$head")" "copy target mode"
  aws_ s3 cp "s3://$BUCKET/dst.txt" back.txt >/dev/null
  assert_files_equal src.txt back.txt "SSE-S3 to SSE-KMS copy"
}

case_bucket_default() {
  aws_ s3 mb "s3://sse-default" >/dev/null
  aws_ s3api put-bucket-encryption --bucket sse-default --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
  local got
  must got aws_ s3api get-bucket-encryption --bucket sse-default
  assert_contains AES256 "$got" "get-bucket-encryption"
  make_file d.txt 5000
  aws_ s3 cp d.txt s3://sse-default/d.txt >/dev/null
  local head
  must head aws_ s3api head-object --bucket sse-default --key d.txt
  assert_eq AES256 "$(field ServerSideEncryption <<<"$head")" "bucket default applied"
  aws_ s3api delete-bucket-encryption --bucket sse-default
  expect_fail "ServerSideEncryptionConfigurationNotFoundError" "after delete" \
    aws_ s3api get-bucket-encryption --bucket sse-default
}

# A key made by `coffer kms create --keys DATA/kms` (the in-process store,
# root key DATA/kms.key) while coffer serve runs: usable at once, and a
# rotation made the same way is used for new objects (seen by `coffer kms
# rewrap --verbose`, which then re-seals the old one) while old ones read.
case_cli_key_while_serving() {
  local out
  out=$(bounded 30 "$COFFER_BIN" kms create e2e-late --keys "$work/data/kms" 2>&1) ||
    fail "kms create --keys: $out"
  assert_contains "created" "$out" "kms create --keys"
  make_file late.txt 70000
  aws_ s3 cp late.txt "s3://$BUCKET/late.txt" --sse aws:kms --sse-kms-key-id e2e-late >/dev/null
  aws_ s3 cp "s3://$BUCKET/late.txt" back.txt >/dev/null
  assert_files_equal late.txt back.txt "SSE-KMS under a key created beside the server"
  out=$(bounded 30 "$COFFER_BIN" kms rotate e2e-late --keys "$work/data/kms" 2>&1) ||
    fail "kms rotate --keys: $out"
  assert_contains "version 2" "$out" "kms rotate --keys"
  out=$(bounded 30 "$COFFER_BIN" kms list --keys "$work/data/kms" 2>&1)
  assert_contains $'e2e-late\t2' "$out" "kms list --keys"
  sleep 3  # The server re-reads its store every 2 s.
  aws_ s3 cp late.txt "s3://$BUCKET/late2.txt" --sse aws:kms --sse-kms-key-id e2e-late >/dev/null
  aws_ s3 cp "s3://$BUCKET/late.txt" back.txt >/dev/null
  assert_files_equal late.txt back.txt "version 1 object after a rotation beside the server"
  aws_ s3 cp "s3://$BUCKET/late2.txt" back.txt >/dev/null
  assert_files_equal late.txt back.txt "object written after the rotation"
  # The server sealed the new object under version 2, the old one under 1:
  # a rewrap (in-process store, beside the running server) shows both.
  out=$(bounded 120 "$COFFER_BIN" kms rewrap --data "$work/data" --bucket "$BUCKET" --verbose 2>&1) ||
    fail "kms rewrap: $out"
  grep -q "^$BUCKET/late2.txt?versionId=.*: e2e-late v2 -> v2$" <<<"$out" ||
    fail "object written after the rotation is not under version 2: $out"
  grep -q "^$BUCKET/late.txt?versionId=.*: e2e-late v1 -> v2$" <<<"$out" ||
    fail "object written before the rotation: $out"
  aws_ s3 cp "s3://$BUCKET/late.txt" back.txt >/dev/null
  assert_files_equal late.txt back.txt "rewrapped object"
}

run_case sse_s3 case_sse_s3
run_case sse_kms case_sse_kms
run_case sse_c case_sse_c
run_case multipart case_multipart
run_case copy_s3_to_kms case_copy_s3_to_kms
run_case bucket_default case_bucket_default
run_case cli_key_while_serving case_cli_key_while_serving
e2e_finish
