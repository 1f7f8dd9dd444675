#!/usr/bin/env bash
# End to end: the web console's OIDC login (issue #16; authorization code +
# PKCE S256) in headless Chromium. A real OpenID provider
# (conformance/e2e/oidc/provider.mjs, npm oidc-provider, with its console
# client and dev login pages) and `coffer serve` run over TLS on 127.0.0.1 with
# one CA; the config repo's [identity.oidc.e2eidp] names the provider, the
# console's redirect_uri and the client secret. console_oidc_e2e.mjs clicks
# "Log in with e2eidp", signs in at the provider as carol (ID token claim
# policy=oidc-reader), lands in the console as a web-identity STS session,
# sees what oidc-reader allows and nothing more, and checks that a replayed or
# forged state and an ID token with another nonce are refused.
# Needs COFFER_BIN and COFFER_SOURCE_DIR; E2E_KEEP=1 keeps the work dir.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
e2e_init console_oidc_e2e

oidc_dir="$COFFER_SOURCE_DIR/conformance/e2e/oidc"
[[ -x /usr/bin/chromium ]] || fail "Debian's chromium is missing (scripts/install-deps.sh test)"
[[ -x /usr/bin/node ]] || fail "/usr/bin/node is missing (scripts/install-deps.sh test)"
[[ -d "$here/node_modules/playwright-core" ]] ||
  fail "playwright-core is missing in $here (scripts/install-deps.sh test)"
[[ -d "$oidc_dir/node_modules/oidc-provider" ]] ||
  fail "oidc-provider is missing in $oidc_dir (scripts/install-deps.sh test)"

CLIENT_SECRET=console-client-secret-0123456789
export E2E_OIDC_CLIENT_SECRET=$CLIENT_SECRET
certs="$work/certs"
"$COFFER_BIN" certs generate --host localhost --ip 127.0.0.1 --out "$certs" \
  >>"$work/coffer.out" 2>>"$work/coffer.log" || fail "coffer certs generate failed"

# The provider, with coffer's certificate (so coffer's CAs/ trusts it).
idp_port=$(free_port)
serve_port=$(free_port)
while [[ "$serve_port" == "$idp_port" ]]; do serve_port=$(free_port); done
redirect="https://127.0.0.1:$serve_port/console/oidc/callback"
(cd "$oidc_dir" && PROVIDER_CONSOLE_REDIRECT_URI=$redirect PROVIDER_CONSOLE_SECRET=$CLIENT_SECRET \
  exec /usr/bin/node provider.mjs "$idp_port" "$certs/public.crt" "$certs/private.key") \
  >"$work/idp.out" 2>"$work/idp.err" &
idp_pid=$!
stop_idp() {
  [[ -n "${idp_pid:-}" ]] && kill "$idp_pid" 2>/dev/null && wait "$idp_pid" 2>/dev/null
  idp_pid=""
  return 0
}
trap 'rc=$?; set +e; stop_idp; (exit $rc); e2e_cleanup' EXIT
for _ in $(seq 1 300); do
  grep -q READY "$work/idp.out" 2>/dev/null && break
  kill -0 "$idp_pid" 2>/dev/null || fail "the OpenID provider died: $(cat "$work/idp.err")"
  sleep 0.1
done
grep -q READY "$work/idp.out" || fail "the OpenID provider did not start"
issuer="https://127.0.0.1:$idp_port"

repo="$work/repo"
mkdir -p "$repo"
cat >"$repo/coffer.toml" <<EOF2
[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[buckets.oidc-e2e]
[buckets.oidc-other]

[policies.oidc-reader]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::oidc-e2e","arn:aws:s3:::oidc-e2e/*"]}]}'

[identity.oidc.e2eidp]
issuer = "$issuer"
client_id = "coffer-console"
client_secret = "env:E2E_OIDC_CLIENT_SECRET"
redirect_uri = "$redirect"
discovery_url = "$issuer/.well-known/openid-configuration"
claim_name = "policy"
EOF2
"$COFFER_BIN" validate "$repo" >"$work/validate.out" 2>&1 ||
  fail "the test's config repo does not validate: $(cat "$work/validate.out")"

# coffer serve on the port the redirect URI names.
COFFER_ROOT_USER=$COFFER_ACCESS_KEY COFFER_ROOT_PASSWORD=$COFFER_SECRET_KEY \
  "$COFFER_BIN" serve --data "$work/data" --config "$repo" \
  --address "127.0.0.1:$serve_port" --certs-dir "$certs" \
  --reconcile-interval 5 >>"$work/coffer.out" 2>>"$work/coffer.log" &
coffer_pid=$!
coffer_endpoint="https://127.0.0.1:$serve_port"
export E2E_CA="$certs/CAs/coffer-local-ca.crt"
up=0
for _ in $(seq 1 600); do
  kill -0 "$coffer_pid" 2>/dev/null || fail "coffer serve died"
  if curl -s -m 2 --cacert "$E2E_CA" -o /dev/null -f "$coffer_endpoint/minio/health/ready"; then
    up=1
    break
  fi
  sleep 0.1
done
[[ $up == 1 ]] || fail "coffer serve did not become ready"
e2e_log "provider pid $idp_pid at $issuer; coffer serve pid $coffer_pid at $coffer_endpoint"

echo "hello" >"$work/body.txt"
AWS_ACCESS_KEY_ID=$COFFER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_SECRET_KEY \
  bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$coffer_endpoint" --ca-bundle "$E2E_CA" \
  s3api put-object --bucket oidc-e2e --key readme.txt --body "$work/body.txt" >/dev/null

shots=${CONSOLE_SCREENSHOTS:-$COFFER_SOURCE_DIR/build/console-screenshots}
mkdir -p "$shots"
export CONSOLE_ENDPOINT=$coffer_endpoint CONSOLE_SHOTS=$shots CONSOLE_ISSUER=$issuer
export CONSOLE_ROOT_KEY=$COFFER_ACCESS_KEY CONSOLE_ROOT_SECRET=$COFFER_SECRET_KEY
export CONSOLE_PROFILE="$work/chromium-profile"
NODE_EXTRA_CA_CERTS=$E2E_CA bounded 100 node "$here/console_oidc_e2e.mjs"
e2e_log "console_oidc_e2e passed; screenshots in $shots (oidc-*.png)"
