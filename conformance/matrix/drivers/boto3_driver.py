#!/usr/bin/python3
"""Matrix driver for boto3 (Debian's python3-boto3). Run by conformance/matrix/run
with MX_* in the environment; writes "feature<TAB>status<TAB>note" lines to
$MX_RESULTS."""
import os
import subprocess
import sys
import traceback

import boto3
import botocore.config
import botocore.exceptions

E = os.environ
PROTO, ENDPOINT, BUCKET = E["MX_PROTO"], E["MX_ENDPOINT"], E["MX_BUCKET"]
HTTPS = PROTO == "https"
VERIFY = E["MX_CA"] if HTTPS else None
TIMEOUT = int(E.get("MX_CALL_TIMEOUT", "45"))
KMS_KEY, SSEC_KEY = E["MX_KMS_KEY"], E["MX_SSEC_KEY"]
CONFIG = botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                connect_timeout=TIMEOUT, read_timeout=TIMEOUT,
                                retries={"max_attempts": 1})
results = open(E["MX_RESULTS"], "w", encoding="utf-8")


def client(service="s3", ak=E["MX_AK"], sk=E["MX_SK"], token=None, endpoint=ENDPOINT,
           verify=VERIFY):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token,
                        verify=verify, config=CONFIG)


s3 = client()
SMALL = os.urandom(20011)
BIG = os.urandom(11 * 1024 * 1024 + 7)


def record(feature, status, note=""):
    results.write("%s\t%s\t%s\n" % (feature, status, note))
    results.flush()


def cell(feature, fn):
    print("==", feature, flush=True)
    try:
        fn()
        record(feature, "pass")
    except Exception as e:  # pylint: disable=broad-except
        traceback.print_exc()
        record(feature, "FAIL", type(e).__name__)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def f_bucket():
    tb = "mxt-boto3-" + PROTO
    s3.create_bucket(Bucket=tb)
    s3.head_bucket(Bucket=tb)
    check(tb in [b["Name"] for b in s3.list_buckets()["Buckets"]], "new bucket not listed")
    s3.delete_bucket(Bucket=tb)
    check(error_code(lambda: s3.head_bucket(Bucket=tb)) in ("404", "NoSuchBucket"),
          "bucket still there")


def f_object():
    s3.put_object(Bucket=BUCKET, Key="obj.bin", Body=SMALL)
    check(s3.head_object(Bucket=BUCKET, Key="obj.bin")["ContentLength"] == len(SMALL), "size")
    check(s3.get_object(Bucket=BUCKET, Key="obj.bin")["Body"].read() == SMALL, "content")
    s3.delete_object(Bucket=BUCKET, Key="obj.bin")
    check(error_code(lambda: s3.head_object(Bucket=BUCKET, Key="obj.bin")) in ("404", "NoSuchKey"),
          "object still there")


def f_list():
    for key in ("list/a/1", "list/a/2", "list/b/1", "list/c"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    keys = [o["Key"] for o in r.get("Contents", [])]
    check(prefixes == ["list/a/", "list/b/"] and keys == ["list/c"], "listing %r %r" % (prefixes, keys))


def f_multipart():
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu.bin")["UploadId"]
    parts = []
    part = 5 * 1024 * 1024
    for n, off in enumerate(range(0, len(BIG), part), start=1):
        etag = s3.upload_part(Bucket=BUCKET, Key="mpu.bin", UploadId=up, PartNumber=n,
                              Body=BIG[off:off + part])["ETag"]
        parts.append({"ETag": etag, "PartNumber": n})
    s3.complete_multipart_upload(Bucket=BUCKET, Key="mpu.bin", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    check(s3.head_object(Bucket=BUCKET, Key="mpu.bin")["ETag"].endswith('-3"'), "ETag")
    check(s3.get_object(Bucket=BUCKET, Key="mpu.bin")["Body"].read() == BIG, "content")


def f_presign():
    s3.put_object(Bucket=BUCKET, Key="pre.bin", Body=SMALL)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "pre.bin"},
                                    ExpiresIn=300)
    cmd = ["curl", "-sS", "-f", "-m", str(TIMEOUT)] + (["--cacert", VERIFY] if HTTPS else []) + [url]
    check(subprocess.run(cmd, check=True, capture_output=True).stdout == SMALL, "presigned GET")


def f_sse_s3():
    s3.put_object(Bucket=BUCKET, Key="sse-s3.bin", Body=SMALL, ServerSideEncryption="AES256")
    check(s3.head_object(Bucket=BUCKET, Key="sse-s3.bin").get("ServerSideEncryption") == "AES256",
          "not AES256")
    check(s3.get_object(Bucket=BUCKET, Key="sse-s3.bin")["Body"].read() == SMALL, "content")


def f_sse_kms():
    s3.put_object(Bucket=BUCKET, Key="sse-kms.bin", Body=SMALL, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=KMS_KEY)
    h = s3.head_object(Bucket=BUCKET, Key="sse-kms.bin")
    check(h.get("ServerSideEncryption") == "aws:kms" and KMS_KEY in h.get("SSEKMSKeyId", ""), "head")
    check(s3.get_object(Bucket=BUCKET, Key="sse-kms.bin")["Body"].read() == SMALL, "content")


def f_sse_c():
    key = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=SSEC_KEY)
    s3.put_object(Bucket=BUCKET, Key="sse-c.bin", Body=SMALL, **key)
    check(error_code(lambda: s3.head_object(Bucket=BUCKET, Key="sse-c.bin")) == "400",
          "HEAD without the key not refused")
    check(s3.get_object(Bucket=BUCKET, Key="sse-c.bin", **key)["Body"].read() == SMALL, "content")


def f_sts():
    s3.put_object(Bucket=BUCKET, Key="sts.bin", Body=SMALL)
    sts = client("sts", endpoint=E["MX_STS_ENDPOINT"], verify=E["MX_CA"])
    c = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/mx", RoleSessionName="mx")["Credentials"]
    tmp = client(ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["SessionToken"])
    check(tmp.get_object(Bucket=BUCKET, Key="sts.bin")["Body"].read() == SMALL, "content")


def f_denied():
    code = error_code(lambda: s3.put_object(Bucket=BUCKET, Key="denied/x.txt", Body=b"secret"))
    check(code == "AccessDenied", "got %r" % code)


cell("bucket", f_bucket)
cell("object", f_object)
cell("list", f_list)
cell("multipart", f_multipart)
cell("presign", f_presign)
cell("sse-s3", f_sse_s3)
cell("sse-kms", f_sse_kms)
if HTTPS:
    cell("sse-c", f_sse_c)
    cell("sts", f_sts)
else:
    record("sse-c", "n/a", "plain-http-ssec")
    record("sts", "n/a", "plain-http-sts")
cell("denied", f_denied)
