#!/usr/bin/python3
"""Renders the client compatibility matrix from the drivers' result files and
compares it with the expected matrix (conformance/matrix/expected.md).

A result file is <proto>.<client>.tsv with lines "feature<TAB>status<TAB>note",
status pass | FAIL | n/a (note: a reason id from NOTES). Exit 1 when a cell
expected "pass" is not "pass" now (a missing cell counts as FAIL)."""
import argparse
import os
import re
import sys

CLIENTS = ["awscli", "boto3", "s3cmd", "rclone", "jsv3", "minio"]
CLIENT_NAMES = {
    "awscli": "aws CLI 2 (Debian)",
    "boto3": "boto3 (Debian)",
    "s3cmd": "s3cmd (Debian)",
    "rclone": "rclone (Debian)",
    "jsv3": "AWS SDK JS v3",
    "minio": "minio-js",
}
FEATURES = ["bucket", "object", "list", "multipart", "presign", "sse-s3", "sse-kms", "sse-c",
            "sts", "denied"]
LEGEND = {
    "bucket": "create a bucket, see it, delete it, see it gone",
    "object": "PUT, HEAD (size), GET (same bytes), DELETE, HEAD answers not found",
    "list": "list with prefix `list/` and delimiter `/`: common prefixes a/, b/ and the key c",
    "multipart": "an 11 MiB upload in 5 MiB parts (ETag ends in -3), read back whole",
    "presign": "the client's presigned GET URL, fetched with curl",
    "sse-s3": "PUT with SSE-S3, stored as AES256 (HEAD), read back",
    "sse-kms": "PUT with SSE-KMS and a named key, stored as aws:kms, read back",
    "sse-c": "PUT with a customer key, GET without it refused (400), GET with it",
    "sts": "AssumeRole, then a GET with the temporary credentials",
    "denied": "PUT under denied/ (an explicit Deny in the user's policy): the client reports "
              "AccessDenied",
}
NOTES = {
    "plain-http-ssec": "Coffer, like S3, refuses customer keys (SSE-C) over plain HTTP; "
                       "the HTTPS table covers SSE-C.",
    "plain-http-sts": "Coffer serves STS only over HTTPS (a request over plain HTTP is refused); "
                      "the HTTPS table covers STS.",
    "s3cmd-sigv2-presign": "s3cmd 2.3 `signurl` makes Signature V2 URLs only; Coffer accepts "
                           "Signature V4 only (by design: V2 is refused with InvalidRequest).",
    "s3cmd-no-ssec": "s3cmd 2.3 has no option for customer-provided keys (SSE-C).",
    "raw-sts": "The client has no AssumeRole call: the credentials come from a raw signed "
               "AssumeRole POST (curl --aws-sigv4); the cell checks the client's GET with "
               "the session token.",
}
# Cells whose pass needs a word of explanation.
PASS_NOTES = {("s3cmd", "sts"): "raw-sts", ("rclone", "sts"): "raw-sts"}


def load_results(folder):
    cells = {}
    for name in os.listdir(folder):
        m = re.fullmatch(r"(https?)\.(\w+)\.tsv", name)
        if not m:
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    cells[(m.group(1), m.group(2), parts[0])] = (
                        parts[1], parts[2] if len(parts) > 2 else "")
    return cells


def render(cells, protos, clients):
    notes = []  # ordered ids

    def ref(note_id):
        if note_id not in notes:
            notes.append(note_id)
        return "[^%d]" % (notes.index(note_id) + 1)

    out = ["# Client compatibility matrix", "",
           "Real, unmodified clients against `coffer serve` on 127.0.0.1 "
           "(`conformance/matrix/run`). pass / FAIL / n/a per client and feature.", ""]
    for proto in protos:
        out.append("## " + proto.upper())
        out.append("")
        out.append("| client | " + " | ".join(FEATURES) + " |")
        out.append("|---|" + "---|" * len(FEATURES))
        for client in clients:
            row = []
            for feature in FEATURES:
                status, note = cells.get((proto, client, feature), ("FAIL", "not run"))
                text = status
                if status == "n/a":
                    text += ref(note if note in NOTES else "unknown")
                elif status == "pass" and (client, feature) in PASS_NOTES:
                    text += ref(PASS_NOTES[(client, feature)])
                row.append(text)
            out.append("| %s | %s |" % (CLIENT_NAMES[client], " | ".join(row)))
        out.append("")
    out.append("Features:")
    out.append("")
    for feature in FEATURES:
        out.append("- **%s**: %s" % (feature, LEGEND[feature]))
    out.append("")
    for i, note_id in enumerate(notes):
        out.append("[^%d]: %s" % (i + 1, NOTES.get(note_id, note_id)))
    return "\n".join(out) + "\n"


def parse_matrix(text):
    """{(proto, client_name, feature): status} from a rendered matrix."""
    cells = {}
    proto = None
    header = None
    for line in text.splitlines():
        m = re.match(r"## (HTTPS?)\s*$", line)
        if m:
            proto, header = m.group(1).lower(), None
            continue
        if proto is None or not line.startswith("|"):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if cols[0] == "client":
            header = cols[1:]
            continue
        if header is None or set(cols[0]) <= set("-: "):
            continue
        for feature, cell in zip(header, cols[1:]):
            cells[(proto, cols[0], feature)] = re.sub(r"\[\^\d+\]", "", cell).strip()
    return cells


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--protos", default="http https")
    ap.add_argument("--clients", default=" ".join(CLIENTS))
    args = ap.parse_args()
    protos = args.protos.split()
    clients = [c for c in CLIENTS if c in args.clients.split()]
    text = render(load_results(args.results), protos, clients)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    print("matrix written to %s" % args.out)
    if not os.path.exists(args.expected):
        print("no expected matrix at %s: nothing to compare" % args.expected)
        return 0
    with open(args.expected, encoding="utf-8") as f:
        want = parse_matrix(f.read())
    got = parse_matrix(text)
    regressions, improvements = [], []
    for key, status in sorted(got.items()):
        before = want.get(key)
        if before == "pass" and status != "pass":
            regressions.append((key, before, status))
        elif before is not None and before != "pass" and status == "pass":
            improvements.append((key, before, status))
    for key, status in sorted(want.items()):
        if status == "pass" and key[0] in protos and key not in got and any(
                CLIENT_NAMES[c] == key[1] for c in clients):
            regressions.append((key, status, "missing"))
    for (proto, client, feature), before, now in improvements:
        print("NEWLY PASSING: %s %s %s (expected %s): update expected.md" %
              (proto, client, feature, before))
    for (proto, client, feature), before, now in regressions:
        print("REGRESSION: %s %s %s: expected %s, got %s" % (proto, client, feature, before, now))
    if regressions:
        print("matrix: %d regression(s)" % len(regressions))
        return 1
    print("matrix: no regression (%d cells compared)" % len(got))
    return 0


if __name__ == "__main__":
    sys.exit(main())
