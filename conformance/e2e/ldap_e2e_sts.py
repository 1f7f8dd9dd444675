#!/usr/bin/python3
"""AssumeRoleWithLDAPIdentity end to end: `coffer serve` over HTTPS against the
slapd that ldap_e2e.sh started, then S3 calls with the temporary credentials
through boto3 (Debian's python3-boto3), allowed and denied as the policies
mapped from the user's DN and groups say.

The aws CLI and boto3 have no AssumeRoleWithLDAPIdentity operation (it is
MinIO's); like MinIO's clients, this posts the unsigned form
Action=AssumeRoleWithLDAPIdentity&LDAPUsername=..&LDAPPassword=..&Version=2011-06-15.

Usage (from ldap_e2e.sh): ldap_e2e_sts.py WORK_DIR LDAP_PORT
Env: COFFER_BIN, COFFER_SOURCE_DIR, LDAP_LOOKUP_PASSWORD.
"""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.config
import botocore.exceptions

import coffer_proc  # conformance/e2e/coffer_proc.py

STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
ROOT_USER = "ldap-e2e-root"
ROOT_PASSWORD = "ldap-e2e-root-secret-0123456789"

failures = []


def log(msg):
    print(f"[ldap_e2e_sts {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def case(name, fn):
    try:
        fn()
        log(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - report every failing case, keep going
        failures.append(name)
        log(f"FAIL {name}: {type(e).__name__}: {e}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Coffer:
    def __init__(self, work, repo):
        self.work = work
        self.certs = os.path.join(work, "coffer-certs")
        os.makedirs(os.path.join(self.certs, "CAs"), exist_ok=True)
        # The slapd's certificate is valid for 127.0.0.1 too; its CA is in CAs/,
        # which is also where the LDAP client finds the directory's CA.
        shutil.copy(os.path.join(work, "tls/server.crt"), os.path.join(self.certs, "public.crt"))
        shutil.copy(os.path.join(work, "tls/server.key"), os.path.join(self.certs, "private.key"))
        shutil.copy(os.path.join(work, "tls/ca.crt"), os.path.join(self.certs, "CAs/ca.crt"))
        self.ca = os.path.join(work, "tls/ca.crt")
        self.repo = repo
        self.proc = None
        self.endpoint = None

    def start(self):
        env = dict(os.environ, COFFER_ROOT_USER=ROOT_USER, COFFER_ROOT_PASSWORD=ROOT_PASSWORD)
        for attempt in range(3):
            port = free_port()
            self.endpoint = f"https://127.0.0.1:{port}"
            self.log = open(os.path.join(self.work, "coffer.log"), "ab")
            self.proc = subprocess.Popen(
                [os.environ["COFFER_BIN"], "serve", "--data", os.path.join(self.work, "coffer-data"),
                 "--config", self.repo, "--address", f"127.0.0.1:{port}",
                 "--certs-dir", self.certs, "--reconcile-interval", "5"],
                env=env, stdout=self.log, stderr=self.log)
            if coffer_proc.wait_ready(self.proc, self.endpoint, self.ca, 30):
                return
            self.stop()
            log(f"coffer serve did not become ready (attempt {attempt + 1})")
        raise RuntimeError("coffer serve did not start; see coffer.log")

    def stop(self):
        coffer_proc.stop(self.proc)
        self.proc = None


def assume_ldap(coffer, username, password, duration=None):
    """Returns (status, credentials dict or None, body text)."""
    form = {"Action": "AssumeRoleWithLDAPIdentity", "Version": "2011-06-15",
            "LDAPUsername": username, "LDAPPassword": password}
    if duration:
        form["DurationSeconds"] = str(duration)
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(coffer.endpoint + "/", data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    ctx = ssl.create_default_context(cafile=coffer.ca)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    creds = None
    if status == 200:
        root = ET.fromstring(body)
        c = root.find(f".//{STS_NS}Credentials")
        if c is not None:
            creds = {k: c.findtext(f"{STS_NS}{k}") for k in
                     ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}
    return status, creds, body


def s3_for(coffer, creds):
    return boto3.session.Session().client(
        "s3", endpoint_url=coffer.endpoint, region_name="us-east-1", verify=coffer.ca,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def expect_denied(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        if code != "AccessDenied":
            raise AssertionError(f"expected AccessDenied, got {code}") from e
        return
    raise AssertionError("expected AccessDenied, the call succeeded")


def expect_refused(coffer, username, password):
    status, creds, body = assume_ldap(coffer, username, password)
    assert creds is None, f"credentials handed out for {username!r}"
    assert 400 <= status < 500, f"status {status}: {body}"
    assert "<ErrorResponse" in body and "<Code>" in body, body
    if len(password) >= 4:
        assert password not in body, "the password came back in the error"


def main():
    work, _ldap_port = sys.argv[1], sys.argv[2]
    coffer = Coffer(work, os.path.join(work, "repo-starttls"))
    coffer.start()
    try:
        run_cases(coffer)
    finally:
        coffer.stop()
    if failures:
        log(f"{len(failures)} failed: {failures}")
        return 1
    log("all passed")
    return 0


def run_cases(coffer):
    sessions = {}

    def login(user, password):
        def fn():
            status, creds, body = assume_ldap(coffer, user, password, duration=900)
            assert status == 200 and creds, f"status {status}: {body}"
            assert creds["AccessKeyId"] and creds["SessionToken"], creds
            sessions[user] = s3_for(coffer, creds)
        return fn

    case("alice gets temporary credentials", login("alice", "alice-pass"))
    case("bob gets temporary credentials", login("bob", "bob-pass"))
    case("carol (password with filter metacharacters) gets credentials",
         login("carol", "c(a)r*ol\\pass"))
    if set(sessions) != {"alice", "bob", "carol"}:
        return

    alice, bob, carol = sessions["alice"], sessions["bob"], sessions["carol"]
    case("alice writes and reads her own prefix (ldap-home with ${ldap:username})", lambda: (
        alice.put_object(Bucket="ldapbkt", Key="alice/note.txt", Body=b"hi from alice"),
        _assert_eq(alice.get_object(Bucket="ldapbkt", Key="alice/note.txt")["Body"].read(),
                   b"hi from alice")))
    case("alice lists the bucket", lambda: alice.list_objects_v2(Bucket="ldapbkt"))
    case("alice may not write bob's prefix",
         lambda: expect_denied(lambda: alice.put_object(Bucket="ldapbkt", Key="bob/x", Body=b"x")))
    case("alice may not create buckets",
         lambda: expect_denied(lambda: alice.create_bucket(Bucket="alice-new-bucket")))
    case("bob (group devs: readwrite) writes anywhere in the bucket",
         lambda: bob.put_object(Bucket="ldapbkt", Key="shared/bob.txt", Body=b"bob"))
    case("carol (group auditors: readonly) reads", lambda: _assert_eq(
        carol.get_object(Bucket="ldapbkt", Key="shared/bob.txt")["Body"].read(), b"bob"))
    case("carol may not write", lambda: expect_denied(
        lambda: carol.put_object(Bucket="ldapbkt", Key="shared/carol.txt", Body=b"c")))

    case("wrong password: no credentials", lambda: expect_refused(coffer, "alice", "not-alice"))
    case("empty password: no credentials", lambda: expect_refused(coffer, "alice", ""))
    case("unknown user: no credentials", lambda: expect_refused(coffer, "mallory", "whatever"))
    case("ambiguous username: no credentials", lambda: expect_refused(coffer, "dup", "dup-pass"))
    case("user without a mapped policy: no credentials",
         lambda: expect_refused(coffer, "dave", "dave-pass"))
    for attack in ["*", "*)(uid=*", "admin)(|(uid=*", "alice)(|(uid=*"]:
        case(f"injection {attack!r}: no credentials",
             lambda a=attack: expect_refused(coffer, a, "alice-pass"))


def _assert_eq(got, want):
    assert got == want, f"got {got!r}, want {want!r}"


if __name__ == "__main__":
    sys.exit(main())
