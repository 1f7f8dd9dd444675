#!/usr/bin/python3
"""The admin API's read endpoints end to end (issues #14, #16).

Starts `coffer serve` on a Git config repo with an admin user (consoleAdmin), a
user holding admin:ListUsers only and a plain S3 user, then signs admin
requests with botocore's SigV4 (Debian's python3-botocore) and checks:
  - every read endpoint answers root and the admin what the repo says (users,
    groups, policies with their JSON, buckets with versioning, encryption and
    anonymous access, audit targets, key service, server info), refuses the
    plain user, and lets the lister list users and nothing else;
  - no answer contains a secret or a secret reference of the repo;
  - the S3 requests just made with the aws CLI (Debian's awscli) show in the
    audit log endpoint, searchable by user, bucket and API, with a live-tail
    cursor; the admin calls and the config changes are there too;
  - POST policy/simulate agrees with `coffer policy eval` on the same policies;
  - a broken commit shows up in reconcile with its FILE:LINE:COL, and drift.
Needs COFFER_BIN and COFFER_SOURCE_DIR. Prints each check; exits non-zero on
the first failure. E2E_KEEP=1 keeps the work dir.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

BIN = os.environ["COFFER_BIN"]
AWS = "/usr/bin/aws"
ROOT = ("E2EROOTACCESSKEY", "e2e-root-secret-0123456789")
USERS = {  # name -> (env var, secret)
    "opsadmin": ("E2E_OPSADMIN_SECRET_VAR", "opsadmin-secret-value-123"),
    "lister": ("E2E_LISTER_SECRET_VAR", "lister-secret-value-1234"),
    "plain": ("E2E_PLAIN_SECRET_VAR", "plain-secret-value-12345"),
}
V1 = "/coffer/admin/v1/"

BKT_RW = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "BucketRW", "Effect": "Allow", "Action": ["s3:*"],
         "Resource": ["arn:aws:s3:::e2ebkt", "arn:aws:s3:::e2ebkt/*"]},
        {"Sid": "NoLocked", "Effect": "Deny", "Action": ["s3:PutObject"],
         "Resource": ["arn:aws:s3:::e2ebkt/locked/*"]},
    ],
}
LIST_USERS = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": ["admin:ListUsers"]}]}

CONFIG = """# The admin API e2e repo.
[users.opsadmin]
secret = "env:E2E_OPSADMIN_SECRET_VAR"
policies = ["consoleAdmin"]

[users.lister]
secret = "env:E2E_LISTER_SECRET_VAR"
policies = ["list-users"]

[users.plain]
secret = "env:E2E_PLAIN_SECRET_VAR"
policies = ["bkt-rw"]

[groups.staff]
members = ["plain", "lister"]
policies = ["readonly"]

[policies.bkt-rw]
file = "policies/bkt-rw.json"

[policies.list-users]
file = "policies/list-users.json"

[buckets.e2ebkt]
versioning = true
encryption = "sse-s3"

[buckets.pubbkt]
anonymous = "download"

[audit.file.local]
path = "{audit_path}"
"""

WORK = tempfile.mkdtemp(prefix="admin_api_e2e.")
PROC = None
PORT = 0


def log(msg):
    print(msg, flush=True)


def fail(msg):
    log("FAIL: " + msg)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    log("ok: " + msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git(*args):
    subprocess.run(["git", "-C", REPO, *args], check=True, capture_output=True, timeout=30)


def admin(method, path, who=ROOT, body=None):
    """A SigV4-signed admin API call: (status, parsed JSON or text)."""
    url = "http://127.0.0.1:%d%s%s" % (PORT, V1, path)
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json"} if body is not None else {}
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    S3SigV4Auth(Credentials(who[0], who[1]), "s3", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(url, data=data or None, method=method,
                                      headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=20) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    for env_var, secret in list(USERS.values()) + [("E2E_ROOT", ROOT[1])]:
        if env_var in text or secret in text:
            fail("%s %s answered a secret or reference: %s" % (method, path, text[:300]))
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


def as_user(name):
    return (name, USERS[name][1])


def aws(who, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=who[0], AWS_SECRET_ACCESS_KEY=who[1],
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return subprocess.run([AWS, "--endpoint-url", "http://127.0.0.1:%d" % PORT,
                           "--cli-connect-timeout", "10", "--cli-read-timeout", "30", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def eventually(seconds, what, fn):
    deadline = time.time() + seconds
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            fail(what + ": not within %d s" % seconds)
        time.sleep(0.25)


def start():
    global PROC, PORT
    env = dict(os.environ, COFFER_ROOT_USER=ROOT[0], COFFER_ROOT_PASSWORD=ROOT[1])
    for env_var, secret in USERS.values():
        env[env_var] = secret
    os.makedirs(os.path.join(WORK, "certs-empty"), exist_ok=True)
    for _ in range(3):
        PORT = free_port()
        out = open(os.path.join(WORK, "coffer.log"), "ab")
        PROC = subprocess.Popen(
            [BIN, "serve", "--config", REPO, "--data", os.path.join(WORK, "data"),
             "--address", "127.0.0.1:%d" % PORT, "--certs-dir",
             os.path.join(WORK, "certs-empty"), "--reconcile-interval", "2"],
            env=env, stdout=out, stderr=out)
        deadline = time.time() + 60
        while time.time() < deadline and PROC.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % PORT,
                                            timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        stop()
    fail("coffer serve did not become ready (see %s/coffer.log)" % WORK)


def stop():
    if PROC is not None and PROC.poll() is None:
        PROC.terminate()
        try:
            PROC.wait(15)
        except subprocess.TimeoutExpired:
            PROC.kill()
            PROC.wait(5)


def case_reads():
    status, info = admin("GET", "info")
    check(status == 200 and info["region"] == "us-east-1", "info answers root")
    check(len(info["drives"]) == 4 and info["drivesOnline"] == 4, "info lists the 4 drives")
    check(info["erasure"]["layout"] == "EC:%d+%d" % (info["erasure"]["dataShards"],
                                                     info["erasure"]["parityShards"]),
          "info gives the erasure layout")
    check(info["tls"] is False and info["uptimeSeconds"] >= 0, "info: TLS off, uptime")

    status, users = admin("GET", "users", as_user("lister"))
    check(status == 200, "lister (admin:ListUsers) lists users")
    by_name = {u["name"]: u for u in users["users"]}
    check(set(by_name) == set(USERS), "users are the repo's: %s" % sorted(by_name))
    check(all(u["secretKind"] == "env" for u in users["users"]), "secret kind env, no reference")
    check(by_name["plain"]["groups"] == ["staff"] and by_name["plain"]["policies"] == ["bkt-rw"],
          "plain's groups and policies")
    check(admin("GET", "users/plain", as_user("lister"))[0] == 403,
          "lister may not get one user (admin:GetUser)")
    # (buckets: plain may read e2ebkt's policy, so it sees that one; below.)
    for path in ["info", "users", "groups", "policies", "identity-providers", "reconcile",
                 "audit/targets", "audit/log", "kms/status"]:
        check(admin("GET", path, as_user("plain"))[0] == 403, "plain is refused %s" % path)
        if path != "users":
            check(admin("GET", path, as_user("lister"))[0] == 403, "lister is refused %s" % path)
        check(admin("GET", path, as_user("opsadmin"))[0] == 200, "opsadmin may %s" % path)

    status, groups = admin("GET", "groups", as_user("opsadmin"))
    check(groups["groups"] == [{"name": "staff", "enabled": True, "members": ["lister", "plain"],
                                "policies": ["readonly"], "drifted": False}],
          "groups as in the repo")
    status, policy = admin("GET", "policies/bkt-rw", as_user("opsadmin"))
    check(status == 200 and policy["document"] == BKT_RW and not policy["builtin"],
          "policy bkt-rw's document equals the repo's JSON")
    status, policies = admin("GET", "policies")
    builtins = {p["name"] for p in policies["policies"] if p["builtin"]}
    check({"readonly", "consoleAdmin"} <= builtins, "built-in policies marked")

    status, buckets = admin("GET", "buckets")
    by_name = {b["name"]: b for b in buckets["buckets"]}
    check(by_name["e2ebkt"]["versioning"] is True and
          by_name["e2ebkt"]["encryption"]["mode"] == "sse-s3", "e2ebkt: versioning, SSE-S3")
    check(by_name["pubbkt"]["anonymousAccess"] == "download", "pubbkt: anonymous download")
    status, mine = admin("GET", "buckets", as_user("plain"))
    check(status == 200 and [b["name"] for b in mine["buckets"]] == ["e2ebkt"],
          "plain sees only the bucket whose policy it may read")

    status, targets = admin("GET", "audit/targets")
    check(len(targets["targets"]) == 1 and targets["targets"][0]["name"] == "local" and
          targets["targets"][0]["kind"] == "file", "audit target listed")
    target = eventually(15, "audit target healthy",
                        lambda: [t for t in admin("GET", "audit/targets")[1]["targets"]
                                 if t["healthy"] and t["delivered"] > 0])
    check(target[0]["endpoint"].endswith("audit.log"), "audit target: path and delivered entries")
    status, kms = admin("GET", "kms/status")
    check(kms["configured"] and kms["reachable"] and kms["kind"] == "in-process",
          "key service: in-process, reachable")
    status, idps = admin("GET", "identity-providers")
    check(idps == {"openid": [], "ldap": []}, "no identity providers configured")


def case_audit_log():
    status, page = admin("GET", "audit/log?limit=1")
    cursor = page["latestSeq"]
    plain = as_user("plain")
    path = os.path.join(WORK, "hello.txt")
    with open(path, "w") as f:
        f.write("hello")
    r = aws(plain, "s3", "cp", path, "s3://e2ebkt/dir/hello.txt")
    check(r.returncode == 0, "aws s3 cp as plain: " + r.stderr.strip()[:200])
    r = aws(plain, "s3", "ls", "s3://e2ebkt/dir/")
    check(r.returncode == 0 and "hello.txt" in r.stdout, "aws s3 ls as plain")
    r = aws(plain, "s3", "cp", path, "s3://e2ebkt/locked/x.txt")
    check(r.returncode != 0, "aws s3 cp into locked/ is denied")

    def tail():
        status, page = admin("GET", "audit/log?user=plain&after=%d" % cursor)
        apis = [e["entry"]["api"]["name"] for e in page["entries"]]
        return apis if {"PutObject", "ListObjectsV2"} <= set(apis) else None

    apis = eventually(10, "the aws CLI's requests in the audit log", tail)
    check(True, "audit log after=%d shows plain's %s" % (cursor, apis))
    status, page = admin("GET", "audit/log?user=plain&api=PutObject&status=4xx")
    check(any(e["entry"]["api"].get("object") == "locked/x.txt" for e in page["entries"]),
          "the denied PUT is found by user, API and status")
    status, page = admin("GET", "audit/log?bucket=e2ebkt&api=PutObject")
    check(all(e["entry"]["api"]["bucket"] == "e2ebkt" for e in page["entries"]) and
          page["entries"], "search by bucket")
    status, page = admin("GET", "audit/log?api=ListUsers")
    check(page["entries"], "admin API calls are audited")
    status, page = admin("GET", "audit/log?api=ConfigApply")
    check(page["entries"], "config changes are in the audit log")
    text = json.dumps(page)
    check(all(secret not in text for _, secret in USERS.values()), "no secret in config entries")
    seqs = [e["seq"] for e in admin("GET", "audit/log?limit=50")[1]["entries"]]
    check(seqs == sorted(seqs, reverse=True), "newest first")


def case_simulate():
    cases = [("plain", "s3:PutObject", "arn:aws:s3:::e2ebkt/a.txt"),
             ("plain", "s3:PutObject", "arn:aws:s3:::e2ebkt/locked/a.txt"),
             ("plain", "s3:GetObject", "arn:aws:s3:::other/a.txt"),
             ("plain", "s3:DeleteBucket", "arn:aws:s3:::pubbkt")]
    for user, action, resource in cases:
        status, answer = admin("POST", "policy/simulate", as_user("opsadmin"),
                               {"principal": user, "action": action, "resource": resource})
        check(status == 200, "simulate %s %s" % (action, resource))
        # The same policies through the CLI: plain's own and its group's.
        cli = subprocess.run([BIN, "policy", "eval", "--policy",
                              os.path.join(REPO, "policies", "bkt-rw.json"), "--policy",
                              "builtin:readonly", "--action", action, "--resource", resource,
                              "--principal", user], capture_output=True, text=True, timeout=30)
        check(cli.returncode == 0, "coffer policy eval runs")
        first = cli.stdout.splitlines()[0]
        check(first == answer["decision"],
              "simulate and policy eval agree on %s %s: %s" % (action, resource, first))
    status, _ = admin("POST", "policy/simulate", as_user("plain"),
                      {"principal": "lister", "action": "s3:GetObject", "resource": "*"})
    check(status == 403, "simulating another user needs admin:GetPolicy")


def case_broken_commit():
    status, before = admin("GET", "reconcile")
    check(before["condition"] == "Ready" and before["drift"] is False,
          "reconcile: Ready, no drift (%s)" % before.get("driftReasons"))
    applied = before["applied"]["revision"]["id"]
    check(applied == subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                                    text=True).stdout.strip(), "applied revision is HEAD")
    check(before["applied"]["revision"]["author"] == "E2E Operator <ops@example.org>",
          "applied author")
    with open(os.path.join(REPO, "broken.toml"), "w") as f:
        f.write("# a mistake\n[users.broken]\nsecret = \"plaintext-secret-here\"\n")
    git("add", "broken.toml")
    git("commit", "-q", "-m", "broken")
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()

    def degraded():
        status, r = admin("GET", "reconcile")
        return r if r["condition"] == "Degraded" and r["lastAttempt"] and \
            r["lastAttempt"]["revision"].startswith(head) else None

    r = eventually(20, "the broken commit attempted", degraded)
    check(r["applied"]["revision"]["id"] == applied, "the last good revision stays applied")
    check(r["head"]["id"] == head and r["drift"] is True, "drift: HEAD is not applied")
    check(any(re.match(r"^broken\.toml:\d+:\d+: ", e) for e in r["validationErrors"]),
          "validation error with FILE:LINE:COL: %s" % r["validationErrors"])
    check(re.search(r"broken\.toml:\d+:\d+", r["lastAttempt"]["error"]) is not None,
          "the last attempt's error names FILE:LINE:COL")
    check("plaintext-secret-here" not in json.dumps(r), "the plain secret is not repeated")


def main():
    global REPO
    REPO = os.path.join(WORK, "repo")
    os.makedirs(os.path.join(REPO, "policies"))
    with open(os.path.join(REPO, "coffer.toml"), "w") as f:
        f.write(CONFIG.replace("{audit_path}", os.path.join(WORK, "audit.log")))
    with open(os.path.join(REPO, "policies", "bkt-rw.json"), "w") as f:
        json.dump(BKT_RW, f)
    with open(os.path.join(REPO, "policies", "list-users.json"), "w") as f:
        json.dump(LIST_USERS, f)
    subprocess.run(["git", "init", "-q", "-b", "main", REPO], check=True, timeout=30)
    git("config", "user.name", "E2E Operator")
    git("config", "user.email", "ops@example.org")
    git("add", "-A")
    git("commit", "-q", "-m", "admin api e2e")
    start()
    t0 = time.time()
    try:
        case_reads()
        case_audit_log()
        case_simulate()
        case_broken_commit()
    finally:
        stop()
    log("PASS admin_api_e2e (%.1f s after start)" % (time.time() - t0))


if __name__ == "__main__":
    try:
        main()
    finally:
        stop()
        if os.environ.get("E2E_KEEP") != "1":
            shutil.rmtree(WORK, ignore_errors=True)
        else:
            print("kept " + WORK)
