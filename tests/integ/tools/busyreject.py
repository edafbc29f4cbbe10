#!/usr/bin/env python3
"""A client that sends a request while the server still owes the response
to its auth-reply, with the server's output held by a client that reads
nothing, so that the server's 400 "Connection: close" waits in its
queue while authd checks the password.

usage: busyreject.py HOST PATH USER PASSWORD AUTHD_PID

It stops authd (SIGSTOP) around the auth-reply and the second request,
so the check cannot finish before the 400, then lets it go on. Prints
the status lines that the connection carried and the number of webvpn
cookies among them. Exits 0 when no cookie came after the 400.
"""
import os
import re
import signal
import socket
import ssl
import sys
import time

from xmllogin import INIT, REPLY, request

PIPELINED = 200		# init requests whose responses the client leaves unread


def post(host, path, body):
    data = body.encode()
    return ('POST {} HTTP/1.1\r\nHost: {}\r\nX-Aggregate-Auth: 1\r\n'
            'X-Transcend-Version: 1\r\nContent-Type: application/xml\r\n'
            'Content-Length: {}\r\n\r\n').format(path, host,
                                                 len(data)).encode() + data


def connect_small(host):
    """Connect with a small receive buffer, so responses stay in headend."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    raw.settimeout(10)
    raw.connect(('198.18.0.1', 443))
    return ctx.wrap_socket(raw, server_hostname=host)


def read_all(conn, seconds):
    conn.settimeout(seconds)
    data = b''
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
    except (socket.timeout, ssl.SSLError, OSError):
        return data


def main():
    host, path, user, password, authd = sys.argv[1:6]
    conn = connect_small(host)
    _, body = request(conn, host, path,
                      INIT.format(host=host, path=path))
    opaque = re.search(r'<opaque.*?</opaque>', body, re.S).group(0)

    init = post(host, path, INIT.format(host=host, path=path))
    for _ in range(PIPELINED):
        conn.sendall(init)
        time.sleep(0.01)
    time.sleep(0.5)

    os.kill(int(authd), signal.SIGSTOP)
    try:
        conn.sendall(post(host, path, REPLY.format(
            opaque=opaque, user=user, password=password)))
        time.sleep(0.3)
        conn.sendall(('GET {} HTTP/1.1\r\nHost: {}\r\n\r\n').format(
            path, host).encode())
        time.sleep(0.3)
    finally:
        os.kill(int(authd), signal.SIGCONT)
    time.sleep(0.5)

    data = read_all(conn, 3)
    lines = re.findall(rb'HTTP/1\.1 [^\r\n]*', data)
    rejected = data.find(b'HTTP/1.1 400')
    after = data[rejected:] if rejected >= 0 else b''
    cookies = len(re.findall(rb'Set-Cookie: webvpn=[0-9a-f]', after))
    print('statuses: {} (last: {})'.format(
        len(lines), lines[-1].decode() if lines else 'none'))
    print('400 seen: {}; cookies after it: {}'.format(rejected >= 0,
                                                      cookies))
    return 0 if rejected >= 0 and cookies == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
