#!/usr/bin/env python3
"""Open TLS connections that send nothing and wait for the server to
close them.

usage: idleconns.py COUNT TIMEOUT SOURCE...
Opens COUNT connections to 198.18.0.1:443, spread round-robin over the
SOURCE addresses, completes each TLS handshake, then sends nothing.
Prints "opened N" and "closed M" (connections the server closed within
TIMEOUT seconds) and exits 0 when every opened connection was closed.
"""
import selectors
import socket
import ssl
import sys
import time


def open_one(ctx, source):
    raw = socket.create_connection(('198.18.0.1', 443), timeout=10,
                                   source_address=(source, 0))
    conn = ctx.wrap_socket(raw, server_hostname='vpn.example.net')
    conn.setblocking(False)
    return conn


def wait_closed(conns, timeout):
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c, selectors.EVENT_READ)
    closed = 0
    deadline = time.monotonic() + timeout
    while closed < len(conns) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            try:
                data = key.fileobj.recv(4096)
            except ssl.SSLWantReadError:
                continue
            except OSError:
                data = b''
            if not data:
                sel.unregister(key.fileobj)
                closed += 1
    return closed


def main():
    count, timeout = int(sys.argv[1]), float(sys.argv[2])
    sources = sys.argv[3:]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conns = [open_one(ctx, sources[i % len(sources)]) for i in range(count)]
    print('opened', len(conns))
    closed = wait_closed(conns, timeout)
    print('closed', closed)
    return 0 if closed == len(conns) else 1


if __name__ == '__main__':
    sys.exit(main())
