#!/usr/bin/python3
"""A webhook audit receiver for the audit e2e tests: HTTP/1.1 keep-alive,
records every POSTed body line (one audit entry each) to RECORD as a JSON
object {"auth": <Authorization header>, "key": <Idempotency-Key>, "entry": <line>},
fsynced before answering 200, so what the receiver acknowledged is on disk.

usage: audit_receiver.py PORT RECORD [--status CODE]
"""
import http.server
import json
import os
import sys
import threading

PORT = int(sys.argv[1])
RECORD = sys.argv[2]
STATUS = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--status" else 200
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        if STATUS == 200:
            with LOCK:
                with open(RECORD, "a", encoding="utf-8") as out:
                    for line in body.splitlines():
                        if line.strip():
                            out.write(json.dumps({
                                "auth": self.headers.get("Authorization", ""),
                                "key": self.headers.get("Idempotency-Key", ""),
                                "entry": line,
                            }) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
        self.send_response(STATUS)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
