#!/usr/bin/env bash
# Key rotation end to end (issue #9): `coffer serve` over HTTPS with its key
# service a `coffer kms serve` on 127.0.0.1 (mTLS), objects written through
# the aws CLI with SSE-S3, SSE-KMS (single and multipart) and SSE-C, then:
#   - `coffer kms rotate` of the SSE-KMS key and of the SSE-S3 master key:
#     every object still reads (its data key opens under version 1);
#   - `coffer kms rewrap --bucket B --verbose` while the appliance runs:
#     each SSE-S3/SSE-KMS version of B now names version 2 (v1 -> v2), SSE-C
#     is skipped, the objects of the other bucket are left as they were;
#   - `coffer kms prune` destroys version 1 in the key service's store (the
#     running `kms serve` notices): B's objects still read, byte for byte;
#     the other bucket's SSE-KMS object (not rewrapped) no longer does, and
#     the data key made under version 1 before the rotation no longer opens;
#   - a key made with `coffer kms create --keys` beside the running server is
#     usable by the appliance at once;
#   - the key service stops: SSE-KMS PUT and GET answer 503 ServiceUnavailable,
#     plain and SSE-C requests work; it comes back: everything works (the
#     appliance's pooled KES connections to the old process are replaced).
# Needs COFFER_BIN and COFFER_SOURCE_DIR (ctest sets both).
set -euo pipefail
# shellcheck source=conformance/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init kms_rewrap

kes_pid=""
stop_kes() {
  [[ -z "$kes_pid" ]] && return 0
  kill "$kes_pid" 2>/dev/null || true
  wait "$kes_pid" 2>/dev/null || true
  kes_pid=""
}
trap '_rc=$?; set +e; stop_kes; (exit $_rc); e2e_cleanup' EXIT

# ---- the key service: certificates, policy, `coffer kms serve` ------------
"$COFFER_BIN" certs generate --ip 127.0.0.1 --host localhost --out "$work/kes-certs" >/dev/null
KES_CA="$work/kes-certs/CAs/coffer-local-ca.crt"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=appliance" \
  -keyout "$work/app.key" -out "$work/app.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$work/app.ext"
openssl x509 -req -in "$work/app.csr" -CA "$KES_CA" -CAkey "$work/kes-certs.ca-key.pem" \
  -CAserial "$work/ca.srl" -CAcreateserial -days 1 -extfile "$work/app.ext" \
  -out "$work/app.crt" 2>/dev/null
APP_ID=$("$COFFER_BIN" kms identity "$work/app.crt")
cat >"$work/policy.toml" <<EOF
[policy.appliance]
allow = ["/v1/key/create/app-*", "/v1/key/generate/app-*", "/v1/key/decrypt/app-*",
         "/v1/key/encrypt/app-*", "/v1/key/rotate/app-*", "/v1/key/rewrap/app-*",
         "/v1/key/list/*", "/v1/status"]
identities = ["$APP_ID"]
EOF
KES_PORT=$(free_port)
start_kes() {
  "$COFFER_BIN" kms serve --address "127.0.0.1:$KES_PORT" --certs-dir "$work/kes-certs" \
    --keys "$work/kes-keys" --policy "$work/policy.toml" --audit-log "$work/kes-audit.log" \
    >>"$work/kes.log" 2>&1 &
  kes_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$KES_PORT") 2>/dev/null && return 0
    kill -0 "$kes_pid" 2>/dev/null || fail "kms serve exited: $(tail -5 "$work/kes.log")"
    sleep 0.1
  done
  fail "kms serve did not listen"
}
start_kes
KES=(--server "127.0.0.1:$KES_PORT" --client-cert "$work/app.crt" --client-key "$work/app.key"
  --ca "$KES_CA")

# ---- the appliance ------------------------------------------------------------
cp -r "$COFFER_SOURCE_DIR/fixtures/quickstart" "$work/repo"
cat >"$work/repo/key_service.toml" <<EOF
[key_service]
address = "127.0.0.1:$KES_PORT"
client_cert_file = "$work/app.crt"
client_key_file = "$work/app.key"
ca_file = "$KES_CA"
default_key = "app-sse-s3"
create_keys = ["app-kms"]
EOF
E2E_TLS=1 start_coffer "$work/repo"

aws_() { bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$coffer_endpoint" --ca-bundle "$E2E_CA" "$@"; }
SSE_C_KEY=0123456789abcdef0123456789ABCDEF
B=rot-bkt
OTHER=keep-bkt
make_file() {  # make_file PATH BYTES TAG: distinct lines, so a wrong package shows.
  "$E2E_PY" - "$@" <<'EOF'
import sys
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = bytearray()
i = 0
while len(out) < n:
    out += b"%s line %08d .......................................\n" % (tag.encode(), i)
    i += 1
open(path, "wb").write(out[:n])
EOF
}
read_back() {  # read_back BUCKET KEY WANT [SSE-C args...]: GET must return WANT's bytes.
  local bucket=$1 key=$2 want=$3
  shift 3
  rm -f "$work/got.bin"
  aws_ s3 cp "s3://$bucket/$key" "$work/got.bin" "$@" >/dev/null
  cmp -s "$want" "$work/got.bin"
}

cd "$work"
aws_ s3 mb "s3://$B" >/dev/null
aws_ s3 mb "s3://$OTHER" >/dev/null
make_file s3.txt 150000 SSE-S3
make_file kms.txt 90000 SSE-KMS
make_file big.bin $((9 * 1024 * 1024)) MULTIPART
make_file ssec.txt 70000 SSE-C
make_file other.txt 80000 OTHER
aws_ s3 cp s3.txt "s3://$B/s3.txt" --sse AES256 >/dev/null
aws_ s3 cp kms.txt "s3://$B/kms.txt" --sse aws:kms --sse-kms-key-id app-kms >/dev/null
bounded 180 "$E2E_AWS" --endpoint-url "$coffer_endpoint" --ca-bundle "$E2E_CA" \
  s3 cp big.bin "s3://$B/big.bin" --sse aws:kms --sse-kms-key-id app-kms >/dev/null
aws_ s3 cp ssec.txt "s3://$B/ssec.txt" --sse-c AES256 --sse-c-key "$SSE_C_KEY" >/dev/null
aws_ s3 cp other.txt "s3://$OTHER/other.txt" --sse aws:kms --sse-kms-key-id app-kms >/dev/null
e2e_log "objects written"

# A data key made under version 1 straight from the key service, to show
# later that version 1 is gone.
CTX=$(printf 'rewrap-e2e' | base64)
gen=$(timeout 10 curl -sS --cacert "$KES_CA" --cert "$work/app.crt" --key "$work/app.key" \
  -X POST -d "{\"context\":\"$CTX\"}" "https://127.0.0.1:$KES_PORT/v1/key/generate/app-kms")
OLD_CT=$("$E2E_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["ciphertext"])' "$gen")
kes_decrypt() {  # prints the HTTP status of decrypting OLD_CT
  timeout 10 curl -sS -o /dev/null -w '%{http_code}' --cacert "$KES_CA" --cert "$work/app.crt" \
    --key "$work/app.key" -X POST -d "{\"ciphertext\":\"$OLD_CT\",\"context\":\"$CTX\"}" \
    "https://127.0.0.1:$KES_PORT/v1/key/decrypt/app-kms"
}

all_read() {
  read_back "$B" s3.txt s3.txt || fail "$1: SSE-S3 object"
  read_back "$B" kms.txt kms.txt || fail "$1: SSE-KMS object"
  read_back "$B" big.bin big.bin || fail "$1: multipart SSE-KMS object"
  read_back "$B" ssec.txt ssec.txt --sse-c AES256 --sse-c-key "$SSE_C_KEY" || fail "$1: SSE-C object"
}

# ---- rotate: old versions keep opening ------------------------------------
out=$(timeout 30 "$COFFER_BIN" kms rotate app-kms "${KES[@]}" 2>&1) || fail "rotate app-kms: $out"
assert_contains "version 2" "$out" "rotate app-kms"
out=$(timeout 30 "$COFFER_BIN" kms rotate app-sse-s3 "${KES[@]}" 2>&1) || fail "rotate app-sse-s3: $out"
assert_contains "version 2" "$out" "rotate the SSE-S3 master key"
all_read "after rotation"
read_back "$OTHER" other.txt other.txt || fail "after rotation: other bucket"
e2e_log "ok: every object reads after rotating both keys"

# ---- rewrap one bucket while the appliance runs ---------------------------
out=$(timeout 120 "$COFFER_BIN" kms rewrap --data "$work/data" --bucket "$B" --verbose "${KES[@]}" 2>&1) ||
  fail "rewrap: $out"
e2e_log "rewrap said: $out"
assert_contains "$B/s3.txt?versionId=" "$out" "rewrap lists the SSE-S3 object"
grep -q "^$B/s3.txt?versionId=.*: app-sse-s3 v1 -> v2$" <<<"$out" || fail "SSE-S3 object not v1 -> v2: $out"
grep -q "^$B/kms.txt?versionId=.*: app-kms v1 -> v2$" <<<"$out" || fail "SSE-KMS object not v1 -> v2: $out"
grep -q "^$B/big.bin?versionId=.*: app-kms v1 -> v2$" <<<"$out" || fail "multipart object not v1 -> v2: $out"
assert_not_contains "ssec.txt" "$out" "SSE-C is not rewrapped"
assert_not_contains "$OTHER/" "$out" "--bucket limits the walk"
assert_contains "4 encrypted, 3 rewrapped, 1 skipped, 0 failed" "$out" "rewrap summary"
all_read "after rewrap"
e2e_log "ok: rewrap re-sealed 3 objects under version 2, all read"

# A second run finds them at the newest version already.
out=$(timeout 120 "$COFFER_BIN" kms rewrap --data "$work/data" --bucket "$B" --verbose "${KES[@]}" 2>&1) ||
  fail "second rewrap: $out"
grep -q ": app-kms v2 -> v2$" <<<"$out" || fail "second rewrap: $out"

# ---- prune version 1 in the key service's store ---------------------------
[[ $(kes_decrypt) == 200 ]] || fail "version 1 data key should open before the prune"
out=$(timeout 30 "$COFFER_BIN" kms prune app-kms --keys "$work/kes-keys" 2>&1) || fail "prune: $out"
assert_contains "versions before 2 destroyed" "$out" "prune app-kms"
out=$(timeout 30 "$COFFER_BIN" kms prune app-sse-s3 --keys "$work/kes-keys" 2>&1) || fail "prune: $out"
# The running kms serve re-reads its store within a few seconds.
gone=""
for _ in $(seq 1 50); do
  if [[ $(kes_decrypt) == 400 ]]; then gone=1; break; fi
  sleep 0.2
done
[[ -n "$gone" ]] || fail "kms serve still opens a version 1 data key after the prune"
all_read "after prune"
e2e_log "ok: version 1 destroyed; every rewrapped object still reads byte for byte"
if read_back "$OTHER" other.txt other.txt 2>"$work/other.err"; then
  fail "an object sealed under the pruned version still read"
fi
e2e_log "ok: the object left out of the rewrap no longer opens: $(tr '\n' ' ' <"$work/other.err" | head -c 160)"

# ---- a key made beside the running server is usable at once ----------------
out=$(timeout 30 "$COFFER_BIN" kms create app-late --keys "$work/kes-keys" 2>&1) || fail "create: $out"
aws_ s3 cp kms.txt "s3://$B/late.txt" --sse aws:kms --sse-kms-key-id app-late >/dev/null ||
  fail "SSE-KMS with a key made by coffer kms create --keys"
read_back "$B" late.txt kms.txt || fail "late key object"
e2e_log "ok: a key created with --keys while kms serve runs is used at once"

# ---- the key service goes down and comes back -------------------------------
stop_kes
if out=$(aws_ s3 cp kms.txt "s3://$B/down.txt" --sse aws:kms --sse-kms-key-id app-kms 2>&1); then
  fail "SSE-KMS PUT succeeded with the key service down"
fi
assert_contains "ServiceUnavailable" "$out" "SSE-KMS PUT with the key service down"
if out=$(aws_ s3 cp "s3://$B/kms.txt" "$work/got.bin" 2>&1); then
  fail "SSE-KMS GET succeeded with the key service down"
fi
assert_contains "ServiceUnavailable" "$out" "SSE-KMS GET with the key service down"
aws_ s3 cp other.txt "s3://$B/plain.txt" >/dev/null || fail "plain PUT with the key service down"
read_back "$B" plain.txt other.txt || fail "plain GET with the key service down"
aws_ s3 cp ssec.txt "s3://$B/ssec2.txt" --sse-c AES256 --sse-c-key "$SSE_C_KEY" >/dev/null ||
  fail "SSE-C needs no key service"
e2e_log "ok: key service down: SSE-KMS answers 503 ServiceUnavailable, plain and SSE-C work"
start_kes
# The appliance's pooled connections to the old server are dead: the first
# call replaces them.
all_read "key service back"
aws_ s3 cp kms.txt "s3://$B/up.txt" --sse aws:kms --sse-kms-key-id app-kms >/dev/null ||
  fail "SSE-KMS PUT after the key service came back"
read_back "$B" up.txt kms.txt || fail "SSE-KMS GET after the key service came back"
e2e_log "ok: key service back: everything reads and writes again"

e2e_log "all checks passed"
