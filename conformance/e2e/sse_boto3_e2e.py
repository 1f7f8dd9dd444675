#!/usr/bin/python3
"""Server-side encryption with Debian's boto3 1.26 against `coffer serve` (issue #9).

SSE-S3, SSE-KMS and SSE-C over HTTPS (verified against the CA of `coffer
certs generate`): put/get/head with the response fields boto3 parses,
ranged reads, multipart uploads through the transfer manager, copy with key
rotation, SSE-C refused without its key or with a wrong one, and SSE-C over
the plain-HTTP listener refused by the server with S3's error. Reuses the
server harness of boto3_e2e.py. Needs COFFER_BIN and COFFER_SOURCE_DIR.
"""

import hashlib
import os
import shutil
import tempfile
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3_e2e  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

KMS_KEY = "e2e-kms-key"
KEY1 = b"K" * 16 + b"0123456789abcdef"
KEY2 = b"Z" * 16 + b"fedcba9876543210"
MiB = 1024 * 1024


def pattern(n, tag=b"boto3-sse"):
    line = tag + b"-0123456789abcdefghijklmnopqrstuvwxyz-"
    out = bytearray()
    i = 0
    while len(out) < n:
        out += b"%s%08d\n" % (line, i)
        i += 1
    return bytes(out[:n])


class SseBoto3(unittest.TestCase):
    bucket = "sse-boto3"

    @classmethod
    def setUpClass(cls):
        cls.s3 = boto3_e2e.client(endpoint=boto3_e2e.COFFER.tls_endpoint,
                                  verify=boto3_e2e.COFFER.ca)
        try:
            cls.s3.create_bucket(Bucket=cls.bucket)
        except ClientError as e:
            if boto3_e2e.error_code(e) != "BucketAlreadyOwnedByYou":
                raise

    def assertS3Error(self, code, status, fn, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        if code is not None:
            self.assertEqual(code, boto3_e2e.error_code(cm.exception))
        self.assertEqual(status, boto3_e2e.status_of(cm.exception))

    def test_sse_s3_put_get_head_range(self):
        data = pattern(300000)
        put = self.s3.put_object(Bucket=self.bucket, Key="s3", Body=data,
                                 ServerSideEncryption="AES256")
        self.assertEqual("AES256", put["ServerSideEncryption"])
        self.assertEqual('"%s"' % hashlib.md5(data).hexdigest(), put["ETag"])
        got = self.s3.get_object(Bucket=self.bucket, Key="s3")
        self.assertEqual("AES256", got["ServerSideEncryption"])
        self.assertEqual(data, got["Body"].read())
        head = self.s3.head_object(Bucket=self.bucket, Key="s3")
        self.assertEqual(len(data), head["ContentLength"])
        part = self.s3.get_object(Bucket=self.bucket, Key="s3", Range="bytes=65000-200000")
        self.assertEqual(data[65000:200001], part["Body"].read())
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="s3")["Contents"]
        self.assertEqual(len(data), listed[0]["Size"])

    def test_sse_kms(self):
        data = pattern(100000, b"kms")
        put = self.s3.put_object(Bucket=self.bucket, Key="kms", Body=data,
                                 ServerSideEncryption="aws:kms", SSEKMSKeyId=KMS_KEY)
        self.assertEqual("aws:kms", put["ServerSideEncryption"])
        self.assertIn(KMS_KEY, put["SSEKMSKeyId"])
        got = self.s3.get_object(Bucket=self.bucket, Key="kms")
        self.assertEqual(data, got["Body"].read())
        self.assertIn(KMS_KEY, got["SSEKMSKeyId"])

    def test_sse_c_needs_its_key(self):
        data = pattern(150000, b"ssec")
        put = self.s3.put_object(Bucket=self.bucket, Key="c", Body=data,
                                 SSECustomerAlgorithm="AES256", SSECustomerKey=KEY1)
        self.assertEqual("AES256", put["SSECustomerAlgorithm"])
        self.assertNotEqual('"%s"' % hashlib.md5(data).hexdigest(), put["ETag"])
        self.assertS3Error("InvalidRequest", 400, self.s3.get_object, Bucket=self.bucket, Key="c")
        self.assertS3Error("AccessDenied", 403, self.s3.get_object, Bucket=self.bucket, Key="c",
                           SSECustomerAlgorithm="AES256", SSECustomerKey=KEY2)
        self.assertS3Error(None, 403, self.s3.head_object, Bucket=self.bucket, Key="c",
                           SSECustomerAlgorithm="AES256", SSECustomerKey=KEY2)
        got = self.s3.get_object(Bucket=self.bucket, Key="c", SSECustomerAlgorithm="AES256",
                                 SSECustomerKey=KEY1, Range="bytes=70000-")
        self.assertEqual(data[70000:], got["Body"].read())
        self.assertEqual("AES256", got["SSECustomerAlgorithm"])

    def test_sse_c_key_rotation_by_copy(self):
        data = pattern(90000, b"rotate")
        self.s3.put_object(Bucket=self.bucket, Key="rot", Body=data,
                           SSECustomerAlgorithm="AES256", SSECustomerKey=KEY1)
        self.s3.copy_object(Bucket=self.bucket, Key="rot",
                            CopySource={"Bucket": self.bucket, "Key": "rot"},
                            CopySourceSSECustomerAlgorithm="AES256",
                            CopySourceSSECustomerKey=KEY1,
                            SSECustomerAlgorithm="AES256", SSECustomerKey=KEY2)
        self.assertS3Error("AccessDenied", 403, self.s3.get_object, Bucket=self.bucket,
                           Key="rot", SSECustomerAlgorithm="AES256", SSECustomerKey=KEY1)
        got = self.s3.get_object(Bucket=self.bucket, Key="rot", SSECustomerAlgorithm="AES256",
                                 SSECustomerKey=KEY2)
        self.assertEqual(data, got["Body"].read())

    def test_multipart_transfer_manager(self):
        data = pattern(13 * MiB + 777, b"multipart")
        cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
        path = os.path.join(boto3_e2e.COFFER.work, "mp.bin")
        with open(path, "wb") as f:
            f.write(data)
        for key, extra in (("mp-c", {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": KEY1}),
                           ("mp-s3", {"ServerSideEncryption": "AES256"})):
            self.s3.upload_file(path, self.bucket, key, ExtraArgs=extra, Config=cfg)
            read_extra = {k: v for k, v in extra.items() if k.startswith("SSECustomer")}
            head = self.s3.head_object(Bucket=self.bucket, Key=key, **read_extra)
            self.assertEqual(len(data), head["ContentLength"])
            self.assertTrue(head["ETag"].endswith('-3"'), head["ETag"])
            got = self.s3.get_object(Bucket=self.bucket, Key=key, **read_extra)
            self.assertEqual(data, got["Body"].read())
            part = self.s3.get_object(Bucket=self.bucket, Key=key, Range="bytes=5242000-5243000",
                                      **read_extra)
            self.assertEqual(data[5242000:5243001], part["Body"].read())

    def test_sse_c_over_plain_http_is_refused(self):
        plain = boto3_e2e.client(endpoint=boto3_e2e.COFFER.endpoint, verify=False)
        with self.assertRaises(Exception) as cm:
            plain.put_object(Bucket=self.bucket, Key="insecure", Body=b"x",
                             SSECustomerAlgorithm="AES256", SSECustomerKey=KEY1)
        if isinstance(cm.exception, ClientError):
            self.assertEqual("InvalidRequest", boto3_e2e.error_code(cm.exception))
            self.assertEqual(400, boto3_e2e.status_of(cm.exception))
        self.assertS3Error(None, 404, self.s3.head_object, Bucket=self.bucket, Key="insecure")


def main():
    # The quickstart repo plus an in-process key service that makes the
    # SSE-KMS key at start.
    repo = tempfile.mkdtemp(prefix="coffer-sse-repo-")
    shutil.rmtree(repo)
    shutil.copytree(os.path.join(os.environ["COFFER_SOURCE_DIR"], "fixtures", "quickstart"), repo)
    with open(os.path.join(repo, "key_service.toml"), "w") as f:
        f.write('[key_service]\naddress = "in-process"\ncreate_keys = ["%s"]\n' % KMS_KEY)
    coffer = boto3_e2e.Coffer(config=repo)
    boto3_e2e.COFFER = coffer
    os.environ["AWS_CONFIG_FILE"] = os.path.join(coffer.work, "aws-config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(coffer.work, "aws-credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    ok = False
    try:
        coffer.start()
        suite = unittest.TestLoader().loadTestsFromTestCase(SseBoto3)
        only = [x for x in os.environ.get("E2E_ONLY", "").split(",") if x]
        if only:
            suite = unittest.TestSuite(t for t in suite if t.id().rsplit(".", 1)[-1] in only)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
        ok = result.wasSuccessful() and result.testsRun > 0
    finally:
        if not ok:
            print("---- coffer serve log (last 40 lines) ----\n" + coffer.log_tail(),
                  file=sys.stderr)
        coffer.cleanup()
        shutil.rmtree(repo, ignore_errors=True)
    print("sse_boto3_e2e: ok" if ok else "sse_boto3_e2e: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
