#!/usr/bin/env python3
"""A client that sends a request while the server still owes the response
to its auth-reply. The client reads nothing, so the server's output
stays queued, and its 400 "Connection: close" waits in that queue while
authd checks the password.

usage: busyreject.py HOST PATH USER PASSWORD AUTHD_PID HEADEND_NETNS

It stops authd (SIGSTOP) around the auth-reply and the second request,
so the check cannot finish before the 400, then lets it go on. Prints
whether headend still held the connection when authd went on: its
socket in HEADEND_NETNS was still established, not closed behind the
queued bytes (else the case did not arise, and the run proves nothing).
Then prints the status lines that the connection carried and the number
of webvpn cookies among them. Exits 0 when the case arose and no cookie
came after the 400, 1 when a cookie came, and 3 when the case did not
arise.
"""
import os
import re
import signal
import socket
import ssl
import subprocess
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


def server_holds(netns, conn):
    """Return whether headend's socket for conn is still established."""
    port = conn.getsockname()[1]
    out = subprocess.run(
        ['ip', 'netns', 'exec', netns, 'ss', '-Htn', 'state', 'established',
         '( sport = :443 and dport = :{} )'.format(port)],
        capture_output=True, text=True, check=False).stdout
    return out.strip() != ''


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
    host, path, user, password, authd, netns = sys.argv[1:7]
    still_open = False
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
        still_open = server_holds(netns, conn)
    finally:
        os.kill(int(authd), signal.SIGCONT)
    time.sleep(0.5)
    print('connection held while authd checked: {}'.format(still_open))

    data = read_all(conn, 3)
    lines = re.findall(rb'HTTP/1\.1 [^\r\n]*', data)
    rejected = data.find(b'HTTP/1.1 400')
    after = data[rejected:] if rejected >= 0 else b''
    cookies = len(re.findall(rb'Set-Cookie: webvpn=[0-9a-f]', after))
    print('statuses: {} (last: {})'.format(
        len(lines), lines[-1].decode() if lines else 'none'))
    print('400 seen: {}; cookies after it: {}'.format(rejected >= 0,
                                                      cookies))
    if cookies > 0:
        return 1
    return 0 if still_open and rejected >= 0 else 3


if __name__ == '__main__':
    sys.exit(main())
