#!/usr/bin/env bash
# AssumeRoleWithLDAPIdentity's authenticator against a real OpenLDAP slapd
# (issue #10). Starts slapd unprivileged-style on loopback ports from a
# throwaway slapd.conf and fixtures/ldif/users.ldif, with a test CA and server
# certificate made here with openssl, serving StartTLS (ldap://) and ldaps://.
# Each case applies fixtures/config/ldap (identity.toml filled in for the case)
# and authenticates once through ldap_e2e_probe, which uses the production
# libldap binding. Then the same identities go through coffer serve's STS API
# with boto3 (ldap_e2e_sts.py).
#
# Env: COFFER_BIN, COFFER_SOURCE_DIR, LDAP_E2E_PROBE (set by ctest); E2E_KEEP=1 keeps the work dir,
# E2E_VERBOSE=1 prints what each case got.
set -euo pipefail

: "${COFFER_SOURCE_DIR:?}" "${LDAP_E2E_PROBE:?}"
for tool in /usr/sbin/slapd /usr/sbin/slapadd /usr/bin/ldapwhoami /usr/bin/openssl; do
  if [[ ! -x $tool ]]; then
    echo "ldap_e2e: $tool is missing (scripts/install-deps.sh test installs slapd ldap-utils)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/coffer-ldap-e2e.XXXXXX")
slapd_pid=""
cleanup() {
  local rc=$?
  if [[ -n $slapd_pid ]]; then
    kill "$slapd_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$slapd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$slapd_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f $work/slapd.log ]]; then
    echo "---- slapd log (last 30 lines) ----" >&2
    tail -30 "$work/slapd.log" >&2 || true
  fi
  if [[ -n ${E2E_KEEP:-} ]]; then echo "work dir kept: $work" >&2; else rm -rf "$work"; fi
  return $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[ldap_e2e %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- certificates: a CA, a server certificate for 127.0.0.1/localhost, and an unrelated CA.
make_ca() {  # make_ca DIR NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$2" -keyout "$1/$2.key" -out "$1/$2.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}
mkdir -p "$work/tls" "$work/db" "$work/cas" "$work/other"
make_ca "$work/tls" ca
make_ca "$work/other" other-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$work/tls/server.key" -out "$work/tls/server.csr" 2>/dev/null
openssl x509 -req -in "$work/tls/server.csr" -CA "$work/tls/ca.crt" -CAkey "$work/tls/ca.key" \
  -CAcreateserial -days 2 -out "$work/tls/server.crt" \
  -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
  2>/dev/null
cp "$work/tls/ca.crt" "$work/cas/ca.crt"

# --- slapd from a throwaway config and the fixture LDIF.
sed "s|@DIR@|$work|g" "$COFFER_SOURCE_DIR/fixtures/ldif/slapd.conf.in" >"$work/slapd.conf"
/usr/sbin/slapadd -q -f "$work/slapd.conf" -l "$COFFER_SOURCE_DIR/fixtures/ldif/users.ldif" \
  2>"$work/slapadd.log" || { cat "$work/slapadd.log" >&2; exit 1; }
ldap_port=""
ldaps_port=""
for attempt in 1 2 3; do
  ldap_port=$(free_port)
  ldaps_port=$(free_port)
  /usr/sbin/slapd -d 0 -f "$work/slapd.conf" \
    -h "ldap://127.0.0.1:$ldap_port/ ldaps://127.0.0.1:$ldaps_port/" >>"$work/slapd.log" 2>&1 &
  slapd_pid=$!
  ready=""
  for _ in $(seq 100); do
    if LDAPTLS_CACERT="$work/tls/ca.crt" timeout 5 /usr/bin/ldapwhoami -x -ZZ \
      -H "ldap://127.0.0.1:$ldap_port" -D cn=lookup,ou=services,dc=example,dc=org \
      -w lookup-secret >/dev/null 2>&1; then
      ready=1
      break
    fi
    kill -0 "$slapd_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $ready ]] && break
  kill "$slapd_pid" 2>/dev/null || true
  wait "$slapd_pid" 2>/dev/null || true
  slapd_pid=""
  log "slapd did not come up on attempt $attempt"
done
[[ -n $slapd_pid ]] || { echo "ldap_e2e: slapd did not start" >&2; exit 1; }
log "slapd $slapd_pid: StartTLS on $ldap_port, ldaps on $ldaps_port"

# --- config repos.
export LDAP_LOOKUP_PASSWORD=lookup-secret
make_repo() {  # make_repo NAME SERVER TLS CA_FILE(empty: none)
  local dir="$work/repo-$1"
  mkdir -p "$dir"
  cp "$COFFER_SOURCE_DIR/fixtures/config/ldap/iam.toml" "$dir/"
  sed -e "s|@LDAP_SERVER@|$2|" -e "s|@LDAP_TLS@|$3|" -e "s|@LDAP_CA_FILE@|$4|" \
    "$COFFER_SOURCE_DIR/fixtures/config/ldap/identity.toml.in" >"$dir/identity.toml"
  [[ -n $4 ]] || sed -i '/^ca_file = ""$/d' "$dir/identity.toml"
}
make_repo starttls "127.0.0.1:$ldap_port" starttls "$work/tls/ca.crt"
make_repo ldaps-cadir "ldaps://127.0.0.1:$ldaps_port" tls ""
make_repo wrong-ca "127.0.0.1:$ldaps_port" tls "$work/other/other-ca.crt"
make_repo plain-to-tls-port "127.0.0.1:$ldap_port" tls "$work/tls/ca.crt"

# --- cases.
failed=()
passed=0
probe() {  # probe REPO CA_DIR USERNAME PASSWORD -> sets out, rc
  local store
  store=$(mktemp -d "$work/store.XXXXXX")
  set +e
  out=$(printf '%s' "$4" | timeout 30 "$LDAP_E2E_PROBE" "$work/repo-$1" "$store" "$2" "$3" \
    2>"$store/stderr")
  rc=$?
  set -e
  if [[ $rc -eq 2 ]]; then out="setup error: $(cat "$store/stderr")"; fi
}
check() {  # check NAME REPO CA_DIR USERNAME PASSWORD EXPECTED_RC EXPECTED_SUBSTRING...
  local name=$1 repo=$2 ca_dir=$3 user=$4 pass=$5 want_rc=$6
  shift 6
  probe "$repo" "$ca_dir" "$user" "$pass"
  local ok=1 s
  [[ $rc -eq $want_rc ]] || ok=""
  for s in "$@"; do [[ $out == *"$s"* ]] || ok=""; done
  # SECURITY: whatever happened, the password never comes back.
  if [[ -n $pass && ${#pass} -ge 4 && $out == *"$pass"* ]]; then ok=""; fi
  if [[ -n $ok ]]; then
    passed=$((passed + 1))
    log "ok   $name"
    [[ -z ${E2E_VERBOSE:-} ]] || log "     $out"
  else
    failed+=("$name")
    log "FAIL $name: rc=$rc (want $want_rc) out=$out"
  fi
}

nocadir="$work/no-such-dir"
check "starttls: alice gets her user-DN policy" starttls "$nocadir" alice alice-pass 0 \
  '"parent":"uid=alice,ou=people,dc=example,dc=org"' '"policies":["ldap-home"]' \
  '"ldap:username":"alice"' '"ldap:user":"uid=alice,ou=people,dc=example,dc=org"'
check "starttls: bob gets both group policies" starttls "$nocadir" bob bob-pass 0 \
  '"policies":["readonly","readwrite"]'
check "starttls: a password full of filter metacharacters works" starttls "$nocadir" \
  carol 'c(a)r*ol\pass' 0 '"policies":["readonly"]'
check "starttls: username matching is the directory's (case-insensitive uid)" starttls \
  "$nocadir" ALICE alice-pass 0 '"policies":["ldap-home"]' '"subject":"ALICE"'
check "starttls: wrong password is refused" starttls "$nocadir" alice alice-wrong 1 \
  '"error":"UNAUTHENTICATED"'
check "starttls: empty password is refused (no anonymous bind)" starttls "$nocadir" alice '' 1 \
  '"error":"INVALID_ARGUMENT"'
check "starttls: unknown user is refused like a wrong password" starttls "$nocadir" mallory x 1 \
  '"error":"UNAUTHENTICATED"' 'invalid username or password'
check "starttls: ambiguous username is refused" starttls "$nocadir" dup dup-pass 1 \
  '"error":"UNAUTHENTICATED"'
check "starttls: authenticated user without a mapped policy is denied" starttls "$nocadir" \
  dave dave-pass 1 '"error":"PERMISSION_DENIED"'
for attack in '*' '*)(uid=*' 'admin)(|(uid=*' 'alice)(|(uid=*' 'al*' '*)(objectClass=*' \
  'alice)(cn=*'; do
  check "starttls: injection '$attack' finds nothing" starttls "$nocadir" "$attack" alice-pass 1 \
    '"error":"UNAUTHENTICATED"'
done
check "ldaps: CA from the default CA dir (certs dir CAs/)" ldaps-cadir "$work/cas" bob bob-pass 0 \
  '"policies":["readonly","readwrite"]'
check "ldaps: without a trusted CA the handshake fails" ldaps-cadir "$nocadir" bob bob-pass 1 \
  '"error":"UNAVAILABLE"'
check "ldaps: a server certificate from another CA is refused" wrong-ca "$work/cas" bob bob-pass \
  1 '"error":"UNAVAILABLE"'
check "ldaps to a plain LDAP port fails closed" plain-to-tls-port "$work/cas" bob bob-pass 1 \
  '"error":"UNAVAILABLE"'
LDAP_LOOKUP_PASSWORD=rotated-elsewhere check "starttls: refused lookup bind is unavailable" \
  starttls "$nocadir" alice alice-pass 1 '"error":"UNAVAILABLE"'

# --- the STS API through boto3 against coffer serve: always part of the suite
# (ctest passes COFFER_BIN); a missing binary is a failure, never a skip.
if [[ ! -x ${COFFER_BIN:-} ]]; then
  failed+=("boto3 AssumeRoleWithLDAPIdentity: COFFER_BIN is not an executable")
elif ! timeout 90 /usr/bin/python3 "$COFFER_SOURCE_DIR/conformance/e2e/ldap_e2e_sts.py" \
  "$work" "$ldap_port"; then
  failed+=("boto3 AssumeRoleWithLDAPIdentity (ldap_e2e_sts.py)")
else
  passed=$((passed + 1))
fi

log "$passed passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
  printf '  failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
