#!/usr/bin/env bash
# End to end TLS and mTLS against `coffer serve` on 127.0.0.1 with the real
# openssl s_client and curl: versions and ciphers, SNI, client certificates,
# hot reload, encrypted keys, and `coffer certs generate`. Every certificate
# is made here, in a temporary folder. Needs COFFER_BIN.
set -euo pipefail
bin=${COFFER_BIN:?}
work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/log" ]] && tail -20 "$work/log" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- a test CA, server certificates for two names, client certificates.
cd "$work"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -days 30 -subj "/CN=Coffer Test CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key -out rogue.crt \
  -days 30 -subj "/CN=Rogue CA"
issue() {  # issue NAME CN DAYS [SAN] [CA]
  local name=$1 cn=$2 days=$3 san=${4:-} ca=${5:-ca}
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$cn"
  if [[ -n "$san" ]]; then
    printf 'subjectAltName=%s\n' "$san" > "$name.ext"
    ossl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days "$days" \
      -extfile "$name.ext" -out "$name.crt"
  else
    ossl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days "$days" \
      -out "$name.crt"
  fi
}
issue alpha alpha.test 30 "DNS:alpha.test,IP:127.0.0.1"
issue beta beta.test 30 "DNS:beta.test"
issue alpha2 alpha-renewed.test 30 "DNS:alpha.test,IP:127.0.0.1"
issue client readwrite 30
issue rogueclient readwrite 30 "" rogue
# An expired client certificate: -days -1 puts notAfter a day in the past.
issue expired readwrite -1
openssl verify -CAfile ca.crt expired.crt >/dev/null 2>&1 && fail "test setup: expired.crt verifies"
mkdir -p certs/CAs certs/beta.test
cp alpha.crt certs/public.crt; cp alpha.key certs/private.key
cp beta.crt certs/beta.test/public.crt; cp beta.key certs/beta.test/private.key
cp ca.crt certs/CAs/ca.crt

port=$(free_port)
start() {  # start EXTRA_ARGS...
  "$bin" serve --data "$work/data" --address "127.0.0.1:$port" --certs-dir "$work/certs" \
    --certs-reload-interval 1 "$@" >"$work/out" 2>"$work/log" &
  pid=$!
  for _ in $(seq 1 100); do
    curl -s --cacert ca.crt "https://127.0.0.1:$port/health/live" -o /dev/null ${CURL_EXTRA:-} && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
handshake() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" "$@" 2>&1 || true; }
# has PATTERN TEXT: grep without a pipe (pipefail and grep -q do not mix).
has() { grep -q -- "$1" <<<"$2"; }

export COFFER_ROOT_USER=tlsadmin COFFER_ROOT_PASSWORD=tlsadmin-secret
start || fail "serve over TLS did not come up"

# Versions: 1.0 and 1.1 refused, 1.2 and 1.3 work.
for v in -tls1 -tls1_1; do
  has 'New, TLSv' "$(handshake $v -cipher 'DEFAULT:@SECLEVEL=0')" \
    && fail "TLS version $v was accepted"
done
# The same probe succeeds for what is allowed, so the refusals above are real.
has 'New, TLSv1.2, Cipher is ECDHE' "$(handshake -tls1_2 -CAfile ca.crt)" || fail "TLS 1.2 refused"
has 'New, TLSv1.3, Cipher is TLS_' "$(handshake -tls1_3 -CAfile ca.crt)" || fail "TLS 1.3 refused"
# Weak ciphers: RSA key exchange, CBC, 3DES are refused.
for c in AES128-SHA AES256-GCM-SHA384 ECDHE-ECDSA-AES128-SHA DES-CBC3-SHA; do
  has 'New, TLSv' "$(handshake -tls1_2 -cipher "$c:@SECLEVEL=0")" \
    && fail "weak cipher $c accepted"
done
# The plain listener is off with certificates present.
curl -s -o /dev/null "http://127.0.0.1:$port/health/live" && fail "plain HTTP answered on the TLS port"

# SNI picks the certificate.
has 'subject=CN = alpha.test' "$(handshake -servername alpha.test)" || fail "SNI alpha.test"
has 'subject=CN = beta.test' "$(handshake -servername beta.test)" || fail "SNI beta.test"
has 'subject=CN = alpha.test' "$(handshake -servername other.test)" || fail "unknown SNI default"
curl -sf --cacert ca.crt --resolve "beta.test:$port:127.0.0.1" "https://beta.test:$port/health/live" \
  >/dev/null || fail "curl via SNI beta.test"

# Hot reload: a new default certificate serves new connections.
cp alpha2.crt certs/public.crt.new; cp alpha2.key certs/private.key.new
mv certs/private.key.new certs/private.key; mv certs/public.crt.new certs/public.crt
for _ in $(seq 1 50); do
  has 'subject=CN = alpha-renewed.test' "$(handshake -servername alpha.test)" && break
  sleep 0.2
done
has 'subject=CN = alpha-renewed.test' "$(handshake -servername alpha.test)" || fail "hot reload"
# An invalid file keeps the old certificate and logs the file name.
echo "garbage" > certs/public.crt
sleep 2.5
has 'subject=CN = alpha-renewed.test' "$(handshake -servername alpha.test)" \
  || fail "invalid reload replaced the certificate"
grep -q 'certificate reload failed.*public.crt' "$work/log" || fail "reload error not logged with file"
cp alpha.crt certs/public.crt; cp alpha.key certs/private.key
stop

# Mutual TLS, required.
start --client-cert required && fail "mTLS required accepted a client without certificate" || true
kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
CURL_EXTRA="--cert client.crt --key client.key" start --client-cert required || fail "mTLS serve"
curl -sf --cacert ca.crt --cert client.crt --key client.key "https://127.0.0.1:$port/health/live" \
  >/dev/null || fail "trusted client certificate refused"
curl -s --cacert ca.crt "https://127.0.0.1:$port/health/live" -o /dev/null \
  && fail "no client certificate accepted"
curl -s --cacert ca.crt --cert rogueclient.crt --key rogueclient.key \
  "https://127.0.0.1:$port/health/live" -o /dev/null && fail "untrusted client certificate accepted"
curl -s --cacert ca.crt --cert expired.crt --key expired.key \
  "https://127.0.0.1:$port/health/live" -o /dev/null && fail "expired client certificate accepted"
stop

# An encrypted private key: loads with COFFER_CERT_PASSWD, fails clearly without.
openssl pkey -in alpha.key -aes256 -passout pass:s3cret-pass -out certs/private.key
if "$bin" serve --data "$work/data" --address "127.0.0.1:$port" --certs-dir "$work/certs" \
     >"$work/out" 2>"$work/log"; then
  fail "an encrypted key loaded without a passphrase"
fi
grep -q 'private.key: the key is encrypted; set COFFER_CERT_PASSWD' "$work/log" \
  || fail "no clear message for an encrypted key"
grep -q 's3cret-pass' "$work/log" && fail "passphrase leaked into the log"
COFFER_CERT_PASSWD=s3cret-pass start || fail "encrypted key with passphrase"
stop
cp alpha.key certs/private.key

# coffer certs generate makes a ready certs dir; curl trusts it through its CA.
"$bin" certs generate --host localhost --ip 127.0.0.1 --out "$work/gen" >"$work/gen.out"
[[ -f "$work/gen/public.crt" && -f "$work/gen/private.key" && -f "$work/gen/CAs/coffer-local-ca.crt" ]] \
  || fail "certs generate layout"
[[ $(stat -c %a "$work/gen/private.key") == 600 ]] || fail "generated key not 0600"
ca_key=$(sed -n 's/^CA private key: \([^ ]*\).*/\1/p' "$work/gen.out")
[[ -f "$ca_key" && "$ca_key" != "$work/gen/"* ]] || fail "CA key not kept apart: $ca_key"
"$bin" serve --data "$work/data" --address "127.0.0.1:$port" --certs-dir "$work/gen" \
  >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do
  curl -sf --cacert "$work/gen/CAs/coffer-local-ca.crt" "https://localhost:$port/health/live" \
    -o /dev/null && break
  sleep 0.1
done
curl -sf --cacert "$work/gen/CAs/coffer-local-ca.crt" "https://localhost:$port/health/live" \
  >/dev/null || fail "generated certificate not trusted by curl"
curl -sf --cacert "$work/gen/CAs/coffer-local-ca.crt" "https://127.0.0.1:$port/health/live" \
  >/dev/null || fail "generated certificate lacks the IP SAN"
stop
echo "tls_e2e: ok"
