"""Starting and stopping a `coffer serve` process from a Python e2e suite:
wait until /health/ready answers 200 over HTTPS, and stop it (TERM, then
KILL). Shared by the LDAP suites."""

import ssl
import subprocess
import time
import urllib.error
import urllib.request


def wait_ready(proc, endpoint, cafile, seconds):
    """True once `endpoint`/health/ready answers 200; False when `proc` exits
    or `seconds` pass first."""
    ctx = ssl.create_default_context(cafile=cafile)
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(endpoint + "/health/ready", context=ctx, timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def stop(proc):
    """Stops `proc` (SIGTERM, then SIGKILL after 10 s). None is fine."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
