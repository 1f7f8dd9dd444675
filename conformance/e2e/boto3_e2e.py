#!/usr/bin/python3
"""End to end with Debian's unmodified boto3 1.26 against `coffer serve`.

Runs with /usr/bin/python3 (Debian's python3-boto3, not a pyenv one). Starts
one `coffer serve` with a plain HTTP listener and a TLS listener (certificate
from `coffer certs generate`): botocore 1.29 sends aws-chunked uploads with
checksum trailers only over TLS, and plain HTTP carries the rest. Needs
COFFER_BIN and COFFER_SOURCE_DIR. Exit status 0 only when every test passes.
E2E_ONLY=test_a,test_b runs a subset; E2E_KEEP=1 keeps the work dir.
E2E_TLS=1 sends every test's requests to the TLS listener, verified against
the generated CA (the suite over HTTPS).
"""

import base64
import contextlib
import hashlib
import io
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import zlib

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT_USER = "e2e-root"
ROOT_SECRET = "e2e-root-secret-0123456789"
VIEWER_SECRET = "e2e-viewer-secret-0123456789"
E2E_TLS = os.environ.get("E2E_TLS") == "1"
CASE_SECONDS = 90  # Watchdog per test: a hung call fails the test, not the ctest budget.
MiB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Coffer:
    """One `coffer serve` in a temp dir; stopped by PID, never by name."""

    def __init__(self, config=None, env=None):
        self.config = config  # A config repo dir; the quickstart when None.
        self.extra_env = env or {}
        self.bin = os.environ["COFFER_BIN"]
        self.src = os.environ["COFFER_SOURCE_DIR"]
        self.work = tempfile.mkdtemp(prefix="coffer-boto3-")
        self.proc = None
        self.log_path = os.path.join(self.work, "coffer.log")
        self.certs = os.path.join(self.work, "certs")
        self.ca = os.path.join(self.certs, "CAs", "coffer-local-ca.crt")

    def start(self):
        external = os.environ.get("E2E_EXTERNAL_ENDPOINT")
        if external:
            # Developer aid: check the suite itself against another S3
            # implementation (plain HTTP only). CI never sets it.
            global ROOT_USER, ROOT_SECRET
            ROOT_USER = os.environ.get("E2E_EXTERNAL_KEY", ROOT_USER)
            ROOT_SECRET = os.environ.get("E2E_EXTERNAL_SECRET", ROOT_SECRET)
            self.endpoint = self.tls_endpoint = external
            open(self.log_path, "ab").close()
            return
        gen = subprocess.run(
            [self.bin, "certs", "generate", "--host", "localhost", "--ip", "127.0.0.1",
             "--out", self.certs],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False,
            env=dict(os.environ, HOME=self.work))
        if gen.returncode != 0:
            raise RuntimeError("coffer certs generate failed: %s" % gen.stdout.decode(errors="replace"))
        env = dict(os.environ, COFFER_ROOT_USER=ROOT_USER, COFFER_ROOT_PASSWORD=ROOT_SECRET,
                   COFFER_VIEWER_SECRET=VIEWER_SECRET, HOME=self.work, **self.extra_env)
        for attempt in range(3):
            self.port, self.tls_port = free_port(), free_port()
            self.endpoint = "http://127.0.0.1:%d" % self.port
            self.tls_endpoint = "https://127.0.0.1:%d" % self.tls_port
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [self.bin, "serve", "--data", os.path.join(self.work, "data"),
                     "--config", self.config or os.path.join(self.src, "fixtures", "quickstart"),
                     "--address", "127.0.0.1:%d" % self.tls_port,
                     "--plain-address", "127.0.0.1:%d" % self.port,
                     "--certs-dir", self.certs, "--reconcile-interval", "5"],
                    stdout=subprocess.DEVNULL, stderr=log, env=env)
            deadline = time.monotonic() + 60  # ASan builds start slowly.
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self._get("/minio/health/live") == 200:
                    ready_by = time.monotonic() + 10
                    while time.monotonic() < ready_by and self._get("/minio/health/ready") != 200:
                        time.sleep(0.1)
                    return
                time.sleep(0.1)
            self.stop()
            print("coffer serve did not come up (attempt %d)" % (attempt + 1), file=sys.stderr)
        raise RuntimeError("coffer serve did not start")

    def _get(self, path):
        try:
            with urllib.request.urlopen(self.endpoint + path, timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print("coffer serve ignored SIGTERM for 10 s; killing", file=sys.stderr)
                proc.kill()
                proc.wait(timeout=10)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        if os.environ.get("E2E_KEEP"):
            print("work dir kept: %s" % self.work, file=sys.stderr)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


COFFER = None


def client(endpoint=None, key=ROOT_USER, secret=ROOT_SECRET, verify=None, **config):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 connect_timeout=10, read_timeout=60, retries={"max_attempts": 1, "mode": "standard"},
                 **config)
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    region_name="us-east-1")
    default_endpoint = COFFER.tls_endpoint if E2E_TLS else COFFER.endpoint
    default_verify = COFFER.ca if E2E_TLS else True
    return session.client("s3", endpoint_url=endpoint or default_endpoint, config=cfg,
                          verify=verify if verify is not None else default_verify)


def error_code(exc):
    return exc.response.get("Error", {}).get("Code")


def status_of(exc):
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def quoted_md5(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


SUITE_BUDGET = 200  # Tests start only this many seconds into the run (ctest TIMEOUT 300).
SUITE_START = time.monotonic()
TIMED_OUT = []  # Set once a test hit its watchdog: the server may be hung.


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    TIMED_OUT.append(True)
    raise Timeout("test exceeded %d s" % CASE_SECONDS)


class Boto3E2E(unittest.TestCase):
    maxDiff = None
    bucket_seq = 0

    def setUp(self):
        if TIMED_OUT:
            self.fail("not run: an earlier test timed out (server hung?)")
        if time.monotonic() - SUITE_START > SUITE_BUDGET:
            self.fail("not run: the suite budget of %d s is spent" % SUITE_BUDGET)
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(CASE_SECONDS)
        self.s3 = client()
        self.tmp = tempfile.mkdtemp(dir=COFFER.work)
        self._log_offset = os.path.getsize(COFFER.log_path) if os.path.exists(COFFER.log_path) else 0

    def tearDown(self):
        signal.alarm(0)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, result=None):
        # On failure, show what the server logged during this test.
        failures_before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > failures_before:
            try:
                with open(COFFER.log_path, "rb") as f:
                    f.seek(self._log_offset)
                    lines = f.read().decode(errors="replace").splitlines()[-15:]
                print("    -- server log during %s:" % self.id(), file=sys.stderr)
                for line in lines:
                    print("    | " + line[:400], file=sys.stderr)
            except (OSError, AttributeError):
                pass
        return out

    def bucket(self, stem):
        Boto3E2E.bucket_seq += 1
        name = "boto3-%s-%d" % (stem, Boto3E2E.bucket_seq)
        self.s3.create_bucket(Bucket=name)
        return name

    def assertS3Error(self, code, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(code, error_code(cm.exception),
                         "want %s, got %s" % (code, cm.exception.response))
        return cm.exception

    def assertNoObject(self, bucket, key):
        with self.assertRaises(ClientError) as cm:
            self.s3.head_object(Bucket=bucket, Key=key)
        self.assertEqual(404, status_of(cm.exception))

    # ---------------------------------------------------------------- objects
    def test_put_get_head(self):
        b = self.bucket("obj")
        body = os.urandom(70000)
        put = self.s3.put_object(Bucket=b, Key="a/b.bin", Body=body, ContentType="application/x-e2e",
                                 Metadata={"Color": "blue", "n": "1"}, ContentMD5=md5_b64(body))
        self.assertEqual(quoted_md5(body), put["ETag"])
        head = self.s3.head_object(Bucket=b, Key="a/b.bin")
        self.assertEqual(70000, head["ContentLength"])
        self.assertEqual("application/x-e2e", head["ContentType"])
        # User metadata names are case-insensitive HTTP headers; S3 returns them lower-case.
        self.assertEqual({"color": "blue", "n": "1"}, head["Metadata"])
        self.assertEqual(put["ETag"], head["ETag"])
        got = self.s3.get_object(Bucket=b, Key="a/b.bin")
        self.assertEqual(body, got["Body"].read())
        self.assertEqual("application/x-e2e", got["ContentType"])
        self.s3.delete_object(Bucket=b, Key="a/b.bin")
        self.assertNoObject(b, "a/b.bin")
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=b, Key="a/b.bin")

    def test_get_range(self):
        b = self.bucket("range")
        body = os.urandom(10000)
        self.s3.put_object(Bucket=b, Key="r", Body=body)
        r = self.s3.get_object(Bucket=b, Key="r", Range="bytes=5-14")
        self.assertEqual(206, r["ResponseMetadata"]["HTTPStatusCode"])
        self.assertEqual("bytes 5-14/10000", r["ContentRange"])
        self.assertEqual(body[5:15], r["Body"].read())
        r = self.s3.get_object(Bucket=b, Key="r", Range="bytes=-100")
        self.assertEqual(body[-100:], r["Body"].read())
        r = self.s3.get_object(Bucket=b, Key="r", Range="bytes=9990-")
        self.assertEqual(body[9990:], r["Body"].read())
        e = self.assertS3Error("InvalidRange", self.s3.get_object, Bucket=b, Key="r", Range="bytes=10000-10001")
        self.assertEqual(416, status_of(e))

    def test_upload_download_multipart(self):
        b = self.bucket("mpu")
        src = os.path.join(self.tmp, "src.bin")
        data = os.urandom(17 * MiB + 12345)
        with open(src, "wb") as f:
            f.write(data)
        cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
        self.s3.upload_file(src, b, "big.bin", Config=cfg,
                            ExtraArgs={"Metadata": {"via": "upload_file"}, "ContentType": "application/x-big"})
        head = self.s3.head_object(Bucket=b, Key="big.bin")
        self.assertEqual(len(data), head["ContentLength"])
        # 17 MiB + a bit in 5 MiB chunks: four parts.
        self.assertTrue(head["ETag"].endswith('-4"'), head["ETag"])
        parts = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
        want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
        self.assertEqual('"%s-4"' % want, head["ETag"])
        self.assertEqual({"via": "upload_file"}, head["Metadata"])
        self.assertEqual("application/x-big", head["ContentType"])
        # download_file above the threshold uses ranged GETs in parallel.
        dst = os.path.join(self.tmp, "dst.bin")
        self.s3.download_file(b, "big.bin", dst, Config=cfg)
        with open(dst, "rb") as f:
            self.assertEqual(hashlib.sha256(data).hexdigest(), hashlib.sha256(f.read()).hexdigest())
        self.assertEqual([], self.s3.list_multipart_uploads(Bucket=b).get("Uploads", []))

    def test_multipart_client_calls(self):
        b = self.bucket("mpc")
        up = self.s3.create_multipart_upload(Bucket=b, Key="m")["UploadId"]
        p1, p2 = os.urandom(5 * MiB), os.urandom(100)
        e1 = self.s3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=1, Body=p1)["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=2, Body=p2)["ETag"]
        listed = self.s3.list_parts(Bucket=b, Key="m", UploadId=up)
        self.assertEqual([(1, len(p1), e1), (2, len(p2), e2)],
                         [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]])
        uploads = self.s3.list_multipart_uploads(Bucket=b)
        self.assertEqual([("m", up)], [(u["Key"], u["UploadId"]) for u in uploads.get("Uploads", [])])
        done = self.s3.complete_multipart_upload(
            Bucket=b, Key="m", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        self.assertTrue(done["ETag"].endswith('-2"'), done)
        self.assertEqual(p1 + p2, self.s3.get_object(Bucket=b, Key="m")["Body"].read())
        up = self.s3.create_multipart_upload(Bucket=b, Key="gone")["UploadId"]
        self.s3.upload_part(Bucket=b, Key="gone", UploadId=up, PartNumber=1, Body=p2)
        self.s3.abort_multipart_upload(Bucket=b, Key="gone", UploadId=up)
        self.assertS3Error("NoSuchUpload", self.s3.list_parts, Bucket=b, Key="gone", UploadId=up)
        self.assertNoObject(b, "gone")

    # ---------------------------------------------------------------- listing
    def test_list_objects_v2_paginator(self):
        b = self.bucket("list")
        keys = sorted(["p/%02d" % i for i in range(23)] + ["p/sub/%d" % i for i in range(3)] + ["q/x", "top"])
        for k in keys:
            self.s3.put_object(Bucket=b, Key=k, Body=k.encode())
        pages = list(self.s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 4}))
        self.assertEqual(-(-len(keys) // 4), len(pages))
        self.assertEqual(keys, [o["Key"] for p in pages for o in p.get("Contents", [])])
        self.assertTrue(all(p["IsTruncated"] for p in pages[:-1]))
        self.assertFalse(pages[-1]["IsTruncated"])
        # Prefix and delimiter, paginated one entry at a time.
        pages = list(self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=b, Prefix="p/", Delimiter="/", PaginationConfig={"PageSize": 5}))
        got_keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        got_prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
        self.assertEqual(["p/%02d" % i for i in range(23)], got_keys)
        self.assertEqual(["p/sub/"], got_prefixes)
        # StartAfter and sizes.
        r = self.s3.list_objects_v2(Bucket=b, StartAfter="p/sub/2")
        self.assertEqual(["q/x", "top"], [o["Key"] for o in r["Contents"]])
        self.assertEqual(3, r["Contents"][0]["Size"])
        # Paginated with PaginationConfig MaxItems/StartingToken.
        pg = self.s3.get_paginator("list_objects_v2")
        first = pg.paginate(Bucket=b, PaginationConfig={"MaxItems": 5, "PageSize": 3}).build_full_result()
        self.assertEqual(keys[:5], [o["Key"] for o in first["Contents"]])
        rest = pg.paginate(Bucket=b, PaginationConfig={"StartingToken": first["NextToken"], "PageSize": 3})
        self.assertEqual(keys[5:], [o["Key"] for o in rest.build_full_result()["Contents"]])
        # V1 paginator with markers.
        pages = list(self.s3.get_paginator("list_objects").paginate(Bucket=b, PaginationConfig={"PageSize": 7}))
        self.assertEqual(keys, [o["Key"] for p in pages for o in p.get("Contents", [])])

    def test_delete_objects(self):
        b = self.bucket("del")
        for i in range(10):
            self.s3.put_object(Bucket=b, Key="k%d" % i, Body=b"x")
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k%d" % i} for i in range(0, 10, 2)]})
        self.assertEqual(["k0", "k2", "k4", "k6", "k8"], sorted(d["Key"] for d in r["Deleted"]))
        self.assertEqual([], r.get("Errors", []))
        left = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(["k1", "k3", "k5", "k7", "k9"], left)
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k1"}, {"Key": "nope"}], "Quiet": True})
        self.assertEqual([], r.get("Deleted", []))
        self.assertEqual([], r.get("Errors", []))
        self.assertNoObject(b, "k1")

    # ------------------------------------------------------------------- copy
    def test_copy_object(self):
        b = self.bucket("copy")
        body = os.urandom(3000)
        self.s3.put_object(Bucket=b, Key="src", Body=body, ContentType="text/x-src", Metadata={"m": "src"},
                           Tagging="t=1")
        r = self.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"})
        self.assertEqual(quoted_md5(body), r["CopyObjectResult"]["ETag"])
        head = self.s3.head_object(Bucket=b, Key="dst")
        self.assertEqual(("text/x-src", {"m": "src"}), (head["ContentType"], head["Metadata"]))
        self.assertEqual(body, self.s3.get_object(Bucket=b, Key="dst")["Body"].read())
        self.assertEqual([{"Key": "t", "Value": "1"}], self.s3.get_object_tagging(Bucket=b, Key="dst")["TagSet"])
        self.s3.copy_object(Bucket=b, Key="rep", CopySource={"Bucket": b, "Key": "src"}, MetadataDirective="REPLACE",
                            ContentType="text/x-new", Metadata={"m": "new"}, TaggingDirective="REPLACE",
                            Tagging="t=2")
        head = self.s3.head_object(Bucket=b, Key="rep")
        self.assertEqual(("text/x-new", {"m": "new"}), (head["ContentType"], head["Metadata"]))
        self.assertEqual([{"Key": "t", "Value": "2"}], self.s3.get_object_tagging(Bucket=b, Key="rep")["TagSet"])
        self.assertS3Error("InvalidRequest", self.s3.copy_object, Bucket=b, Key="src",
                           CopySource={"Bucket": b, "Key": "src"})

    # ------------------------------------------------------------- versioning
    def test_versioning(self):
        b = self.bucket("ver")
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=b))
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual("Enabled", self.s3.get_bucket_versioning(Bucket=b)["Status"])
        vids = [self.s3.put_object(Bucket=b, Key="k", Body=b"v%d" % i)["VersionId"] for i in range(3)]
        self.assertEqual(3, len(set(vids)))
        self.assertNotIn("null", vids)
        self.assertEqual(b"v0", self.s3.get_object(Bucket=b, Key="k", VersionId=vids[0])["Body"].read())
        d = self.s3.delete_object(Bucket=b, Key="k")
        self.assertTrue(d["DeleteMarker"])
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=b, Key="k")
        lv = self.s3.list_object_versions(Bucket=b)
        self.assertEqual(list(reversed(vids)), [v["VersionId"] for v in lv["Versions"]])
        self.assertEqual([d["VersionId"]], [m["VersionId"] for m in lv["DeleteMarkers"]])
        self.assertTrue(lv["DeleteMarkers"][0]["IsLatest"])
        # Reading the marker itself by version: 405 MethodNotAllowed, as S3.
        e = self.assertS3Error("MethodNotAllowed", self.s3.get_object, Bucket=b, Key="k", VersionId=d["VersionId"])
        self.assertEqual(405, status_of(e))
        self.s3.delete_object(Bucket=b, Key="k", VersionId=d["VersionId"])
        self.assertEqual(b"v2", self.s3.get_object(Bucket=b, Key="k")["Body"].read())
        self.s3.delete_object(Bucket=b, Key="k", VersionId=vids[2])
        self.assertEqual(b"v1", self.s3.get_object(Bucket=b, Key="k")["Body"].read())
        # The paginator over versions.
        for i in range(5):
            self.s3.put_object(Bucket=b, Key="p%d" % i, Body=b"x")
        pages = list(self.s3.get_paginator("list_object_versions").paginate(Bucket=b, PaginationConfig={"PageSize": 2}))
        self.assertEqual(["k", "k", "p0", "p1", "p2", "p3", "p4"],
                         [v["Key"] for p in pages for v in p.get("Versions", [])])
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual("Suspended", self.s3.get_bucket_versioning(Bucket=b)["Status"])
        self.assertEqual("null", self.s3.put_object(Bucket=b, Key="k", Body=b"s").get("VersionId", "null"))

    # ---------------------------------------------------------------- tagging
    def test_tagging(self):
        b = self.bucket("tag")
        self.s3.put_object(Bucket=b, Key="t", Body=b"x", Tagging="a=1&b=two%20words")
        tags = self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"]
        self.assertEqual({"a": "1", "b": "two words"}, {t["Key"]: t["Value"] for t in tags})
        self.s3.put_object_tagging(Bucket=b, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
        self.assertEqual([{"Key": "c", "Value": "3"}], self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"])
        self.assertEqual(1, self.s3.get_object(Bucket=b, Key="t")["TagCount"])
        self.s3.delete_object_tagging(Bucket=b, Key="t")
        self.assertEqual([], self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"])
        with self.assertRaises(ClientError):
            self.s3.put_object_tagging(Bucket=b, Key="t", Tagging={
                "TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]})
        with self.assertRaises(ClientError):
            self.s3.put_object_tagging(Bucket=b, Key="t", Tagging={
                "TagSet": [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]})
        self.assertEqual([], self.s3.get_object_tagging(Bucket=b, Key="t")["TagSet"])

    # -------------------------------------------------------------- presigned
    def test_presigned_urls(self):
        b = self.bucket("pre")
        body = os.urandom(2048)
        self.s3.put_object(Bucket=b, Key="dir/p q.bin", Body=body)
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "dir/p q.bin"}, ExpiresIn=300)
        with urllib.request.urlopen(url, timeout=30) as r:
            self.assertEqual(200, r.status)
            self.assertEqual(body, r.read())
        # A presigned PUT.
        url = self.s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "up"}, ExpiresIn=300)
        req = urllib.request.Request(url, data=b"presigned put", method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertEqual(200, r.status)
        self.assertEqual(b"presigned put", self.s3.get_object(Bucket=b, Key="up")["Body"].read())
        # Expired.
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "up"}, ExpiresIn=1)
        time.sleep(2)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url, timeout=30)
        self.assertEqual(403, cm.exception.code)
        text = cm.exception.read().decode()
        self.assertIn("<Code>AccessDenied</Code>", text)
        self.assertIn("Request has expired", text)

    # -------------------------------------------------------------- checksums
    def _checksum_roundtrip(self, s3, algorithm, header, digest):
        b = "boto3-sum-%s-%d" % (algorithm.lower(), os.getpid())
        with contextlib.suppress(ClientError):
            s3.create_bucket(Bucket=b)
        body = os.urandom(300 * 1024 + 7)
        # A file-like body: botocore streams it (aws-chunked with a trailer over TLS).
        r = s3.put_object(Bucket=b, Key="c", Body=io.BytesIO(body), ChecksumAlgorithm=algorithm)
        self.assertEqual(quoted_md5(body), r["ETag"])
        if header in r:
            self.assertEqual(digest(body), r[header])
        got = s3.get_object(Bucket=b, Key="c")
        self.assertEqual(body, got["Body"].read())
        self.assertEqual(len(body), got["ContentLength"])
        return b

    def test_checksum_crc32_plain(self):
        crc = lambda d: base64.b64encode(zlib.crc32(d).to_bytes(4, "big")).decode()
        self._checksum_roundtrip(self.s3, "CRC32", "ChecksumCRC32", crc)

    def test_checksum_mismatch_refused(self):
        b = self.bucket("badsum")
        # A CRC32 header that does not match the body: BadDigest, nothing stored.
        wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
        e = self.assertS3Error("BadDigest", self.s3.put_object, Bucket=b, Key="c", Body=b"body", ChecksumCRC32=wrong)
        self.assertEqual(400, status_of(e))
        self.assertNoObject(b, "c")
        wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        self.assertS3Error("BadDigest", self.s3.put_object, Bucket=b, Key="c", Body=b"body", ChecksumSHA256=wrong)
        self.assertNoObject(b, "c")

    def test_checksum_sha256_plain(self):
        sha = lambda d: base64.b64encode(hashlib.sha256(d).digest()).decode()
        self._checksum_roundtrip(self.s3, "SHA256", "ChecksumSHA256", sha)

    def test_checksum_trailer_over_tls(self):
        # botocore 1.29 uses STREAMING-UNSIGNED-PAYLOAD-TRAILER with aws-chunked
        # framing only over https.
        s3 = client(endpoint=COFFER.tls_endpoint, verify=COFFER.ca)
        sent = {}

        def capture(request, **kwargs):
            for k, v in request.headers.items():
                sent[k.lower()] = v.decode() if isinstance(v, bytes) else str(v)

        s3.meta.events.register("before-send.s3.PutObject", capture)
        crc = lambda d: base64.b64encode(zlib.crc32(d).to_bytes(4, "big")).decode()
        self._checksum_roundtrip(s3, "CRC32", "ChecksumCRC32", crc)
        self.assertIn("aws-chunked", sent.get("content-encoding", ""), sent)
        self.assertEqual("x-amz-checksum-crc32", sent.get("x-amz-trailer"), sent)
        self.assertEqual("STREAMING-UNSIGNED-PAYLOAD-TRAILER", sent.get("x-amz-content-sha256"), sent)
        sha = lambda d: base64.b64encode(hashlib.sha256(d).digest()).decode()
        self._checksum_roundtrip(s3, "SHA256", "ChecksumSHA256", sha)

    # -------------------------------------------------------------- bad input
    def test_wrong_content_md5(self):
        b = self.bucket("md5")
        e = self.assertS3Error("BadDigest", self.s3.put_object, Bucket=b, Key="x", Body=b"real body",
                               ContentMD5=md5_b64(b"another body"))
        self.assertEqual(400, status_of(e))
        self.assertNoObject(b, "x")
        # Not base64 of 16 bytes at all: InvalidDigest.
        self.assertS3Error("InvalidDigest", self.s3.put_object, Bucket=b, Key="y", Body=b"z", ContentMD5="bm90LW1kNQ==")
        self.assertNoObject(b, "y")

    def test_invalid_bucket_names(self):
        for name in ["ab", "a" * 64, "Bad_Name", "UPPERCASE", "-leading-dash", "trailing-dash-", "double..dot",
                     "192.168.1.10", "xn--punycode", "dot-.dash"]:
            with self.subTest(name=name):
                e = self.assertS3Error("InvalidBucketName", self.s3.create_bucket, Bucket=name)
                self.assertEqual(400, status_of(e))
        names = [x["Name"] for x in self.s3.list_buckets()["Buckets"]]
        self.assertFalse([n for n in names if n in ("ab", "Bad_Name", "UPPERCASE", "double..dot")], names)

    def test_dot_dot_keys_refused(self):
        b = self.bucket("dots")
        for key in ["a/../b", "../escape-boto3", "x/../../../escape-boto3", "./x", "a/./b", ".."]:
            with self.subTest(key=key):
                e = self.assertS3Error("InvalidArgument", self.s3.put_object, Bucket=b, Key=key, Body=b"nope")
                self.assertEqual(400, status_of(e))
        self.assertEqual([], [o["Key"] for o in self.s3.list_objects_v2(Bucket=b).get("Contents", [])])
        # Nothing escaped the drives.
        for root, dirs, files in os.walk(COFFER.work):
            self.assertFalse([n for n in dirs + files if n.startswith("escape-boto3")], root)
        # '..' inside a segment is an ordinary key.
        self.s3.put_object(Bucket=b, Key="a..b/c..", Body=b"fine")
        self.assertEqual(b"fine", self.s3.get_object(Bucket=b, Key="a..b/c..")["Body"].read())

    def test_early_errors_keep_the_connection_usable(self):
        # A PUT refused before its body is read (botocore sends Expect:
        # 100-continue and then holds the body back) must not leave the
        # pooled connection out of step: each refusal is a full S3 error and
        # the next request on that connection is answered as itself.
        b = self.bucket("early")
        for i in range(60):
            for key in ("x/../%d" % i, ".."):
                e = self.assertS3Error("InvalidArgument", self.s3.put_object, Bucket=b, Key=key, Body=b"nope")
                self.assertTrue(e.response["ResponseMetadata"].get("RequestId"), e.response)
            self.s3.put_object(Bucket=b, Key="ok", Body=b"%d" % i)
        self.assertEqual(b"59", self.s3.get_object(Bucket=b, Key="ok")["Body"].read())

    def test_auth_errors(self):
        # Answered by authentication alone, before any bucket exists.
        e = self.assertS3Error("SignatureDoesNotMatch", client(secret="wrong-secret").list_buckets)
        self.assertEqual(403, status_of(e))
        e = self.assertS3Error("InvalidAccessKeyId", client(key="NOSUCHKEY0000000").list_buckets)
        self.assertEqual(403, status_of(e))
        b = self.bucket("auth")
        self.assertS3Error("SignatureDoesNotMatch", client(secret="wrong-secret").list_objects_v2, Bucket=b)
        self.assertS3Error("InvalidAccessKeyId", client(key="NOSUCHKEY0000000").list_objects_v2, Bucket=b)
        viewer = client(key="viewer", secret=VIEWER_SECRET)
        self.s3.put_object(Bucket=b, Key="r", Body=b"readable")
        self.assertEqual(b"readable", viewer.get_object(Bucket=b, Key="r")["Body"].read())
        self.assertS3Error("AccessDenied", viewer.put_object, Bucket=b, Key="w", Body=b"no")


def main():
    global COFFER
    print("boto3 %s, botocore %s" % (boto3.__version__, botocore.__version__), file=sys.stderr)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    COFFER = Coffer()
    # The user's AWS configuration is never read.
    os.environ["AWS_CONFIG_FILE"] = os.path.join(COFFER.work, "aws-config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(COFFER.work, "aws-credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    ok = False
    try:
        COFFER.start()
        if E2E_TLS:
            # urllib (presigned URLs) verifies through OpenSSL's default paths.
            os.environ["SSL_CERT_FILE"] = COFFER.ca
        loader = unittest.TestLoader()
        suite = loader.loadTestsFromTestCase(Boto3E2E)
        only = [x for x in os.environ.get("E2E_ONLY", "").split(",") if x]
        if only:
            suite = unittest.TestSuite(t for t in suite if t.id().rsplit(".", 1)[-1] in only)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
        ok = result.wasSuccessful() and result.testsRun > 0
    finally:
        if not ok:
            print("---- coffer serve log (last 40 lines) ----\n" + COFFER.log_tail(), file=sys.stderr)
        COFFER.cleanup()
    if ok:
        print("boto3_e2e: ok")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
