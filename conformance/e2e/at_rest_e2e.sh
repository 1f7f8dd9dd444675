#!/usr/bin/env bash
# Data at rest (issue #9): known plaintext written through `coffer serve` over
# HTTPS with the aws CLI in every SSE mode (SSE-S3, SSE-KMS, SSE-C; small
# inlined objects, multi-package objects, a multipart upload), then the
# server is stopped and every byte of every file under its data folder (the
# drive folders, the SQLite IAM store, the key store) is searched: no slice
# of the plaintext and neither the SSE-C key nor its base64 form may appear.
# A control object written without encryption must be found by the same
# search, so a search that finds nothing proves something.
#
# Needs COFFER_BIN and COFFER_SOURCE_DIR (ctest sets both).
set -euo pipefail
# shellcheck source=conformance/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init at_rest
# The quickstart repo plus an in-process key service that makes the SSE-KMS
# key at start.
cp -r "$COFFER_SOURCE_DIR/fixtures/quickstart" "$work/repo"
cat >"$work/repo/key_service.toml" <<'TOML'
[key_service]
address = "in-process"
create_keys = ["e2e-kms-key"]
TOML
E2E_TLS=1 start_coffer "$work/repo"

BUCKET=atrest
KMS_KEY=e2e-kms-key
SSE_C_KEY=AtRestCustomerKey0123456789ABCDE

aws_() { bounded 180 "$E2E_AWS" --endpoint-url "$coffer_endpoint" --ca-bundle "$E2E_CA" "$@"; }

make_file() {  # make_file PATH BYTES TAG
  "$E2E_PY" - "$1" "$2" "$3" <<'EOF'
import hashlib, sys
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = bytearray()
i = 0
# Every line is unique to its file (a digest of tag and line number), so a
# 40-byte slice of one file never occurs in another: a hit names its file.
while len(out) < n:
    digest = hashlib.sha256(b"%s/%d" % (tag.encode(), i)).hexdigest().encode()
    out += b"%s-%08d-%s\n" % (tag.encode(), i, digest)
    i += 1
open(path, "wb").write(out[:n])
EOF
}

case_write_every_mode() {
  aws_ s3 mb "s3://$BUCKET" >/dev/null
  mkdir -p "$work/plain"
  make_file "$work/plain/s3-small" 3000 SSES3SMALL
  make_file "$work/plain/s3-large" 300000 SSES3LARGE
  make_file "$work/plain/kms" 200000 SSEKMSDATA
  make_file "$work/plain/c-small" 2000 SSECSMALL
  make_file "$work/plain/c-large" 250000 SSECLARGE
  make_file "$work/plain/c-multipart" $((12 * 1024 * 1024)) SSECMULTI
  make_file "$work/plain/control" 100000 CONTROLPLAIN
  aws_ s3 cp "$work/plain/s3-small" "s3://$BUCKET/s3-small" --sse AES256 >/dev/null
  aws_ s3 cp "$work/plain/s3-large" "s3://$BUCKET/s3-large" --sse AES256 >/dev/null
  aws_ s3 cp "$work/plain/kms" "s3://$BUCKET/kms" --sse aws:kms --sse-kms-key-id "$KMS_KEY" \
    >/dev/null
  for f in c-small c-large c-multipart; do
    aws_ s3 cp "$work/plain/$f" "s3://$BUCKET/$f" --sse-c AES256 --sse-c-key "$SSE_C_KEY" >/dev/null
  done
  aws_ s3 cp "$work/plain/control" "s3://$BUCKET/control" >/dev/null
  # Read back, so the search below is not passing on objects that were
  # never stored.
  aws_ s3 cp "s3://$BUCKET/kms" "$work/kms.back" >/dev/null
  assert_files_equal "$work/plain/kms" "$work/kms.back" "SSE-KMS read back"
  aws_ s3 cp "s3://$BUCKET/c-multipart" "$work/c.back" --sse-c AES256 --sse-c-key "$SSE_C_KEY" \
    >/dev/null
  assert_files_equal "$work/plain/c-multipart" "$work/c.back" "SSE-C multipart read back"
}

case_search_the_disks() {
  stop_coffer
  "$E2E_PY" - "$work/data" "$work/plain" "$SSE_C_KEY" <<'EOF'
import base64, hashlib, os, sys
data_dir, plain_dir, customer_key = sys.argv[1], sys.argv[2], sys.argv[3].encode()
needles = {}
for name in sorted(os.listdir(plain_dir)):
    body = open(os.path.join(plain_dir, name), "rb").read()
    # Slices at several offsets, 40 bytes each: any stored run of plaintext
    # (in a shard, a package, an inline record) shows at least one.
    for off in range(0, len(body) - 40, max(1, len(body) // 50)):
        needles[(name, off)] = body[off:off + 40]
keys = {"sse-c key": customer_key, "sse-c key base64": base64.b64encode(customer_key),
        "sse-c key md5": hashlib.md5(customer_key).digest()}
found = {}
files = 0
total = 0
for root, _, names in os.walk(data_dir):
    for n in names:
        path = os.path.join(root, n)
        try:
            blob = open(path, "rb").read()
        except OSError:
            continue
        files += 1
        total += len(blob)
        for k, v in needles.items():
            if v in blob:
                found.setdefault(k[0], set()).add(path)
        for k, v in keys.items():
            if v in blob:
                found.setdefault(k, set()).add(path)
print("NOTE: searched %d files, %d bytes" % (files, total))
assert files > 0, "nothing on disk"
assert "control" in found, "the unencrypted control object was not found: the search is blind"
bad = {k: sorted(v)[:3] for k, v in found.items() if k != "control"}
if bad:
    for k, v in bad.items():
        print("FAIL: %s found in %s" % (k, v))
    sys.exit(1)
print("NOTE: no plaintext of any encrypted object and no SSE-C key on disk")
EOF
}

run_case write_every_mode case_write_every_mode
run_case search_the_disks case_search_the_disks
e2e_finish
