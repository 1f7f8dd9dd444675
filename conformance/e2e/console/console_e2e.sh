#!/usr/bin/env bash
# End to end: the web console (issue #16) in headless Chromium against a real
# `coffer serve`. A config repo declares an operator with consoleAdmin and a
# user (bob) limited to one bucket, whose policy text holds <script> and
# <img onerror> strings; the aws CLI writes objects whose keys hold HTML/JS;
# `coffer policy eval` answers a table of simulator cases. Then
# console_e2e.mjs (playwright-core driving Debian's /usr/bin/chromium, never a
# downloaded browser) logs in, visits every view (screenshots under
# build/console-screenshots/), finds the aws CLI's requests in the audit view,
# checks the simulator against the CLI's answers, checks that HTML/JS in keys,
# names and policy text is shown as text and no dialog fires, that a
# cross-site POST and a POST without the CSRF token are refused, that bob sees
# "not permitted" where his policy says so, and that logout ends the session.
# Needs COFFER_BIN and COFFER_SOURCE_DIR; E2E_KEEP=1 keeps the work dir;
# CONSOLE_SCREENSHOTS sets where the screenshots go.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
e2e_init console_e2e

[[ -x /usr/bin/chromium ]] || fail "Debian's chromium is missing (scripts/install-deps.sh test)"
[[ -d "$here/node_modules/playwright-core" ]] ||
  fail "playwright-core is missing in $here (scripts/install-deps.sh test)"

OPS_SECRET=ops-secret-key-0123456789
BOB_SECRET=bob-secret-key-0123456789
export E2E_OPS_SECRET=$OPS_SECRET E2E_BOB_SECRET=$BOB_SECRET
BUCKET=console-e2e
XSS_KEY='<img src=x onerror=alert(document.domain)>.txt'
XSS_KEY2='<script>alert("key")</script>'

repo="$work/repo"
mkdir -p "$repo/policies"
# bob's policy: read and write one bucket; its condition values are HTML/JS
# that the policies view must show as text.
cat >"$repo/policies/bob-rw.json" <<'EOF'
{"Version":"2012-10-17","Statement":[
 {"Sid":"ReadWrite","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],
  "Resource":["arn:aws:s3:::console-e2e","arn:aws:s3:::console-e2e/*"]},
 {"Sid":"NoSecrets","Effect":"Deny","Action":["s3:GetObject"],
  "Resource":["arn:aws:s3:::console-e2e/secret/*"]},
 {"Sid":"Marker","Effect":"Allow","Action":["s3:GetBucketTagging"],
  "Resource":["arn:aws:s3:::console-e2e"],
  "Condition":{"StringEquals":{"aws:UserAgent":["<script>alert('policy')</script>",
   "<img src=x onerror=alert('policy-img')>"]}}}]}
EOF
cat >"$repo/coffer.toml" <<'EOF'
[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[buckets.console-e2e]

[policies.bob-rw]
file = "policies/bob-rw.json"

[users.ops]
secret = "env:E2E_OPS_SECRET"
policies = ["consoleAdmin"]

[users.bob]
secret = "env:E2E_BOB_SECRET"
policies = ["bob-rw"]
EOF
"$COFFER_BIN" validate "$repo" >"$work/validate.out" 2>&1 ||
  fail "the test's config repo does not validate: $(cat "$work/validate.out")"

# TLS, as operators run it: the cookie must be Secure, and STS answers only over TLS.
export E2E_TLS=1
start_coffer "$repo"

aws_as() {
  local key=$1 secret=$2
  shift 2
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret \
    bounded "$E2E_CALL_TIMEOUT" "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    --cli-connect-timeout 10 --cli-read-timeout 60 "$@"
}

# S3 traffic the audit view must show: bob's puts (keys with HTML/JS), a get,
# and a denied get.
echo "console e2e" >"$work/body.txt"
aws_as bob "$BOB_SECRET" s3api put-object --bucket "$BUCKET" --key "$XSS_KEY" \
  --body "$work/body.txt" >/dev/null
aws_as bob "$BOB_SECRET" s3api put-object --bucket "$BUCKET" --key "$XSS_KEY2" \
  --body "$work/body.txt" >/dev/null
aws_as bob "$BOB_SECRET" s3api put-object --bucket "$BUCKET" --key "secret/plan.txt" \
  --body "$work/body.txt" >/dev/null
aws_as bob "$BOB_SECRET" s3api get-object --bucket "$BUCKET" --key "$XSS_KEY" \
  "$work/got.txt" >/dev/null
if aws_as bob "$BOB_SECRET" s3api get-object --bucket "$BUCKET" --key "secret/plan.txt" \
  "$work/got2.txt" >/dev/null 2>&1; then
  fail "bob's denied GET succeeded"
fi

# The simulator's table: each case as `coffer policy eval` answers it.
cases="$work/sim-cases.json"
"$E2E_PY" - "$COFFER_BIN" "$repo/policies/bob-rw.json" >"$cases" <<'EOF'
import json, subprocess, sys
coffer, policy = sys.argv[1], sys.argv[2]
table = [
    ("bob", "s3:GetObject", "arn:aws:s3:::console-e2e/a.txt", {}),
    ("bob", "s3:PutObject", "arn:aws:s3:::console-e2e/b/c.txt", {}),
    ("bob", "s3:GetObject", "arn:aws:s3:::console-e2e/secret/plan.txt", {}),
    ("bob", "s3:DeleteObject", "arn:aws:s3:::console-e2e/a.txt", {}),
    ("bob", "s3:GetObject", "arn:aws:s3:::other-bucket/a.txt", {}),
    ("bob", "s3:GetBucketTagging", "arn:aws:s3:::console-e2e",
     {"aws:UserAgent": "<script>alert('policy')</script>"}),
    ("bob", "s3:GetBucketTagging", "arn:aws:s3:::console-e2e", {"aws:UserAgent": "curl"}),
]
out = []
for principal, action, resource, context in table:
    args = [coffer, "policy", "eval", "--policy", policy, "--action", action,
            "--resource", resource, "--principal", principal]
    for k, v in context.items():
        args += ["--context", f"{k}={v}"]
    text = subprocess.run(args, capture_output=True, text=True, timeout=30).stdout
    first = text.strip().splitlines()[0].strip().lower() if text.strip() else ""
    decision = "allow" if first.startswith("allow") else "deny"
    out.append({"principal": principal, "action": action, "resource": resource,
                "context": context, "decision": decision, "cli": text, "policyPath": policy})
print(json.dumps(out))
EOF

shots=${CONSOLE_SCREENSHOTS:-$COFFER_SOURCE_DIR/build/console-screenshots}
mkdir -p "$shots"
export CONSOLE_ENDPOINT=$coffer_endpoint CONSOLE_SHOTS=$shots CONSOLE_CASES=$cases
export CONSOLE_OPS_KEY=ops CONSOLE_OPS_SECRET=$OPS_SECRET
export CONSOLE_BOB_KEY=bob CONSOLE_BOB_SECRET=$BOB_SECRET
export CONSOLE_ROOT_KEY=$COFFER_ACCESS_KEY CONSOLE_ROOT_SECRET=$COFFER_SECRET_KEY
export CONSOLE_XSS_KEY=$XSS_KEY CONSOLE_XSS_KEY2=$XSS_KEY2 CONSOLE_BUCKET=$BUCKET
export CONSOLE_PROFILE="$work/chromium-profile" CONSOLE_REPO=$repo
bounded 150 node "$here/console_e2e.mjs"
e2e_log "console_e2e passed; screenshots in $shots"
