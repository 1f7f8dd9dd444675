#!/usr/bin/python3
"""The authorization matrix through a real client (Debian's boto3) against `coffer serve`.

Principals x operations x expected allow/deny, for every built-in policy (readwrite,
readonly, writeonly, diagnostics, consoleAdmin), a disabled user, anonymous, and the
examples of the security overview: readwrite on one bucket, the per-user prefix policy
with ${aws:username} (through a group), anonymous download, a bucket that denies plain
HTTP, buckets that allow one source network, and a bucket Deny on a prefix that beats a
user's Allow. The config repo is fixtures/config/authz-matrix. The expectations are
written out by hand below (not computed), so the test is an independent statement of
what the repo means. Prints the matrix; exits non-zero on any mismatch.
Needs COFFER_BIN and COFFER_SOURCE_DIR.
"""

import os
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3_e2e as base  # noqa: E402  (the launcher: one coffer serve, TLS + plain)

SECRET = "matrix-user-secret-0123456789"
A, D, K = "allow", "deny", "badkey"  # K: the key is refused (disabled user).

# (principal, operation, bucket, key-or-prefix, tls, expected)
MATRIX = [
    # readwrite
    ("rw", "list_buckets", "", "", False, A),
    ("rw", "put", "mybucket", "rw.txt", False, A),
    ("rw", "get", "mybucket", "a.txt", False, A),
    ("rw", "list", "mybucket", "", False, A),
    ("rw", "delete", "mybucket", "del-rw.txt", False, A),
    ("rw", "put", "mybucket", "locked/rw.txt", False, D),  # bucket Deny beats the Allow
    ("rw", "get", "tlsonly", "t", False, D),  # bucket Deny without TLS beats the Allow
    ("rw", "get", "tlsonly", "t", True, A),
    ("rw", "get", "far", "f", False, A),  # its own policy allows; the bucket's adds nothing
    # readonly: GetObject and GetBucketLocation only
    # Without s3:ListAllMyBuckets a principal sees the buckets it may s3:ListBucket (as
    # MinIO): here only "public", whose anonymous-download policy lets everyone list it.
    ("ro", "list_buckets", "", "", False, A),
    ("ro", "get", "mybucket", "a.txt", False, A),
    ("ro", "get", "home", "bob/x", False, A),
    ("ro", "location", "mybucket", "", False, A),
    ("ro", "list", "mybucket", "", False, D),
    ("ro", "put", "mybucket", "ro.txt", False, D),
    ("ro", "delete", "mybucket", "del-ro.txt", False, D),
    # writeonly: PutObject only
    ("wo", "put", "mybucket", "wo.txt", False, A),
    ("wo", "put", "mybucket", "locked/wo.txt", False, D),
    ("wo", "get", "mybucket", "a.txt", False, D),
    ("wo", "list", "mybucket", "", False, D),
    ("wo", "delete", "mybucket", "del-wo.txt", False, D),
    # diagnostics: admin actions only, no S3
    ("diag", "list_buckets", "", "", False, A),  # "public" only, see ro
    ("diag", "get", "mybucket", "a.txt", False, D),
    ("diag", "put", "mybucket", "diag.txt", False, D),
    # consoleAdmin: all of S3 (but not past a bucket Deny)
    ("admin", "list_buckets", "", "", False, A),
    ("admin", "put", "mybucket", "admin.txt", False, A),
    ("admin", "get", "home", "bob/x", False, A),
    ("admin", "delete", "mybucket", "del-admin.txt", False, A),
    ("admin", "put", "mybucket", "locked/admin.txt", False, D),
    # alice: readwrite on mybucket only
    ("alice", "list_buckets", "", "", False, A),  # lists the buckets she may list
    ("alice", "put", "mybucket", "alice.txt", False, A),
    ("alice", "get", "mybucket", "a.txt", False, A),
    ("alice", "list", "mybucket", "", False, A),
    ("alice", "delete", "mybucket", "del-alice.txt", False, A),
    ("alice", "put", "mybucket", "locked/alice.txt", False, D),
    ("alice", "get", "home", "bob/x", False, D),
    ("alice", "put", "public", "alice.txt", False, D),
    # bob: only home/bob/ (group staff, ${aws:username})
    ("bob", "get", "home", "bob/x", False, A),
    ("bob", "put", "home", "bob/new.txt", False, A),
    ("bob", "list", "home", "bob/", False, A),
    ("bob", "get", "home", "carol/x", False, D),
    ("bob", "put", "home", "carol/new.txt", False, D),
    ("bob", "list", "home", "carol/", False, D),
    ("bob", "list", "home", "", False, D),
    ("bob", "list_buckets", "", "", False, A),  # "public" only, see ro
    ("bob", "get", "mybucket", "a.txt", False, D),
    # a disabled user has no working key
    ("off", "get", "mybucket", "a.txt", False, K),
    ("off", "list_buckets", "", "", False, K),
    # anonymous
    ("anon", "list_buckets", "", "", False, D),
    ("anon", "get", "public", "p", False, A),
    ("anon", "list", "public", "", False, A),
    ("anon", "put", "public", "anon.txt", False, D),
    ("anon", "get", "mybucket", "a.txt", False, D),
    ("anon", "get", "tlsonly", "t", True, A),
    ("anon", "get", "tlsonly", "t", False, D),
    ("anon", "get", "lan", "l", False, A),
    ("anon", "get", "far", "f", False, D),
    # root is not subject to policies
    ("root", "put", "mybucket", "locked/root.txt", False, A),
    ("root", "get", "far", "f", False, A),
]

# What ListBuckets shows to principals without s3:ListAllMyBuckets.
LISTABLE = {"ro": ["public"], "diag": ["public"], "bob": ["public"],
            "alice": ["mybucket", "public"]}
PRINCIPAL = [""]  # The principal of the case being run.

SEED = {"mybucket": ["a.txt"] + ["del-%s.txt" % p for p in ("rw", "ro", "wo", "admin", "alice")],
        "home": ["bob/x", "carol/x"], "public": ["p"], "tlsonly": ["t"], "lan": ["l"], "far": ["f"]}


def make_client(coffer, principal, tls):
    endpoint = coffer.tls_endpoint if tls else coffer.endpoint
    verify = coffer.ca if tls else None
    if principal == "anon":
        cfg = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                     retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60)
        return boto3.session.Session(region_name="us-east-1").client(
            "s3", endpoint_url=endpoint, config=cfg, verify=verify if verify else True)
    if principal == "root":
        return base.client(endpoint, verify=verify)
    return base.client(endpoint, key=principal, secret=SECRET, verify=verify)


def run(s3, op, bucket, key):
    if op == "list_buckets":
        names = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
        want = LISTABLE.get(PRINCIPAL[0])
        if want is not None and names != want:
            raise AssertionError("list_buckets shows %s, want %s" % (names, want))
    elif op == "put":
        s3.put_object(Bucket=bucket, Key=key, Body=b"matrix")
    elif op == "get":
        s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    elif op == "list":
        s3.list_objects_v2(Bucket=bucket, Prefix=key)
    elif op == "delete":
        s3.delete_object(Bucket=bucket, Key=key)
    elif op == "location":
        s3.get_bucket_location(Bucket=bucket)
    else:
        raise ValueError(op)


def outcome(s3, op, bucket, key):
    try:
        run(s3, op, bucket, key)
        return A, ""
    except AssertionError as e:
        return "wrong", str(e)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403 and code == "AccessDenied":
            return D, code
        if status == 403 and code == "InvalidAccessKeyId":
            return K, code
        return "error", "%s %s" % (status, code)


def main():
    coffer = base.Coffer(config=os.path.join(os.environ["COFFER_SOURCE_DIR"], "fixtures",
                                             "config", "authz-matrix"),
                         env={"MATRIX_SECRET": SECRET})
    base.COFFER = coffer
    failures = []
    try:
        coffer.start()
        root = base.client(coffer.endpoint)
        for bucket, keys in SEED.items():
            for key in keys:
                root.put_object(Bucket=bucket, Key=key, Body=b"seed")
        clients = {}
        rows = []
        for principal, op, bucket, key, tls, want in MATRIX:
            s3 = clients.setdefault((principal, tls), make_client(coffer, principal, tls))
            PRINCIPAL[0] = principal
            got, detail = outcome(s3, op, bucket, key)
            ok = got == want
            where = "%s/%s" % (bucket, key) if bucket else "-"
            rows.append((principal, op, where, "https" if tls else "http", want, got, ok))
            if not ok:
                failures.append("%s %s %s over %s: want %s, got %s %s" %
                                (principal, op, where, "https" if tls else "http", want, got,
                                 detail))
        print("%-6s %-13s %-22s %-5s %-7s %-7s" % ("who", "operation", "resource", "via",
                                                   "want", "got"))
        for principal, op, where, via, want, got, ok in rows:
            print("%-6s %-13s %-22s %-5s %-7s %-7s %s" % (principal, op, where, via, want, got,
                                                          "" if ok else "MISMATCH"))
        print("%d cases, %d mismatches" % (len(rows), len(failures)))
    except Exception as e:  # pylint: disable=broad-except
        failures.append("setup: %r" % (e,))
    finally:
        if failures:
            sys.stderr.write("\n".join(failures) + "\n--- coffer log ---\n" + coffer.log_tail())
        coffer.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
