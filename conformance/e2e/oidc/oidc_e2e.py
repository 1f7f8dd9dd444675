#!/usr/bin/python3
"""AssumeRoleWithWebIdentity / AssumeRoleWithClientGrants against a REAL OpenID provider.

Starts, on 127.0.0.1 and over HTTPS (one CA from `coffer certs generate`):
  - npm `oidc-provider` 9 (conformance/e2e/oidc/provider.mjs, installed by
    `scripts/install-deps.sh test` into conformance/e2e/oidc/node_modules): the
    client_credentials grant with a resource indicator gives RS256 JWT access
    tokens with a `policy` claim;
  - `coffer serve` with a config repo naming that provider twice: "idp" by its
    discovery_url (keys fetched from its jwks_uri), "airgap" by a jwks_file in
    the repo with a role_policy.
Then Debian's /usr/bin/aws (`sts assume-role-with-web-identity`) and boto3 get
temporary credentials, and S3 calls with them are allowed and denied as the
token's policy says. Bad tokens get the right STS errors.

Needs COFFER_BIN and COFFER_SOURCE_DIR. Fails (does not skip) when node or the
npm packages are missing. E2E_KEEP=1 keeps the work dir.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import ssl

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT_USER = "oidc-e2e-root"
ROOT_SECRET = "oidc-e2e-root-secret-0123456789"
HERE = os.path.dirname(os.path.abspath(__file__))
NODE = "/usr/bin/node"
CALL_TIMEOUT = 60
BUCKET = "oidc-bkt"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError("timed out waiting for " + what)


class World:
    """The provider and coffer serve; both stopped by PID in stop()."""

    def __init__(self):
        self.bin = os.environ["COFFER_BIN"]
        self.work = tempfile.mkdtemp(prefix="coffer-oidc-")
        self.certs = os.path.join(self.work, "certs")
        self.ca = os.path.join(self.certs, "CAs", "coffer-local-ca.crt")
        self.procs = []
        self.ssl = None

    def start(self):
        if not os.path.exists(NODE):
            raise RuntimeError("%s is missing: install Debian's nodejs" % NODE)
        if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
            raise RuntimeError("conformance/e2e/oidc/node_modules is missing: "
                               "run scripts/install-deps.sh test")
        gen = subprocess.run([self.bin, "certs", "generate", "--host", "localhost", "--ip",
                              "127.0.0.1", "--out", self.certs],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                             env=dict(os.environ, HOME=self.work))
        if gen.returncode != 0:
            raise RuntimeError("coffer certs generate: " + gen.stdout.decode(errors="replace"))
        self.ssl = ssl.create_default_context(cafile=self.ca)
        self._start_provider()
        self._write_repo()
        self._start_coffer()

    def _start_provider(self):
        self.idp_port = free_port()
        self.issuer = "https://127.0.0.1:%d" % self.idp_port
        log = open(os.path.join(self.work, "provider.log"), "wb")
        proc = subprocess.Popen([NODE, os.path.join(HERE, "provider.mjs"), str(self.idp_port),
                                 os.path.join(self.certs, "public.crt"),
                                 os.path.join(self.certs, "private.key")],
                                cwd=HERE, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        wait_for(lambda: b"READY" in open(log.name, "rb").read() or proc.poll() is not None,
                 45, "oidc-provider")
        if proc.poll() is not None:
            raise RuntimeError("oidc-provider exited: " + open(log.name).read())

    def get(self, url):
        with urllib.request.urlopen(url, timeout=10, context=self.ssl) as r:
            return r.read()

    def token(self, client):
        body = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": client,
            "client_secret": client + "-secret", "resource": "https://coffer-s3.local/",
            "scope": "s3"}).encode()
        req = urllib.request.Request(self.issuer + "/token", data=body)
        with urllib.request.urlopen(req, timeout=10, context=self.ssl) as r:
            return json.loads(r.read())["access_token"]

    def _write_repo(self):
        self.repo = os.path.join(self.work, "repo")
        os.makedirs(os.path.join(self.repo, "idp"))
        # Air-gapped provider: the same keys, copied into the repo.
        with open(os.path.join(self.repo, "idp", "jwks.json"), "wb") as f:
            f.write(self.get(self.issuer + "/jwks"))
        rw = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*"],
             "Resource": ["arn:aws:s3:::%s" % BUCKET, "arn:aws:s3:::%s/*" % BUCKET]}]}
        ro = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::%s" % BUCKET, "arn:aws:s3:::%s/*" % BUCKET]}]}
        with open(os.path.join(self.repo, "coffer.toml"), "w") as f:
            f.write("""
[buckets.%(bucket)s]

# An administrator, or apply refuses the repo (no principal with admin rights).
[users.e2e-admin]
secret = "env:E2E_OIDC_ADMIN_SECRET"
policies = ["consoleAdmin"]

[policies.e2e-readwrite]
json = '%(rw)s'

[policies.e2e-readonly]
json = '%(ro)s'

[identity.oidc.idp]
issuer = "%(issuer)s"
client_id = "coffer"
audiences = ["coffer-s3"]
discovery_url = "%(issuer)s/.well-known/openid-configuration"

[identity.oidc.airgap]
issuer = "%(issuer)s"
client_id = "coffer"
audiences = ["coffer-s3"]
role_policy = "e2e-readonly"
jwks_file = "idp/jwks.json"
""" % {"bucket": BUCKET, "rw": json.dumps(rw), "ro": json.dumps(ro), "issuer": self.issuer})

    def _start_coffer(self):
        self.port = free_port()
        self.endpoint = "https://127.0.0.1:%d" % self.port
        env = dict(os.environ, COFFER_ROOT_USER=ROOT_USER, COFFER_ROOT_PASSWORD=ROOT_SECRET,
                   E2E_OIDC_ADMIN_SECRET="e2e-oidc-admin-secret-0123456789", HOME=self.work)
        log = open(os.path.join(self.work, "coffer.log"), "wb")
        proc = subprocess.Popen(
            [self.bin, "serve", "--data", os.path.join(self.work, "data"), "--config", self.repo,
             "--address", "127.0.0.1:%d" % self.port, "--certs-dir", self.certs],
            stdout=subprocess.DEVNULL, stderr=log, env=env)
        self.procs.append(proc)

        def ready():
            if proc.poll() is not None:
                raise RuntimeError("coffer serve exited: " + open(log.name).read()[-3000:])
            try:
                with urllib.request.urlopen(self.endpoint + "/minio/health/ready", timeout=2,
                                            context=self.ssl) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError):
                return False
        wait_for(ready, 90, "coffer serve")

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if os.environ.get("E2E_KEEP") == "1":
            print("kept " + self.work, file=sys.stderr)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


WORLD = None


def aws(*args):
    """Runs Debian's awscli 2 against coffer; returns (exit code, stdout, stderr)."""
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1", AWS_CA_BUNDLE=WORLD.ca,
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(k, None)
    creds = getattr(aws, "creds", None)
    if creds:
        env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                   AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                   AWS_SESSION_TOKEN=creds["SessionToken"])
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", WORLD.endpoint, "--output", "json"]
                       + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=CALL_TIMEOUT, env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def cli_web_identity(token, role="arn:minio:iam:::role/idp", duration=None):
    args = ["sts", "assume-role-with-web-identity", "--role-arn", role,
            "--role-session-name", "e2e", "--web-identity-token", token]
    if duration:
        args += ["--duration-seconds", str(duration)]
    aws.creds = None
    return aws(*args)


def s3_client(creds):
    return boto3.client(
        "s3", endpoint_url=WORLD.endpoint, region_name="us-east-1", verify=WORLD.ca,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      connect_timeout=10, read_timeout=CALL_TIMEOUT))


def sts_client():
    return boto3.client("sts", endpoint_url=WORLD.endpoint, region_name="us-east-1",
                        verify=WORLD.ca, aws_access_key_id="unused",
                        aws_secret_access_key="unused",
                        config=Config(retries={"max_attempts": 1}, read_timeout=CALL_TIMEOUT))


def error_code(err):
    return err.response.get("Error", {}).get("Code")


def jwt_exp(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]


class OidcE2e(unittest.TestCase):
    def test_awscli_web_identity_readwrite_then_s3(self):
        token = WORLD.token("e2e-rw")
        rc, out, err = cli_web_identity(token)
        self.assertEqual(rc, 0, err)
        answer = json.loads(out)
        creds = answer["Credentials"]
        self.assertEqual(answer.get("SubjectFromWebIdentityToken"), "e2e-rw")
        # The session does not outlive the token.
        exp = time.strptime(creds["Expiration"].replace("+00:00", "Z")[:19], "%Y-%m-%dT%H:%M:%S")
        self.assertLessEqual(int(time.mktime(exp) - time.timezone), jwt_exp(token) + 1)
        aws.creds = creds
        body = os.path.join(WORLD.work, "hello.txt")
        with open(body, "w") as f:
            f.write("hello from a web identity\n")
        rc, _, err = aws("s3api", "put-object", "--bucket", BUCKET, "--key", "rw/hello.txt",
                         "--body", body)
        self.assertEqual(rc, 0, err)
        rc, out, err = aws("s3api", "list-objects-v2", "--bucket", BUCKET)
        self.assertEqual(rc, 0, err)
        self.assertIn("rw/hello.txt", out)
        # Outside the policy's bucket: denied.
        rc, _, err = aws("s3api", "create-bucket", "--bucket", "other-bkt")
        self.assertNotEqual(rc, 0)
        self.assertIn("AccessDenied", err)
        aws.creds = None

    def test_boto3_web_identity_readonly_claim(self):
        # The token's claim says "e2e-readonly,no-such-policy": the unknown name is dropped.
        answer = sts_client().assume_role_with_web_identity(
            RoleArn="arn:minio:iam:::role/idp", RoleSessionName="boto3",
            WebIdentityToken=WORLD.token("e2e-ro"), DurationSeconds=900)
        s3 = s3_client(answer["Credentials"])
        with self.assertRaises(ClientError) as denied:
            s3.put_object(Bucket=BUCKET, Key="ro/nope.txt", Body=b"x")
        self.assertEqual(error_code(denied.exception), "AccessDenied")
        # Reads are allowed (a missing key is 404 with ListBucket).
        with self.assertRaises(ClientError) as missing:
            s3.get_object(Bucket=BUCKET, Key="ro/missing.txt")
        self.assertEqual(error_code(missing.exception), "NoSuchKey")
        s3.list_objects_v2(Bucket=BUCKET)

    def test_airgapped_jwks_file_role_policy(self):
        # The rw client's token through the air-gapped provider: its role policy (readonly) wins.
        rc, out, err = cli_web_identity(WORLD.token("e2e-rw"), role="arn:minio:iam:::role/airgap")
        self.assertEqual(rc, 0, err)
        s3 = s3_client(json.loads(out)["Credentials"])
        s3.list_objects_v2(Bucket=BUCKET)
        with self.assertRaises(ClientError) as denied:
            s3.put_object(Bucket=BUCKET, Key="airgap.txt", Body=b"x")
        self.assertEqual(error_code(denied.exception), "AccessDenied")

    def test_client_grants_form_post(self):
        body = urllib.parse.urlencode({
            "Action": "AssumeRoleWithClientGrants", "Version": "2011-06-15",
            "Token": WORLD.token("e2e-rw"), "DurationSeconds": "900"}).encode()
        req = urllib.request.Request(WORLD.endpoint + "/", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=CALL_TIMEOUT, context=WORLD.ssl) as r:
            xml = r.read().decode()
        self.assertIn("<AccessKeyId>", xml)
        self.assertIn("<SessionToken>", xml)

    def test_bad_tokens_get_sts_errors(self):
        good = WORLD.token("e2e-rw")
        h, p, s = good.split(".")
        forged_payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        forged_payload["policy"] = "consoleAdmin"
        forged = "%s.%s.%s" % (h, base64.urlsafe_b64encode(
            json.dumps(forged_payload).encode()).decode().rstrip("="), s)
        none_alg = "%s.%s." % (base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("="), p)
        cases = [
            ("forged claims", forged, "arn:minio:iam:::role/idp", "InvalidIdentityToken"),
            ("alg none", none_alg, "arn:minio:iam:::role/idp", "InvalidIdentityToken"),
            ("truncated", good[: len(good) // 2], "arn:minio:iam:::role/idp",
             "InvalidIdentityToken"),
            ("garbage", "not-a-jwt" * 3, "arn:minio:iam:::role/idp", "InvalidIdentityToken"),
            ("unknown role", good, "arn:minio:iam:::role/nobody", "InvalidParameterValue"),
            ("no policy claim", WORLD.token("e2e-none"), "arn:minio:iam:::role/idp",
             "AccessDenied"),
        ]
        for name, token, role, code in cases:
            with self.subTest(name):
                rc, out, err = cli_web_identity(token, role=role)
                self.assertNotEqual(rc, 0, out)
                self.assertIn(code, err)
                self.assertNotIn("SecretAccessKey", out)


def main():
    global WORLD
    WORLD = World()
    try:
        WORLD.start()
        result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
        ok = result.wasSuccessful()
    except Exception as e:  # Setup failures fail the test, loudly.
        print("oidc e2e setup failed: %s" % e, file=sys.stderr)
        ok = False
    finally:
        if not ok:
            for name in ("provider.log", "coffer.log"):
                path = os.path.join(WORLD.work, name)
                if os.path.exists(path):
                    print("---- %s (tail)\n%s" % (name, open(path, errors="replace").read()[-4000:]),
                          file=sys.stderr)
        WORLD.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
