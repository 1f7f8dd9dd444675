#!/usr/bin/python3
"""STS through boto3 (Debian's python3-boto3), run by sts_e2e.sh against its server.

AssumeRole as the root user (the session policy alone bounds it) and as alice;
with botocore's client-side validation off, out-of-range DurationSeconds and an
oversized policy reach the server and get its STS errors; a session of
E2E_MIN_DURATION seconds answers ExpiredToken once it is over.
Environment: E2E_ENDPOINT, E2E_BUCKET, E2E_OTHER, E2E_MIN_DURATION,
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (root), E2E_ALICE_SECRET, AWS_CA_BUNDLE.
"""
import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["E2E_ENDPOINT"]
BUCKET = os.environ["E2E_BUCKET"]
OTHER = os.environ["E2E_OTHER"]
MIN_DURATION = int(os.environ["E2E_MIN_DURATION"])
CA = os.environ["AWS_CA_BUNDLE"]
RAW = Config(parameter_validation=False, retries={"max_attempts": 1}, s3={"addressing_style": "path"})


def sts(key, secret):
    return boto3.client("sts", endpoint_url=ENDPOINT, aws_access_key_id=key,
                        aws_secret_access_key=secret, region_name="us-east-1", verify=CA,
                        config=RAW)


def s3(creds):
    return boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"], region_name="us-east-1",
                        verify=CA, config=RAW)


def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "OK"


def expect(want, got, what):
    if want != got:
        print(f"FAIL: {what}: want {want}, got {got}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}: {got}")


root = sts(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
alice = sts("alice", os.environ["E2E_ALICE_SECRET"])
read_only = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{OTHER}/*"]}]})

# Root: the session policy alone bounds it.
root_s3 = s3(root.assume_role(RoleArn="arn:aws:iam::1:role/x", RoleSessionName="root",
                              Policy=read_only)["Credentials"])
expect("AccessDenied", code_of(lambda: root_s3.put_object(Bucket=OTHER, Key="r", Body=b"x")),
       "root session PUT outside its session policy")
# Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey (S3 does
# not reveal which keys exist to a caller that may not list them).
expect("AccessDenied", code_of(lambda: root_s3.get_object(Bucket=OTHER, Key="missing")),
       "root session GET of a missing key without ListBucket")
full = s3(root.assume_role(RoleArn="arn:aws:iam::1:role/x", RoleSessionName="full")["Credentials"])
expect("OK", code_of(lambda: full.put_object(Bucket=OTHER, Key="r", Body=b"x")),
       "root session without a policy acts as root")
expect("OK", code_of(lambda: root_s3.get_object(Bucket=OTHER, Key="r")),
       "root session GET inside its session policy")

# Out-of-range durations and oversized policies reach the server (validation off).
for duration in (MIN_DURATION - 1, 43201, 0):
    expect("InvalidParameterValue",
           code_of(lambda: alice.assume_role(RoleArn="arn:aws:iam::1:role/x",
                                             RoleSessionName="d", DurationSeconds=duration)),
           f"DurationSeconds={duration}")
big = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/k{i}"}
    for i in range(40)]})
assert len(big) > 2048
expect("PackedPolicyTooLarge",
       code_of(lambda: alice.assume_role(RoleArn="arn:aws:iam::1:role/x", RoleSessionName="p",
                                         Policy=big)),
       "oversized session policy")
expect("InvalidClientTokenId",
       code_of(lambda: sts("nobody", "nothing").assume_role(RoleArn="arn:aws:iam::1:role/x",
                                                            RoleSessionName="n")),
       "unknown access key")

# A short session works, then expires.
creds = alice.assume_role(RoleArn="arn:aws:iam::1:role/x", RoleSessionName="short",
                          DurationSeconds=MIN_DURATION)["Credentials"]
short = s3(creds)
expect("OK", code_of(lambda: short.list_objects_v2(Bucket=BUCKET)), "short session before expiry")
left = creds["Expiration"].timestamp() - time.time()
if not 0 < left <= MIN_DURATION + 1:
    print(f"FAIL: Expiration {creds['Expiration']} is {left:.1f} s away", file=sys.stderr)
    sys.exit(1)
time.sleep(left + 1.5)
expect("ExpiredToken", code_of(lambda: short.list_objects_v2(Bucket=BUCKET)),
       "short session after expiry")

# Session credentials chaining AssumeRole cannot outlive their caller.
first = alice.assume_role(RoleArn="arn:aws:iam::1:role/x", RoleSessionName="c1",
                          DurationSeconds=900)["Credentials"]
chained_client = boto3.client("sts", endpoint_url=ENDPOINT,
                              aws_access_key_id=first["AccessKeyId"],
                              aws_secret_access_key=first["SecretAccessKey"],
                              aws_session_token=first["SessionToken"], region_name="us-east-1",
                              verify=CA, config=RAW)
chained = chained_client.assume_role(RoleArn="arn:aws:iam::1:role/x", RoleSessionName="c2",
                                     DurationSeconds=3600)["Credentials"]
expect(first["Expiration"], chained["Expiration"], "chained session capped at its caller's expiry")
print("boto3 STS: all passed")
