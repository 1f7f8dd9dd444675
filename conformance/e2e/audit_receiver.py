#!/usr/bin/python3
"""A webhook audit receiver for the audit e2e tests: HTTP/1.1 keep-alive,
records every POSTed body line (one audit entry each) to RECORD as a JSON
object {"auth": <Authorization header>, "key": <Idempotency-Key>, "entry": <line>,
"client": <client certificate subject CN, over mTLS>}, fsynced before
answering 200, so what the receiver acknowledged is on disk.

usage: audit_receiver.py PORT RECORD [--status CODE] [--tls CERT KEY] [--client-ca CA]

--tls serves HTTPS with CERT/KEY; --client-ca also requires a client
certificate issued by CA (mTLS); a handshake without one fails.
"""
import argparse
import http.server
import json
import os
import ssl
import threading

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("record")
parser.add_argument("--status", type=int, default=200)
parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--client-ca")
args = parser.parse_args()
LOCK = threading.Lock()


def client_cn(connection):
    try:
        cert = connection.getpeercert()
    except (AttributeError, ValueError):
        return ""
    for rdn in (cert or {}).get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return value
    return ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()  # Raises (connection dropped) on a refused one.
        super().setup()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        if args.status == 200:
            with LOCK:
                with open(args.record, "a", encoding="utf-8") as out:
                    for line in body.splitlines():
                        if line.strip():
                            out.write(json.dumps({
                                "auth": self.headers.get("Authorization", ""),
                                "key": self.headers.get("Idempotency-Key", ""),
                                "client": client_cn(self.connection),
                                "entry": line,
                            }) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
        self.send_response(args.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # Refused handshakes are expected in the TLS tests.


server = Server(("127.0.0.1", args.port), Handler)
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)
    # The handshake runs in the handler's thread, on its first read, so a
    # client that fails it does not stall the accept loop.
    server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                    do_handshake_on_connect=False)
print("ready", flush=True)
server.serve_forever()
