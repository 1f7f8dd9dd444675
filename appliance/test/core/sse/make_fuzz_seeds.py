#!/usr/bin/env python3
"""Writes the SSE fuzz seed corpora from an independent implementation of the
package format and the metadata record (appliance/include/coffer/core/sse/
format.h, metadata.h), with Python's `cryptography`:

  fixtures/fuzz/sse-package/   valid streams under the key bytes 0..31
  fixtures/fuzz/sse-metadata/  valid records of each mode

The unit test SseVectors.PythonStreamsDecrypt decrypts the package seeds, so
the C++ code and this second implementation of the format must agree.
Run: /usr/bin/python3 appliance/test/core/sse/make_fuzz_seeds.py (from the repo root).
"""
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

PKG = 64 * 1024
KEY = bytes(range(32))
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "fuzz")


def stream_key(object_key, part):
    info = b"coffer-sse-v1 stream" + struct.pack(">I", part) + b"\x01"
    return hmac.new(object_key, info, hashlib.sha256).digest()


def pattern(n, seed):
    out = bytearray(n)
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out)


def encrypt(plaintext, algorithm, part, stream_id, object_key=KEY):
    aead = (AESGCM if algorithm == 1 else ChaCha20Poly1305)(stream_key(object_key, part))
    chunks = [plaintext[i:i + PKG] for i in range(0, len(plaintext), PKG)] or [b""]
    out = b""
    for seq, chunk in enumerate(chunks):
        final = 1 if seq == len(chunks) - 1 else 0
        header = bytes([1, algorithm, final, 0]) + struct.pack("<I", len(chunk)) + stream_id
        nonce = stream_id + struct.pack(">I", seq)
        out += header + aead.encrypt(nonce, chunk, header)
    return out


def record(mode, algorithm, key_name=b"", data_key=b"", sealed=b"\x00" * 60, salt=b"", mac=b"",
           context=b"", etag=b"", size=None):
    out = b"sse" + bytes([1, mode, algorithm, 1 if size is not None else 0])
    for field in (key_name, data_key, sealed, salt, mac, context, etag):
        out += struct.pack("<H", len(field)) + field
    if size is not None:
        out += struct.pack("<Q", size)
    return out


def main():
    # name -> (plaintext size, pattern seed, algorithm, part number)
    streams = {
        "aes-empty": (0, 1, 1, 0),
        "aes-short": (100, 2, 1, 0),
        "aes-2pkg": (PKG + 10, 3, 1, 0),
        "chacha-short": (77, 4, 2, 0),
        "aes-part1": (1000, 5, 1, 1),
    }
    for name, (size, seed, algorithm, part) in streams.items():
        data = encrypt(pattern(size, seed), algorithm, part, bytes([seed] * 8))
        with open(os.path.join(ROOT, "sse-package", name + ".bin"), "wb") as f:
            f.write(data)
    records = {
        "sse-s3": record(1, 1, b"coffer-sse-s3", b"FK\x01" + b"d" * 60),
        "sse-kms": record(2, 2, b"tenant-key", b"x" * 40, context=b'{"a":"b"}', etag=b"e" * 32,
                          size=12345),
        "sse-c": record(3, 1, salt=b"s" * 16, mac=b"m" * 32),
    }
    for name, data in records.items():
        with open(os.path.join(ROOT, "sse-metadata", name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
