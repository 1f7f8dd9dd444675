#!/usr/bin/python3
"""End-to-end tests of the audit trail (issue #11) against `coffer serve` and a
real webhook receiver (conformance/e2e/audit_receiver.py, Python's http.server)
started by the test on 127.0.0.1.

usage: audit_e2e.py outage|kill9|strict|besteffort|redaction|sigterm|tls|queuedir|metrics|kms

  outage      load with the receiver stopped for E2E_AUDIT_OUTAGE_S seconds
              (default 20; the issue says 60; CI runs 10) and restarted: the
              set of request IDs received equals the set of requests made,
              duplicates identical; the file target has the same set.
  kill9       kill -9 of coffer in the middle of load (receiver down): after a
              restart every acknowledged request's entry is delivered.
  strict      spool full (disk full on a small tmpfs when mount works, and
              queue_size reached): PUT answers 503 and the object is not written.
  besteffort  spool full in best-effort mode: PUTs succeed, /metrics counts drops.
  redaction   Authorization, X-Amz-Security-Token, SSE-C keys, presigned
              signatures and STS passwords/tokens never reach the receiver, the
              file target, the spool or the log; `coffer audit tail` filters.
  sigterm     SIGTERM under load with the webhook down, and while idle with a
              silent client connected: exits within E2E_SIGTERM_BOUND_S
              (default 12), and every acknowledged entry arrives later.
  tls         HTTPS webhook with mTLS (test CA, client certificate): an
              untrusted server certificate is refused and entries stay
              spooled until it is fixed; no client certificate, no delivery.
  queuedir    queue_dir changed at run time and while stopped: nothing spooled
              under the old folders is lost.
  metrics     /metrics with SigV4 (curl --aws-sigv4, botocore): admin:Prometheus
              keys and root read it; others and anonymous get AccessDenied.
  kms         key-service operations (create at start-up, SSE-KMS generate and
              decrypt) leave entries without key material.

Env: COFFER_BIN, COFFER_SOURCE_DIR (set by ctest).
"""
import concurrent.futures
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

COFFER_BIN = os.environ["COFFER_BIN"]
SOURCE = os.environ["COFFER_SOURCE_DIR"]
RECEIVER = os.path.join(SOURCE, "conformance/e2e/audit_receiver.py")
ROOT_KEY = "audit-root"
ROOT_SECRET = "audit-root-secret-0123456789"
HOOK_TOKEN = "hook-bearer-token-0123456789"
METRICS_TOKEN = "metrics-bearer-token-0123456789"
BODY = b"x" * 4096


def log(*args):
    print("[audit_e2e %s]" % time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nothing listens on %d" % port)


class Receiver:
    def __init__(self, work, port=None):
        self.port = port or free_port()
        self.record = os.path.join(work, "receiver.jsonl")
        self.proc = None
        self.extra = []  # e.g. ["--tls", CERT, KEY, "--client-ca", CA]

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", RECEIVER, str(self.port), self.record]
                                     + self.extra, stdout=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def entries(self):
        out = []
        if not os.path.exists(self.record):
            return out
        with open(self.record, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
        return out


class Coffer:
    def __init__(self, work, repo):
        self.work = work
        self.repo = repo
        self.data = os.path.join(work, "data")
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(work, "coffer.log")
        self.proc = None
        self.extra_args = []

    def start(self):
        env = dict(os.environ, COFFER_ROOT_USER=ROOT_KEY, COFFER_ROOT_PASSWORD=ROOT_SECRET,
                   COFFER_VIEWER_SECRET="viewer-secret-0123456789",
                   AUDIT_HOOK_TOKEN=HOOK_TOKEN, COFFER_METRICS_TOKEN=METRICS_TOKEN)
        certs = os.path.join(self.work, "certs-empty")
        os.makedirs(certs, exist_ok=True)
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(
                [COFFER_BIN, "serve", "--data", self.data, "--config", self.repo, "--address",
                 "127.0.0.1:%d" % self.port, "--certs-dir", certs, "--reconcile-interval", "5"]
                + self.extra_args,
                stdout=logf, stderr=logf, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("coffer serve exited: " + self.tail())
            try:
                urllib.request.urlopen(self.endpoint + "/minio/health/live", timeout=2)
                return
            except Exception:
                time.sleep(0.1)
        raise AssertionError("coffer serve did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def tail(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return ""

    def client(self):
        # One session per client: boto3's default session is not thread-safe,
        # and the load generators create clients from several threads. SigV4
        # for presigned URLs too (botocore 1.29 presigns S3 with V2 otherwise).
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ROOT_KEY,
            aws_secret_access_key=ROOT_SECRET, region_name="us-east-1",
            config=botocore.config.Config(signature_version="s3v4",
                                          s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1, "mode": "standard"},
                                          connect_timeout=5, read_timeout=30))

    def metrics(self):
        req = urllib.request.Request(self.endpoint + "/metrics",
                                     headers={"Authorization": "Bearer " + METRICS_TOKEN})
        return urllib.request.urlopen(req, timeout=10).read().decode()


def make_repo(work, audit_toml):
    repo = os.path.join(work, "repo")
    shutil.copytree(os.path.join(SOURCE, "fixtures/quickstart"), repo)
    with open(os.path.join(repo, "appliance.toml"), "a", encoding="utf-8") as f:
        f.write('\n[appliance.metrics]\nbearer_token = "env:COFFER_METRICS_TOKEN"\n')
    with open(os.path.join(repo, "audit.toml"), "w", encoding="utf-8") as f:
        f.write(audit_toml)
    return repo


def webhook_toml(receiver, extra=""):
    return ('[audit.webhook.hook]\nendpoint = "http://127.0.0.1:%d/audit"\n'
            'auth_token = "env:AUDIT_HOOK_TOKEN"\nbatch_size = 50\ntimeout_ms = 2000\n%s\n'
            % (receiver.port, extra))


def request_id(response_or_error):
    meta = response_or_error.get("ResponseMetadata", {})
    return meta.get("RequestId") or meta.get("HTTPHeaders", {}).get("x-amz-request-id")


class Load:
    """PUTs from several threads; remembers every request ID the client saw
    (made) and those acknowledged with success (acked)."""

    def __init__(self, coffer, bucket, threads=6):
        self.coffer, self.bucket, self.threads = coffer, bucket, threads
        self.made, self.acked, self.statuses = set(), set(), {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.count = 0

    def one(self, s3, key):
        try:
            r = s3.put_object(Bucket=self.bucket, Key=key, Body=BODY)
            rid, status = request_id(r), 200
        except botocore.exceptions.ClientError as e:
            rid, status = request_id(e.response), e.response["ResponseMetadata"]["HTTPStatusCode"]
        except (botocore.exceptions.BotoCoreError, OSError):
            return None  # No answer: not acknowledged, no request ID seen.
        with self.lock:
            if rid:
                self.made.add(rid)
                self.statuses[key] = status
                if status == 200:
                    self.acked.add(rid)
        return status

    def run(self, seconds=None, total=None):
        def worker(n):
            s3 = self.coffer.client()
            i = 0
            start = time.time()
            while not self.stop.is_set():
                if seconds is not None and time.time() - start > seconds:
                    break
                with self.lock:
                    if total is not None and self.count >= total:
                        break
                    self.count += 1
                    key = "load/%d-%d-%d" % (n, i, self.count)
                i += 1
                self.one(s3, key)

        with concurrent.futures.ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(worker, range(self.threads)))


def incoming(entries):
    """Request entries (not config changes, not the test's own metric polls), by request ID."""
    out = {}
    for e in entries:
        doc = json.loads(e["entry"])
        if doc.get("trigger") != "incoming" or doc["api"]["name"] == "Metrics":
            continue
        out.setdefault(doc["requestID"], []).append(e["entry"])
    return out


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError("timed out waiting for " + what)


def assert_duplicates_identical(by_id):
    for rid, docs in by_id.items():
        assert all(d == docs[0] for d in docs), "duplicates of %s differ" % rid


def file_target_ids(path):
    ids = {}
    for p in sorted(glob.glob(path + "*")):
        with open(p, encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                if doc.get("trigger") == "incoming" and doc["api"]["name"] != "Metrics":
                    ids.setdefault(doc["requestID"], []).append(line.rstrip("\n"))
    return ids


def case_outage(work):
    outage_s = float(os.environ.get("E2E_AUDIT_OUTAGE_S", "20"))
    receiver = Receiver(work)
    receiver.start()
    audit_file = os.path.join(work, "audit.jsonl")
    repo = make_repo(work, webhook_toml(receiver) + '[audit.file.local]\npath = "%s"\n'
                     'rotate_size_bytes = 200000\nmax_files = 100\n' % audit_file)
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        s3 = coffer.client()
        load = Load(coffer, "quickstart")
        load.run(total=100)
        log("receiver stopped for %.0f s under load" % outage_s)
        receiver.stop()
        load.run(seconds=outage_s)
        receiver.start()
        log("receiver restarted")
        load.run(total=load.count + 100)
        made = set(load.made)
        log("requests made: %d (acknowledged %d)" % (len(made), len(load.acked)))
        assert len(load.acked) > 200, "too little load"
        wait_for(lambda: made <= set(incoming(receiver.entries())), 90, "every request ID")
        got = incoming(receiver.entries())
        assert set(got) == made, "extra IDs: %s" % sorted(set(got) - made)[:5]
        assert_duplicates_identical(got)
        assert all(e["auth"] == "Bearer " + HOOK_TOKEN for e in receiver.entries())
        assert all(e["key"] for e in receiver.entries()), "an idempotency key is missing"
        wait_for(lambda: made <= set(file_target_ids(audit_file)), 30, "the file target")
        files = file_target_ids(audit_file)
        assert set(files) == made
        assert_duplicates_identical(files)
        assert len(glob.glob(audit_file + ".*")) >= 1, "the file target never rotated"
        metrics = coffer.metrics()
        assert 'coffer_audit_failed_total{target="webhook:hook"}' in metrics
        failed = [l for l in metrics.splitlines()
                  if l.startswith('coffer_audit_failed_total{target="webhook:hook"}')]
        assert int(failed[0].split()[-1]) > 0, failed
        assert 'coffer_requests_total{api="PutObject",status="200"}' in metrics
        log("received %d IDs, %d entries (duplicates %d)" %
            (len(got), sum(len(v) for v in got.values()),
             sum(len(v) for v in got.values()) - len(got)))
    finally:
        coffer.stop()
        receiver.stop()


def case_kill9(work):
    receiver = Receiver(work)
    repo = make_repo(work, webhook_toml(receiver))
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        load = Load(coffer, "quickstart")
        killer = threading.Timer(3.0, lambda: coffer.proc.send_signal(signal.SIGKILL))
        killer.start()
        load.run(seconds=6)
        killer.join()
        coffer.proc.wait(timeout=10)
        acked = set(load.acked)
        log("acknowledged before kill -9: %d" % len(acked))
        assert len(acked) > 20, "too little load before the kill"
        coffer.proc = None
        coffer.start()
        receiver.start()
        wait_for(lambda: acked <= set(incoming(receiver.entries())), 60,
                 "every acknowledged request's entry")
        assert_duplicates_identical(incoming(receiver.entries()))
    finally:
        coffer.stop()
        receiver.stop()


def put_status(s3, key):
    try:
        s3.put_object(Bucket="quickstart", Key=key, Body=BODY)
        return 200
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


def head_status(s3, key):
    try:
        s3.head_object(Bucket="quickstart", Key=key)
        return 200
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


def queued(coffer):
    try:
        text = coffer.metrics()
    except OSError:  # 503 while a strict spool is full, or not up yet.
        return -1
    for line in text.splitlines():
        if line.startswith('coffer_audit_queued{target="webhook:hook"}'):
            return int(line.split()[-1])
    return -1


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path],
                          capture_output=True).returncode == 0


def case_strict(work):
    receiver = Receiver(work)
    receiver.start()
    spoolfs = os.path.join(work, "spoolfs")
    mounted = mount_tmpfs(spoolfs, "3m")
    queue_size = 6
    extra = "queue_size = %d\n" % queue_size
    if mounted:
        extra += 'queue_dir = "%s/hook"\n' % spoolfs
    repo = make_repo(work, webhook_toml(receiver, extra))
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        s3 = coffer.client()
        wait_for(lambda: queued(coffer) == 0, 30, "config entries to drain")
        assert put_status(s3, "before") == 200
        if mounted:
            log("disk full: filling the spool's tmpfs")
            with open(os.path.join(spoolfs, "filler"), "wb") as f:
                f.write(b"\0" * (2560 * 1024))
            assert put_status(s3, "disk-full") == 503
            os.remove(os.path.join(spoolfs, "filler"))
            assert head_status(s3, "disk-full") == 404, "the refused PUT wrote its object"
        else:
            log("tmpfs mount not permitted here: disk-full case skipped, queue_size case runs")
        wait_for(lambda: queued(coffer) == 0, 30, "the spool to drain")
        time.sleep(1)  # The metric poll's own entry is delivered too.
        wait_for(lambda: queued(coffer) == 0, 30, "the spool to drain")
        time.sleep(1)
        receiver.stop()
        oks = 0
        for i in range(queue_size + 3):
            status = put_status(s3, "q%d" % i)
            if status != 200:
                assert status == 503, status
                break
            oks += 1
        # The last metric poll's entry may still hold one slot.
        assert queue_size - 1 <= oks <= queue_size, \
            "spool accepted %d of %d before refusing" % (oks, queue_size)
        refused_key = "q%d" % oks
        receiver.start()
        wait_for(lambda: queued(coffer) == 0, 60, "the spool to drain after the receiver came back")
        assert head_status(s3, refused_key) == 404, "the refused PUT wrote its object"
        assert head_status(s3, "q0") == 200
        assert "coffer_audit_refused_total{target=\"webhook:hook\"}" in coffer.metrics()
    finally:
        coffer.stop()
        receiver.stop()
        if mounted:
            subprocess.run(["umount", spoolfs], capture_output=True)


def case_besteffort(work):
    receiver = Receiver(work)  # Never started: every delivery fails.
    repo = make_repo(work, webhook_toml(receiver, 'queue_size = 3\nmode = "best-effort"\n'))
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        s3 = coffer.client()
        statuses = [put_status(s3, "be%d" % i) for i in range(8)]
        assert statuses == [200] * 8, statuses
        dropped = [l for l in coffer.metrics().splitlines()
                   if l.startswith('coffer_audit_dropped_total{target="webhook:hook"}')]
        assert dropped and int(dropped[0].split()[-1]) >= 5, dropped
        # /metrics refuses a wrong token and no token.
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            try:
                urllib.request.urlopen(urllib.request.Request(coffer.endpoint + "/metrics",
                                                              headers=headers), timeout=5)
                raise AssertionError("metrics answered without the token")
            except urllib.error.HTTPError as e:
                assert e.code == 403, e.code
    finally:
        coffer.stop()


SECRETS = {
    "signature": "deadbeef" * 8,
    "token": "SESSIONTOKENzzSECRET0123456789",
    "ssec": "c3NlY2tleXNlY3JldDAxMjM0NTY3ODlhYmNkZWZnaGk=",
    "ssec_copy": "Y29weXNvdXJjZWtleXNlY3JldDAxMjM0NTY3ODlhYmM=",
    "ldap": "LDAPPASSWORDzzSECRET42",
    "webid": "WEBIDENTITYzzSECRET.jwt.token",
    "sts_token": "STSTOKENzzSECRET99",
}


def raw_request(coffer, method, target, headers, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", coffer.port, timeout=10)
    conn.request(method, target, body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("x-amz-request-id")


def case_redaction(work):
    receiver = Receiver(work)
    receiver.start()
    audit_file = os.path.join(work, "audit.jsonl")
    repo = make_repo(work, webhook_toml(receiver) + '[audit.file.local]\npath = "%s"\n' % audit_file)
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        s3 = coffer.client()
        ids = []
        auth = ("AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/s3/aws4_request, "
                "SignedHeaders=host, Signature=%s" % (ROOT_KEY, SECRETS["signature"]))
        ids.append(raw_request(coffer, "PUT", "/quickstart/secret-headers", {
            "Authorization": auth,
            "X-Amz-Security-Token": SECRETS["token"],
            "x-amz-server-side-encryption-customer-algorithm": "AES256",
            "x-amz-server-side-encryption-customer-key": SECRETS["ssec"],
            "x-amz-copy-source-server-side-encryption-customer-key": SECRETS["ssec_copy"],
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        }, b"hello")[1])
        s3.put_object(Bucket="quickstart", Key="presigned", Body=b"hi")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "quickstart",
                                                              "Key": "presigned"}, ExpiresIn=300)
        presigned_sig = url.split("X-Amz-Signature=")[1].split("&")[0]
        with urllib.request.urlopen(url, timeout=10) as r:
            ids.append(r.headers["x-amz-request-id"])
            assert r.status == 200
        ids.append(raw_request(coffer, "POST", "/?Action=AssumeRoleWithLDAPIdentity&Version="
                               "2011-06-15&LDAPUsername=alice&LDAPPassword=" + SECRETS["ldap"],
                               {})[1])
        ids.append(raw_request(coffer, "POST", "/?Action=AssumeRoleWithWebIdentity&Version="
                               "2011-06-15&WebIdentityToken=" + SECRETS["webid"] + "&Token=" +
                               SECRETS["sts_token"], {})[1])
        ids.append(raw_request(coffer, "POST", "/", {
            "Content-Type": "application/x-www-form-urlencoded"},
            ("Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=alice"
             "&LDAPPassword=" + SECRETS["ldap"]).encode())[1])
        assert ids[0] and ids[1], ids
        ids = ids[:2]

        def sts_seen():
            queries = [json.loads(e["entry"]).get("requestQuery", {}) for e in receiver.entries()]
            return (any(q.get("LDAPPassword") == "REDACTED" for q in queries) and
                    any(q.get("WebIdentityToken") == "REDACTED" and q.get("Token") == "REDACTED"
                        for q in queries))

        wait_for(lambda: set(ids) <= set(incoming(receiver.entries())) and sts_seen(), 30,
                 "the entries")
        wait_for(lambda: set(ids) <= set(file_target_ids(audit_file)), 30, "the file entries")
        secrets = list(SECRETS.values()) + [presigned_sig, ROOT_SECRET, HOOK_TOKEN]
        entries_only = os.path.join(work, "receiver-entries.jsonl")
        with open(entries_only, "w", encoding="utf-8") as f:
            for e in receiver.entries():  # The record also holds the Bearer header it got.
                f.write(e["entry"] + "\n")
        places = {"receiver": entries_only, "file target": audit_file,
                  "coffer log": coffer.log_path}
        places.update({"spool " + p: p for p in glob.glob(coffer.data + "/audit/**/*",
                                                           recursive=True) if os.path.isfile(p)})
        for name, path in places.items():
            with open(path, "rb") as f:
                data = f.read()
            for secret in secrets:
                assert secret.encode() not in data, "%s leaked into the %s" % (secret[:12], name)
        entry = json.loads(incoming(receiver.entries())[ids[0]][0])
        assert entry["requestHeader"]["authorization"] == "REDACTED"
        assert entry["requestHeader"]["x-amz-server-side-encryption-customer-key"] == "REDACTED"
        # `coffer audit tail` over the file target.
        out = subprocess.run([COFFER_BIN, "audit", "tail", "--file", audit_file, "--bucket",
                              "quickstart", "--status", "200"], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stderr
        lines = [json.loads(l) for l in out.stdout.splitlines()]
        assert lines, "audit tail printed nothing"
        assert all(l["api"]["bucket"] == "quickstart" and l["api"]["statusCode"] == 200
                   for l in lines)
        assert ids[1] in {l["requestID"] for l in lines}
        out = subprocess.run([COFFER_BIN, "audit", "tail", "--file", audit_file, "--user", "nobody"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and out.stdout == "", out.stdout[:200]
    finally:
        coffer.stop()
        receiver.stop()


def dump_stacks(pid):
    """The threads' stacks of a process that would not stop (for the failure report)."""
    try:
        out = subprocess.run(["gdb", "-batch", "-p", str(pid), "-ex", "thread apply all bt 12"],
                             capture_output=True, text=True, timeout=60).stdout
        log("stacks of the hung coffer:\n" + out[-12000:])
    except (OSError, subprocess.TimeoutExpired):
        pass


def sigterm_and_time(coffer, bound_s):
    """SIGTERM, then the seconds until exit; fails (with stacks) past bound_s * 3."""
    sent = time.time()
    coffer.proc.send_signal(signal.SIGTERM)
    try:
        rc = coffer.proc.wait(timeout=bound_s * 3)
    except subprocess.TimeoutExpired:
        dump_stacks(coffer.proc.pid)
        coffer.proc.kill()
        coffer.proc.wait()
        raise AssertionError("coffer ignored SIGTERM for %.0f s" % (bound_s * 3))
    took = time.time() - sent
    coffer.proc = None
    assert rc == 0, "coffer exited %d after SIGTERM" % rc
    assert took <= bound_s, "coffer took %.1f s to stop (bound %.0f s)" % (took, bound_s)
    return took


def case_sigterm(work):
    """SIGTERM during load and while the webhook target is down: the process
    exits within a bound, and no spooled entry is lost."""
    bound_s = float(os.environ.get("E2E_SIGTERM_BOUND_S", "12"))
    receiver = Receiver(work)  # Down until the last leg.
    repo = make_repo(work, webhook_toml(receiver))
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        load = Load(coffer, "quickstart")
        loader = threading.Thread(target=load.run, kwargs={"seconds": 10})
        loader.start()
        time.sleep(3)
        took = sigterm_and_time(coffer, bound_s)
        load.stop.set()
        loader.join()
        acked = set(load.acked)
        log("stopped under load in %.2f s; acknowledged %d" % (took, len(acked)))
        assert len(acked) > 20, "too little load before SIGTERM"
        # Idle, retries pending against the dead receiver, and a client that
        # connected but never sent a request: none of them holds the exit.
        coffer.start()
        idle = socket.create_connection(("127.0.0.1", coffer.port), timeout=5)
        time.sleep(2)
        took = sigterm_and_time(coffer, min(bound_s, 5))
        idle.close()
        log("stopped while idle in %.2f s" % took)
        # Two listeners: their drains end on different I/O threads (a lost
        # count there once kept serve alive for good). A few rounds, as it is
        # a race.
        for round_ in range(3):
            coffer.extra_args = ["--plain-address", "127.0.0.1:%d" % free_port()]
            coffer.start()
            more = Load(coffer, "quickstart", threads=4)
            loader = threading.Thread(target=more.run, kwargs={"seconds": 6})
            loader.start()
            time.sleep(1.5)
            took = sigterm_and_time(coffer, bound_s)
            more.stop.set()
            loader.join()
            acked |= set(more.acked)
            log("two listeners, round %d: stopped in %.2f s" % (round_ + 1, took))
        coffer.extra_args = []
        coffer.start()
        receiver.start()
        wait_for(lambda: acked <= set(incoming(receiver.entries())), 60,
                 "every acknowledged request's entry after the restarts")
        assert_duplicates_identical(incoming(receiver.entries()))
    finally:
        coffer.stop()
        receiver.stop()


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_test_pki(d):
    """A test CA with a server certificate for 127.0.0.1 and a client
    certificate, and a second, untrusted CA with its own 127.0.0.1 server
    certificate. Returns a function from file name to path."""
    os.makedirs(d, exist_ok=True)

    def p(name):
        return os.path.join(d, name)

    ext = p("ext.cnf")
    with open(ext, "w", encoding="utf-8") as f:
        f.write("[server]\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                "[client]\nextendedKeyUsage=clientAuth\n")
    for ca in ("ca", "rogue-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", p(ca + ".key"), "-out", p(ca + ".crt"), "-days", "2",
                "-subj", "/CN=audit e2e " + ca)
    for name, ca, section in (("server", "ca", "server"), ("client", "ca", "client"),
                              ("rogue-server", "rogue-ca", "server")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", p(name + ".key"), "-out", p(name + ".csr"),
                "-subj", "/CN=coffer-audit-" + name)
        openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p(ca + ".crt"), "-CAkey",
                p(ca + ".key"), "-CAcreateserial", "-out", p(name + ".crt"), "-days", "2",
                "-extfile", ext, "-extensions", section)
    return p


def target_metric(coffer, name, target):
    for line in coffer.metrics().splitlines():
        if line.startswith('%s{target="%s"}' % (name, target)):
            return int(float(line.split()[-1]))
    return -1


def case_tls(work):
    """Webhook over HTTPS with mTLS: an untrusted server certificate is
    refused and entries stay spooled until it is fixed; a target without a
    client certificate is refused by the receiver; with both right, every
    entry arrives, over a connection that presented the client certificate."""
    pki = make_test_pki(os.path.join(work, "pki"))
    receiver = Receiver(work)
    receiver.extra = ["--tls", pki("rogue-server.crt"), pki("rogue-server.key"),
                      "--client-ca", pki("ca.crt")]
    receiver.start()
    endpoint = "https://127.0.0.1:%d/audit" % receiver.port
    toml = ('[audit.webhook.hook]\nendpoint = "%s"\nauth_token = "env:AUDIT_HOOK_TOKEN"\n'
            'ca_file = "%s"\nclient_cert_file = "%s"\nclient_key_file = "%s"\n'
            'batch_size = 20\ntimeout_ms = 2000\n\n'
            '[audit.webhook.nocert]\nendpoint = "%s"\nca_file = "%s"\ntimeout_ms = 2000\n'
            'mode = "best-effort"\n'
            % (endpoint, pki("ca.crt"), pki("client.crt"), pki("client.key"), endpoint,
               pki("ca.crt")))
    coffer = Coffer(work, make_repo(work, toml))
    coffer.start()
    try:
        load = Load(coffer, "quickstart", threads=3)
        load.run(total=30)
        made = set(load.acked)
        assert len(made) == 30, "PUTs failed: %s" % load.statuses
        wait_for(lambda: target_metric(coffer, "coffer_audit_failed_total", "webhook:hook") > 0,
                 30, "a refused delivery to the untrusted server")
        time.sleep(1)
        assert not incoming(receiver.entries()), "delivered to an untrusted server"
        queued_now = target_metric(coffer, "coffer_audit_queued", "webhook:hook")
        assert queued_now >= 30, queued_now
        log("untrusted server refused; %d queued" % queued_now)
        receiver.stop()
        receiver.extra = ["--tls", pki("server.crt"), pki("server.key"),
                          "--client-ca", pki("ca.crt")]
        receiver.start()
        wait_for(lambda: made <= set(incoming(receiver.entries())), 90,
                 "every entry after the server certificate was fixed")
        got = receiver.entries()
        assert all(e["client"] == "coffer-audit-client" for e in got), \
            {e["client"] for e in got}
        assert all(e["auth"] == "Bearer " + HOOK_TOKEN for e in got)
        assert_duplicates_identical(incoming(got))
        # The target without a client certificate never got through the
        # receiver's mTLS handshake.
        assert target_metric(coffer, "coffer_audit_delivered_total", "webhook:nocert") == 0
        assert target_metric(coffer, "coffer_audit_failed_total", "webhook:nocert") > 0
    finally:
        coffer.stop()
        receiver.stop()


def write_audit(repo, toml):
    path = os.path.join(repo, "audit.toml")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(toml)
    os.rename(path + ".tmp", path)


def log_has(coffer, text):
    with open(coffer.log_path, encoding="utf-8", errors="replace") as f:
        return text in f.read()


def case_queuedir(work):
    """A target's queue_dir changed at run time, and again while stopped:
    the entries spooled under the old folders are delivered all the same."""
    receiver = Receiver(work)  # Down: everything stays spooled.
    dirs = [os.path.join(work, "q%d" % i) for i in range(3)]
    repo = make_repo(work, webhook_toml(receiver, 'queue_dir = "%s"\n' % dirs[0]))
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        load = Load(coffer, "quickstart", threads=3)
        load.run(total=20)
        write_audit(repo, webhook_toml(receiver, 'queue_dir = "%s"\n' % dirs[1]))
        wait_for(lambda: log_has(coffer, "moved to a new queue_dir"), 30,
                 "the reconcile that moves the spool")
        load.run(total=40)
        coffer.stop()
        write_audit(repo, webhook_toml(receiver, 'queue_dir = "%s"\n' % dirs[2]))
        coffer.start()
        load.run(total=50)
        made = set(load.acked)
        assert len(made) == 50, "PUTs failed: %s" % load.statuses
        receiver.start()
        wait_for(lambda: made <= set(incoming(receiver.entries())), 60,
                 "the entries of all three queue_dirs")
        assert_duplicates_identical(incoming(receiver.entries()))
        assert log_has(coffer, "entries moved from the old queue_dir")
    finally:
        coffer.stop()
        receiver.stop()


PROM_SECRET = "prom-secret-key-0123456789"
ALICE_SECRET = "alice-secret-key-0123456789"
SCRAPE_POLICY = ('{"Version":"2012-10-17","Statement":'
                 '[{"Effect":"Allow","Action":["admin:Prometheus"]}]}')


def signed_get(url, key, secret):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "s3", "us-east-1").add_auth(req)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers)),
                                    timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def case_metrics(work):
    """/metrics for SigV4-signed requests: a key allowed admin:Prometheus
    (curl --aws-sigv4 and botocore) and root read it; others and anonymous
    get AccessDenied; the bearer token still works."""
    receiver = Receiver(work)
    receiver.start()
    repo = make_repo(work, webhook_toml(receiver))
    with open(os.path.join(repo, "metrics-users.toml"), "w", encoding="utf-8") as f:
        f.write('[users.prom]\nsecret = "env:PROM_SECRET"\npolicies = ["scrape"]\n'
                '[users.alice]\nsecret = "env:ALICE_SECRET"\npolicies = ["readonly"]\n'
                "[policies.scrape]\njson = '%s'\n" % SCRAPE_POLICY)
    os.environ.update(PROM_SECRET=PROM_SECRET, ALICE_SECRET=ALICE_SECRET)
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        url = coffer.endpoint + "/metrics"
        out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", "--aws-sigv4",
                              "aws:amz:us-east-1:s3", "--user", "prom:" + PROM_SECRET, url],
                             capture_output=True, text=True, timeout=30)
        body, _, code = out.stdout.rpartition("\n")
        assert code == "200", (code, body[:300], out.stderr)
        assert "coffer_audit_delivered_total" in body
        status, body = signed_get(url, "prom", PROM_SECRET)
        assert status == 200 and "coffer_requests_total" in body, (status, body[:300])
        status, body = signed_get(url, ROOT_KEY, ROOT_SECRET)
        assert status == 200, (status, body[:300])
        status, body = signed_get(url, "alice", ALICE_SECRET)
        assert status == 403 and "<Code>AccessDenied</Code>" in body, (status, body[:300])
        assert "coffer_" not in body
        status, body = signed_get(url, "prom", "wrong-secret-0123456789")
        assert status == 403 and "SignatureDoesNotMatch" in body, (status, body[:300])
        try:
            urllib.request.urlopen(url, timeout=10)
            raise AssertionError("anonymous /metrics answered")
        except urllib.error.HTTPError as e:
            assert e.code == 403 and b"AccessDenied" in e.read()
        assert "coffer_requests_total" in coffer.metrics()  # The bearer token.

        def scrape_audited():
            for e in receiver.entries():
                doc = json.loads(e["entry"])
                if doc.get("accessKey") == "prom" and doc["api"]["name"] == "Metrics":
                    return True
            return False

        wait_for(scrape_audited, 30, "the signed scrape's entry")
    finally:
        coffer.stop()
        receiver.stop()


def case_kms(work):
    """Key-service operations leave entries: the key created at start-up,
    and the data keys generated and opened for an SSE-KMS object; who, which
    key, the outcome, never key material."""
    receiver = Receiver(work)
    receiver.start()
    audit_file = os.path.join(work, "audit.jsonl")
    repo = make_repo(work, webhook_toml(receiver) + '[audit.file.local]\npath = "%s"\n'
                     % audit_file)
    with open(os.path.join(repo, "key_service.toml"), "w", encoding="utf-8") as f:
        f.write('[key_service]\naddress = "in-process"\ncreate_keys = ["audit-e2e-key"]\n')
    coffer = Coffer(work, repo)
    coffer.start()
    try:
        s3 = coffer.client()
        s3.put_object(Bucket="quickstart", Key="kms-object", Body=BODY,
                      ServerSideEncryption="aws:kms", SSEKMSKeyId="audit-e2e-key")
        assert s3.get_object(Bucket="quickstart", Key="kms-object")["Body"].read() == BODY

        def kms_entries():
            out = []
            for e in receiver.entries():
                doc = json.loads(e["entry"])
                if doc.get("trigger") == "key-service":
                    out.append(doc)
            return out

        def seen():
            names = [(e["api"]["name"], e["tags"]["key"]) for e in kms_entries()]
            return (("KMS.CreateKey", "audit-e2e-key") in names and
                    ("KMS.GenerateKey", "audit-e2e-key") in names and
                    ("KMS.Decrypt", "audit-e2e-key") in names)

        wait_for(seen, 30, "the key-service entries")
        entries = kms_entries()
        for e in entries:
            assert e["accessKey"] == "coffer-serve" and e["tags"]["keyService"] == "in-process"
            assert e["requestID"].startswith("kms-")
        gen = [e for e in entries if e["api"]["name"] == "KMS.GenerateKey"][0]
        assert gen["api"]["statusCode"] == 200 and "kms-object" in gen["tags"]["context"], gen
        wait_for(lambda: "KMS.GenerateKey" in open(audit_file, encoding="utf-8").read(), 30,
                 "the file target")
        log("key-service entries: %s" % sorted({e["api"]["name"] for e in entries}))
    finally:
        coffer.stop()
        receiver.stop()


CASES = {"outage": case_outage, "kill9": case_kill9, "strict": case_strict,
         "besteffort": case_besteffort, "redaction": case_redaction, "sigterm": case_sigterm,
         "tls": case_tls, "queuedir": case_queuedir, "metrics": case_metrics, "kms": case_kms}


def main():
    name = sys.argv[1]
    work = tempfile.mkdtemp(prefix="coffer-audit-%s." % name)
    start = time.time()
    try:
        CASES[name](work)
    except BaseException:
        log("FAILED; coffer log tail:")
        try:
            with open(os.path.join(work, "coffer.log"), encoding="utf-8", errors="replace") as f:
                sys.stderr.write("".join(f.readlines()[-40:]))
        except OSError:
            pass
        raise
    finally:
        if not os.environ.get("E2E_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    log("%s passed in %.1f s" % (name, time.time() - start))


if __name__ == "__main__":
    main()
