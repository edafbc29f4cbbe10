#!/usr/bin/env python3
"""Send or receive a stream of bytes over TCP and print its SHA-256.

    bulktcp.py recv ADDR PORT OUTFILE   accept one connection, read to EOF
    bulktcp.py send ADDR PORT MBYTES    connect, send MBYTES of data

The data is a deterministic pseudo-random stream, so a test can compare
the digests of both ends. The receiver writes "BYTES DIGEST" to OUTFILE
once the sender has closed the connection.
"""
import hashlib
import os
import random
import socket
import sys

CHUNK = 65536


def receive(addr, port, outfile):
    with socket.create_server((addr, port)) as server:
        conn, _ = server.accept()
        digest = hashlib.sha256()
        total = 0
        with conn:
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                digest.update(data)
                total += len(data)
    with open(outfile + ".tmp", "w") as f:
        f.write("%d %s\n" % (total, digest.hexdigest()))
    # Rename so that a reader never sees half a line.
    os.rename(outfile + ".tmp", outfile)


def send(addr, port, mbytes):
    rng = random.Random(42)
    digest = hashlib.sha256()
    total = 0
    with socket.create_connection((addr, port), timeout=60) as conn:
        for _ in range(mbytes * 16):
            data = rng.randbytes(CHUNK)
            conn.sendall(data)
            digest.update(data)
            total += len(data)
    print("%d %s" % (total, digest.hexdigest()))


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "recv":
        receive(addr, port, sys.argv[4])
    elif mode == "send":
        send(addr, port, int(sys.argv[4]))
    else:
        sys.exit("usage: bulktcp.py recv|send ADDR PORT ARG")


if __name__ == "__main__":
    main()
