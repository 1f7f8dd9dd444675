#!/usr/bin/env bash
# The key service end to end (issue 9): `coffer kms serve` on 127.0.0.1 with
# certificates made here (`coffer certs generate` for the server and the CA,
# openssl for client certificates), probed with curl and openssl s_client:
#   - no client certificate, or one from another CA: refused at the handshake;
#   - a CA-signed certificate no policy names: 403;
#   - a certificate whose policy does not cover the key (or the API): 403;
#   - an allowed one: create, generate, decrypt round trip; a wrong context fails;
#   - rotate (coffer kms rotate --server ...), then the old ciphertext still opens;
#   - every call is an audit line naming identity, API and key, never key bytes;
# then `coffer serve` with [key_service] address pointing at it: /health/ready
# reports the key service ready, and after the KES server stops, reports it
# down while the appliance stays ready (plain requests keep working).
#
# `kms_e2e.sh` runs the KES checks; `kms_e2e.sh serve` runs the `coffer serve`
# checks (registered as kms_serve_e2e).
set -euo pipefail

MODE=${1:-kes}
COFFER=${COFFER_BIN:?set COFFER_BIN to the coffer binary}
SRC=${COFFER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
W=$(mktemp -d /tmp/kms-e2e.XXXXXX)
kes_pid=""
serve_pid=""
failures=0

cleanup() {
  local rc=$?
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [[ -n "$kes_pid" ]] && kill "$kes_pid" 2>/dev/null && wait "$kes_pid" 2>/dev/null || true
  if [[ $rc -ne 0 || $failures -ne 0 ]]; then
    echo "---- kms serve log ----" >&2; tail -20 "$W/kes.log" >&2 2>/dev/null || true
    echo "---- coffer serve log ----" >&2; tail -20 "$W/serve.log" >&2 2>/dev/null || true
  fi
  [[ -z "${E2E_KEEP:-}" ]] && rm -rf "$W"
  return 0
}
trap cleanup EXIT

log() { printf '[kms_e2e %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
pass() { log "ok: $*"; }
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # wait_port PORT PID
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ---- certificates --------------------------------------------------------
"$COFFER" certs generate --ip 127.0.0.1 --host localhost --out "$W/kes-certs" >/dev/null
CA="$W/kes-certs/CAs/coffer-local-ca.crt"
CA_KEY="$W/kes-certs.ca-key.pem"
client_cert() {  # client_cert NAME: a P-256 client certificate signed by the test CA
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$W/$1.key" -out "$W/$1.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$W/$1.ext"
  openssl x509 -req -in "$W/$1.csr" -CA "$CA" -CAkey "$CA_KEY" -CAserial "$W/ca.srl" -CAcreateserial -days 1 \
    -extfile "$W/$1.ext" -out "$W/$1.crt" 2>/dev/null
}
client_cert app
client_cert other
client_cert stranger
# A certificate from no trusted CA at all.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=rogue" -days 1 \
  -keyout "$W/rogue.key" -out "$W/rogue.crt" 2>/dev/null
APP_ID=$("$COFFER" kms identity "$W/app.crt")
OTHER_ID=$("$COFFER" kms identity "$W/other.crt")
# Cross-check the identity against openssl: SHA-256 of the DER public key.
OPENSSL_ID=$(openssl x509 -in "$W/app.crt" -pubkey -noout | openssl pkey -pubin -outform DER |
  openssl dgst -sha256 -r | cut -d' ' -f1)
[[ "$APP_ID" == "$OPENSSL_ID" ]] && pass "kms identity = sha256(SPKI)" ||
  fail "kms identity $APP_ID != openssl $OPENSSL_ID"

cat >"$W/policy.toml" <<EOF
[policy.appliance]
allow = ["/v1/key/create/app-*", "/v1/key/generate/app-*", "/v1/key/decrypt/app-*",
         "/v1/key/encrypt/app-*", "/v1/key/rotate/app-*", "/v1/key/rewrap/app-*",
         "/v1/key/list/*", "/v1/status"]
identities = ["$APP_ID"]
[policy.other]
allow = ["/v1/key/generate/other-*"]
identities = ["$OTHER_ID"]
EOF

# ---- the KES server ------------------------------------------------------
KES_PORT=$(free_port)
start_kes() {
  "$COFFER" kms serve --address "127.0.0.1:$KES_PORT" --certs-dir "$W/kes-certs" \
    --keys "$W/keys" --policy "$W/policy.toml" --audit-log "$W/audit.log" >>"$W/kes.log" 2>&1 &
  kes_pid=$!
  wait_port "$KES_PORT" "$kes_pid" || { log "kms serve did not start"; exit 1; }
}
start_kes
[[ "$(stat -c %a "$W/keys/root.key")" == 600 ]] && pass "root.key is 0600" || fail "root.key mode"
URL="https://127.0.0.1:$KES_PORT"
kcurl() {  # kcurl NAME ARGS...: curl as client NAME; prints the body, then the status
  local who=$1; shift
  timeout 10 curl -sS --cacert "$CA" --cert "$W/$who.crt" --key "$W/$who.key" \
    -w '\n%{http_code}' "$@"
}
status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

CLIENT=(--server "127.0.0.1:$KES_PORT" --client-cert "$W/app.crt" --client-key "$W/app.key"
  --ca "$CA")

if [[ $MODE == kes ]]; then
# No client certificate: the handshake fails, nothing reaches HTTP.
if timeout 10 curl -sS --cacert "$CA" "$URL/version" >"$W/nocert.out" 2>&1; then
  fail "no client certificate was answered: $(cat "$W/nocert.out")"
else
  pass "no client certificate: curl refused ($(head -c 80 "$W/nocert.out"))"
fi
timeout 10 openssl s_client -connect "127.0.0.1:$KES_PORT" -CAfile "$CA" -quiet \
  <<<$'GET /version HTTP/1.1\r\nHost: x\r\n\r\n' >"$W/s_client.out" 2>&1 || true
if grep -q '"version"' "$W/s_client.out"; then
  fail "openssl s_client without certificate got an answer"
elif grep -qiE 'alert|certificate required|handshake failure' "$W/s_client.out"; then
  pass "openssl s_client without certificate: $(grep -iE -m1 'alert|required|failure' "$W/s_client.out" | head -c 100)"
else
  fail "openssl s_client without certificate: unexpected output: $(head -c 200 "$W/s_client.out")"
fi
# A certificate from an unknown CA: refused at the handshake too.
if timeout 10 curl -sS --cacert "$CA" --cert "$W/rogue.crt" --key "$W/rogue.key" "$URL/version" \
  >"$W/rogue.out" 2>&1; then
  fail "a certificate from an unknown CA was answered"
else
  pass "certificate from an unknown CA refused at the handshake"
fi
# A certificate the CA signed but no policy names: 403.
r=$(kcurl stranger -X POST "$URL/v1/key/create/app-key" || true)
[[ $(status_of "$r") == 403 ]] && pass "unknown identity: 403" || fail "unknown identity: $r"

# The allowed identity: create, generate, decrypt.
r=$(kcurl app -X POST "$URL/v1/key/create/app-key" || true)
[[ $(status_of "$r") == 200 ]] && pass "create app-key" || fail "create: $r"
CTX=$(printf 'bucket/object' | base64)
r=$(kcurl app -X POST -d "{\"context\":\"$CTX\"}" "$URL/v1/key/generate/app-key" || true)
[[ $(status_of "$r") == 200 ]] || fail "generate: $r"
GEN=$(body_of "$r")
PLAIN=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["plaintext"])' "$GEN")
CT=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ciphertext"])' "$GEN")
r=$(kcurl app -X POST -d "{\"ciphertext\":\"$CT\",\"context\":\"$CTX\"}" "$URL/v1/key/decrypt/app-key" || true)
if [[ $(status_of "$r") == 200 && $(body_of "$r") == *"\"$PLAIN\""* ]]; then
  pass "generate/decrypt round trip"
else
  fail "decrypt: $r"
fi
r=$(kcurl app -X POST -d "{\"ciphertext\":\"$CT\",\"context\":\"$(printf other | base64)\"}" \
  "$URL/v1/key/decrypt/app-key" || true)
[[ $(status_of "$r") == 400 ]] && pass "wrong context: 400" || fail "wrong context: $r"

# A policy that does not cover the key or the API: 403.
r=$(kcurl other -X POST -d '{}' "$URL/v1/key/generate/app-key" || true)
[[ $(status_of "$r") == 403 ]] && pass "other on app-key: 403" || fail "other generate: $r"
r=$(kcurl other -X POST -d "{\"ciphertext\":\"$CT\",\"context\":\"$CTX\"}" "$URL/v1/key/decrypt/app-key" || true)
[[ $(status_of "$r") == 403 ]] && pass "other decrypt: 403" || fail "other decrypt: $r"
r=$(kcurl app -X DELETE "$URL/v1/key/delete/app-key" || true)
[[ $(status_of "$r") == 403 ]] && pass "app may not delete: 403" || fail "app delete: $r"

# Rotation through the CLI against the server; the old ciphertext still opens.
out=$(timeout 20 "$COFFER" kms rotate app-key "${CLIENT[@]}" 2>&1 || true)
[[ "$out" == *"version 2"* ]] && pass "coffer kms rotate: $out" || fail "rotate: $out"
r=$(kcurl app -X POST -d "{\"ciphertext\":\"$CT\",\"context\":\"$CTX\"}" "$URL/v1/key/decrypt/app-key" || true)
[[ $(status_of "$r") == 200 && $(body_of "$r") == *"\"$PLAIN\""* ]] &&
  pass "old ciphertext opens after rotation" || fail "decrypt after rotate: $r"
out=$(timeout 20 "$COFFER" kms list "${CLIENT[@]}" 2>&1 || true)
[[ "$out" == *"app-key"$'\t'"2"* ]] && pass "coffer kms list: $out" || fail "list: $out"
out=$(timeout 20 "$COFFER" kms create app-two "${CLIENT[@]}" 2>&1 || true)
[[ "$out" == *"created"* ]] && pass "coffer kms create" || fail "create: $out"
out=$(timeout 20 "$COFFER" kms status "${CLIENT[@]}" 2>&1 || true)
[[ "$out" == *"ready"* ]] && pass "coffer kms status" || fail "status: $out"

# Audit: every call a line with identity, API and key; never the data key.
if grep -q "$PLAIN" "$W/audit.log"; then fail "audit log holds a plaintext data key"; fi
grep -q "\"identity\":\"$APP_ID\"" "$W/audit.log" && grep -q '"api":"key/generate"' "$W/audit.log" &&
  grep -q '"code":403' "$W/audit.log" && pass "audit lines ($(wc -l <"$W/audit.log") calls)" ||
  fail "audit log: $(head -3 "$W/audit.log")"

fi

if [[ $MODE == serve ]]; then
# ---- coffer serve against it ---------------------------------------------
REPO="$W/repo"
cp -r "$SRC/fixtures/quickstart" "$REPO"
cat >>"$REPO/appliance.toml" <<EOF

[key_service]
address = "127.0.0.1:$KES_PORT"
client_cert_file = "$W/app.crt"
client_key_file = "$W/app.key"
ca_file = "$CA"
default_key = "app-sse-s3"
EOF
S_PORT=$(free_port)
COFFER_ROOT_USER=kms-e2e-root COFFER_ROOT_PASSWORD=kms-e2e-root-secret COFFER_VIEWER_SECRET=viewer-secret-0123 \
  "$COFFER" serve --config "$REPO" --data "$W/data" --address "127.0.0.1:$S_PORT" \
  --certs-dir "$W/no-certs" >"$W/serve.log" 2>&1 &
serve_pid=$!
wait_port "$S_PORT" "$serve_pid" || { log "coffer serve did not start"; exit 1; }
ready() { timeout 10 curl -s "http://127.0.0.1:$S_PORT/health/ready" || true; }
out=$(ready)
[[ "$out" == *'"key_service":{"ready":true}'* ]] && pass "serve: key service ready" ||
  fail "serve health with KES up: $out"
out=$(timeout 20 "$COFFER" kms list "${CLIENT[@]}" 2>&1 || true)
[[ "$out" == *"app-sse-s3"* ]] && pass "serve created its default key" || fail "default key: $out"

kill "$kes_pid"; wait "$kes_pid" 2>/dev/null || true; kes_pid=""
down=""
for _ in $(seq 1 50); do
  out=$(ready)
  if [[ "$out" == *'"key_service":{"ready":false'* ]]; then down=1; break; fi
  sleep 0.2
done
[[ -n "$down" ]] && pass "serve: key service reported down: $(grep -o '"key_service":{[^}]*}' <<<"$out")" ||
  fail "serve health with KES down: $out"
code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S_PORT/health/ready")
[[ "$code" == 200 ]] && pass "appliance stays ready without the key service" ||
  fail "ready answered $code with KES down"
code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S_PORT/health/live")
[[ "$code" == 200 ]] || fail "live answered $code"

# It comes back: reported ready again.
start_kes
up=""
for _ in $(seq 1 50); do
  [[ "$(ready)" == *'"key_service":{"ready":true}'* ]] && { up=1; break; }
  sleep 0.2
done
[[ -n "$up" ]] && pass "serve: key service back" || fail "key service not back: $(ready)"

fi

if [[ $failures -ne 0 ]]; then
  log "$failures check(s) failed"
  exit 1
fi
log "all checks passed"
