#!/usr/bin/python3
"""End-to-end tests of the audit trail (issue #11) against `coffer serve` and a
real webhook receiver (conformance/e2e/audit_receiver.py, Python's http.server)
started by the test on 127.0.0.1.

usage: audit_e2e.py outage|kill9|strict|besteffort|redaction

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

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", RECEIVER, str(self.port), self.record],
                                     stdout=subprocess.DEVNULL)
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

    def start(self):
        env = dict(os.environ, COFFER_ROOT_USER=ROOT_KEY, COFFER_ROOT_PASSWORD=ROOT_SECRET,
                   COFFER_VIEWER_SECRET="viewer-secret-0123456789",
                   AUDIT_HOOK_TOKEN=HOOK_TOKEN, COFFER_METRICS_TOKEN=METRICS_TOKEN)
        certs = os.path.join(self.work, "certs-empty")
        os.makedirs(certs, exist_ok=True)
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(
                [COFFER_BIN, "serve", "--data", self.data, "--config", self.repo, "--address",
                 "127.0.0.1:%d" % self.port, "--certs-dir", certs, "--reconcile-interval", "5"],
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


CASES = {"outage": case_outage, "kill9": case_kill9, "strict": case_strict,
         "besteffort": case_besteffort, "redaction": case_redaction}


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
