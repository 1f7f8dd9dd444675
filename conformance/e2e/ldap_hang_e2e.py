#!/usr/bin/python3
"""AssumeRoleWithLDAPIdentity against a directory that hangs (issue #10).

A TCP listener on 127.0.0.1 accepts connections and never answers (no TLS
handshake, no LDAP response). `coffer serve` (HTTPS, --threads 2) is configured
with it as its LDAP server, timeout_ms = 1500. For StartTLS and ldaps:
  - an LDAP login fails within the bound (StartTLS: connect + one operation,
    so about 2 x 1.5 s; ldaps: the TLS handshake, about 1.5 s) with the STS
    error IDPCommunicationError and no credentials;
  - S3 GETs (boto3, root credentials) issued while the login hangs all
    succeed promptly: a blocked login never holds every worker;
  - two logins at once: the one over the limit (workers - 1 = 1) is refused
    at once with 503 ServiceUnavailable instead of taking the last worker.

Env: COFFER_BIN. E2E_KEEP=1 keeps the work dir.
"""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.config

import coffer_proc  # conformance/e2e/coffer_proc.py

ROOT_USER = "hang-e2e-root"
ROOT_PASSWORD = "hang-e2e-root-secret-0123456789"
TIMEOUT_MS = 1500
failures = []


def log(msg):
    print(f"[ldap_hang_e2e {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class HangServer:
    """Accepts every connection and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.accepted = 0
        self.stopped = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)  # Read nothing, answer nothing.

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.held:
            c.close()


def write_repo(repo, port, tls):
    os.makedirs(repo, exist_ok=True)
    with open(os.path.join(repo, "coffer.toml"), "w") as f:
        f.write(f"""[appliance]
region = "us-east-1"

[appliance.root]
access_key = "env:COFFER_ROOT_USER"
secret_key = "env:COFFER_ROOT_PASSWORD"

[buckets.hang-e2e]

[policies.ldap-rw]
json = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::hang-e2e/*"]}}]}}'''

[identity.ldap.hung]
server = "127.0.0.1:{port}"
tls = "{tls}"
timeout_ms = {TIMEOUT_MS}
lookup_bind_dn = "cn=admin,dc=example,dc=org"
lookup_bind_password = "env:LOOKUP_PASSWORD"
user_dn_search_base = "ou=people,dc=example,dc=org"
user_dn_search_filter = "(uid=%s)"

[identity.ldap.hung.user_policies]
"uid=alice,ou=people,dc=example,dc=org" = ["ldap-rw"]
""")


class Coffer:
    def __init__(self, work, repo, certs):
        self.work, self.repo, self.certs = work, repo, certs
        self.ca = os.path.join(certs, "CAs", "coffer-local-ca.crt")
        self.proc = None

    def start(self):
        env = dict(os.environ, COFFER_ROOT_USER=ROOT_USER, COFFER_ROOT_PASSWORD=ROOT_PASSWORD,
                   LOOKUP_PASSWORD="lookup-secret")
        for attempt in range(3):
            port = free_port()
            self.endpoint = f"https://127.0.0.1:{port}"
            logf = open(os.path.join(self.work, "coffer.log"), "ab")
            data = os.path.join(self.work, "data")
            self.proc = subprocess.Popen(
                [os.environ["COFFER_BIN"], "serve", "--data", data, "--config", self.repo,
                 "--address", f"127.0.0.1:{port}", "--certs-dir", self.certs,
                 "--threads", "2", "--reconcile-interval", "30"],
                env=env, stdout=logf, stderr=logf)
            if coffer_proc.wait_ready(self.proc, self.endpoint, self.ca, 60):
                return
            self.stop()
            log(f"coffer serve did not become ready (attempt {attempt + 1})")
        raise RuntimeError("coffer serve did not start; see coffer.log")

    def stop(self):
        coffer_proc.stop(self.proc)
        self.proc = None


def ldap_login(coffer):
    """Returns (status, body, seconds)."""
    data = urllib.parse.urlencode({"Action": "AssumeRoleWithLDAPIdentity", "Version": "2011-06-15",
                                   "LDAPUsername": "alice", "LDAPPassword": "alice-pw"}).encode()
    req = urllib.request.Request(coffer.endpoint + "/", data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    ctx = ssl.create_default_context(cafile=coffer.ca)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.read().decode(), time.monotonic() - start
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), time.monotonic() - start


def s3_client(coffer):
    return boto3.client("s3", endpoint_url=coffer.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_USER, aws_secret_access_key=ROOT_PASSWORD,
                        verify=coffer.ca,
                        config=botocore.config.Config(s3={"addressing_style": "path"},
                                                      retries={"max_attempts": 1},
                                                      connect_timeout=5, read_timeout=5))


def gets_while(coffer, busy):
    """S3 GETs while busy() holds; returns their latencies (raises on failure)."""
    s3 = s3_client(coffer)
    latencies = []
    while busy() or not latencies:
        start = time.monotonic()
        body = s3.get_object(Bucket="hang-e2e", Key="probe.txt")["Body"].read()
        latencies.append(time.monotonic() - start)
        check(body == b"still serving", f"GET body {body!r}")
        time.sleep(0.05)
    return latencies


def run_mode(work, certs, hang, tls, bound_s):
    repo = os.path.join(work, f"repo-{tls}")
    write_repo(repo, hang.port, tls)
    coffer = Coffer(work, repo, certs)
    coffer.start()
    try:
        s3_client(coffer).put_object(Bucket="hang-e2e", Key="probe.txt", Body=b"still serving")

        def one_login():
            before = hang.accepted
            status, body, took = ldap_login(coffer)
            log(f"{tls}: login answered {status} in {took:.2f}s")
            check(hang.accepted > before, "the login never reached the hanging directory")
            check(status == 400 and "<Code>IDPCommunicationError</Code>" in body,
                  f"want IDPCommunicationError, got {status}: {body[:300]}")
            check("<SessionToken>" not in body, "credentials from a hung directory")
            check("alice-pw" not in body, "the password came back")
            check(took <= bound_s, f"login took {took:.2f}s, bound {bound_s}s")

        # One login while S3 GETs run beside it.
        done = threading.Event()
        result = {}

        def login_thread():
            try:
                one_login()
            except Exception as e:  # noqa: BLE001
                result["error"] = e
            finally:
                done.set()

        t = threading.Thread(target=login_thread)
        t.start()
        time.sleep(0.3)  # Let the login take its worker.
        latencies = gets_while(coffer, lambda: not done.is_set())
        t.join()
        if "error" in result:
            raise result["error"]
        log(f"{tls}: {len(latencies)} GETs during the hung login, slowest "
            f"{max(latencies):.3f}s")
        check(len(latencies) >= 3, f"only {len(latencies)} GETs while the login hung")
        check(max(latencies) < 1.5, f"a GET took {max(latencies):.2f}s during the hung login")

        # Two logins at once: the second finds the limit taken and is refused now.
        answers = []

        def login_into(out):
            out.append(ldap_login(coffer))

        threads = [threading.Thread(target=login_into, args=(answers,)) for _ in range(2)]
        threads[0].start()
        time.sleep(0.3)
        threads[1].start()
        time.sleep(0.3)
        latencies = gets_while(coffer, lambda: threads[0].is_alive())
        for th in threads:
            th.join()
        statuses = sorted(a[0] for a in answers)
        log(f"{tls}: concurrent logins answered {statuses}, GETs meanwhile slowest "
            f"{max(latencies):.3f}s")
        check(statuses == [400, 503], f"want one 400 and one 503, got {statuses}")
        refused = [a for a in answers if a[0] == 503][0]
        check("<Code>ServiceUnavailable</Code>" in refused[1], f"503 body {refused[1][:300]}")
        check(refused[2] < 1.0, f"the refused login took {refused[2]:.2f}s")
        check(max(latencies) < 1.5, f"a GET took {max(latencies):.2f}s during two logins")
    finally:
        coffer.stop()


def main():
    if not os.access(os.environ.get("COFFER_BIN", ""), os.X_OK):
        log("COFFER_BIN is not an executable")
        return 1
    work = tempfile.mkdtemp(prefix="coffer-ldap-hang.")
    hang = HangServer()
    ok = False
    try:
        certs = os.path.join(work, "certs")
        subprocess.run([os.environ["COFFER_BIN"], "certs", "generate", "--host", "localhost",
                        "--ip", "127.0.0.1", "--out", certs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        slack = 2.0  # An ASan build on a loaded 2-core machine.
        for tls, bound in (("starttls", 2 * TIMEOUT_MS / 1000 + slack),
                           ("tls", TIMEOUT_MS / 1000 + slack)):
            try:
                run_mode(work, certs, hang, tls, bound)
                log(f"ok   {tls}")
            except Exception as e:  # noqa: BLE001 - report every mode
                failures.append(tls)
                log(f"FAIL {tls}: {type(e).__name__}: {e}")
        ok = not failures
    finally:
        hang.stop()
        if not ok and os.path.exists(os.path.join(work, "coffer.log")):
            with open(os.path.join(work, "coffer.log"), "rb") as f:
                tail = f.read().decode(errors="replace").splitlines()[-20:]
            print("---- coffer serve log (last 20 lines) ----\n" + "\n".join(tail),
                  file=sys.stderr)
        if os.environ.get("E2E_KEEP"):
            log(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        log(f"FAILED: {failures}")
        return 1
    print("ldap_hang_e2e: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
