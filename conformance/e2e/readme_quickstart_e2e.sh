#!/usr/bin/env bash
# The README's S3 quickstart, run as written: `coffer serve` on its embedded
# default (generated root credentials in coffer-data/root.credentials, the
# quickstart repo), then the README's aws CLI block verbatim, with only the
# port and the aws binary (/usr/bin/aws, Debian's awscli) substituted.
# Needs COFFER_BIN and COFFER_SOURCE_DIR.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init readme_quickstart_e2e

block=$("$E2E_PY" - "$COFFER_SOURCE_DIR/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"<!-- s3-quickstart:[^>]*-->\n```sh\n(.*?)```", text, re.S)
if not m:
    sys.exit("README.md has no s3-quickstart block")
print(m.group(1), end="")
PY
)
[[ -n "$block" ]] || fail "empty s3-quickstart block"

mkdir -p "$work/qs" "$work/certs-empty"
cd "$work/qs"
port=$(free_port)
# As a newcomer runs it: no root credentials in the environment.
env -u COFFER_ROOT_USER -u COFFER_ROOT_PASSWORD -u COFFER_VIEWER_SECRET \
  "$COFFER_BIN" serve --address "127.0.0.1:$port" --certs-dir "$work/certs-empty" \
  >"$work/coffer.out" 2>"$work/coffer.log" &
coffer_pid=$!
for _ in $(seq 1 600); do
  curl -s -m 2 -o /dev/null -f "http://127.0.0.1:$port/minio/health/ready" && break
  kill -0 "$coffer_pid" 2>/dev/null || fail "coffer serve exited: $(tail -5 "$work/coffer.log")"
  sleep 0.1
done
[[ -f coffer-data/root.credentials ]] || fail "serve did not write coffer-data/root.credentials"

script=${block//http:\/\/127.0.0.1:9000/http://127.0.0.1:$port}
script=${script//S3=\"aws /S3=\"/usr/bin/aws }
[[ "$script" == *"/usr/bin/aws --endpoint-url http://127.0.0.1:$port"* ]] ||
  fail "the README block changed shape; update this test's substitutions"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
out=$(bounded 180 bash -euo pipefail -c "$script" 2>&1) || fail "README block failed: $out"
assert_contains "2026/hello.txt" "$out" "ls --recursive shows the upload"
assert_contains "hello" "$(printf '%s\n' "$out" | grep -x hello || true)" "the presigned URL returns the object"
e2e_log "README quickstart block ran as written"
