#!/usr/bin/env python3
"""A minimal AnyConnect XML login, for tests that need to control each
request: POST init to one path, then the auth-reply to another path, with
the opaque element echoed as received or altered.

usage: xmllogin.py HOST INIT_PATH REPLY_PATH USER PASSWORD [--forge-sig]
                   [--race N] [--source ADDRESS] [--init-only]
                   [--group-access URL] [--wait-file FILE]
                   [--group-select NAME] [--then-password PASSWORD]
Prints the HTTP status line of the reply and "cookie" when a webvpn
cookie was set. Exits 0 when the login completed with a cookie.

With --race N the same auth-reply goes out at once on N new connections.
It exits 0 when every connection got an HTTP answer within 10 seconds
and at most one of them got a cookie. --source binds the client side to
ADDRESS, to log in from one of several client addresses. With
--init-only it sends only the init request, leaves the login unfinished
and exits 0 when the server answered it with a login form.
--group-access sends URL as the group the user picked, in place of the
init request's own URL. With --wait-file FILE the auth-reply waits until
FILE exists and goes on a new connection, so that a test can change the
server between the two requests. --group-select adds NAME to the
auth-reply as the group the user picked from a list. --then-password
sends a second auth-reply with PASSWORD on the same connection, with
the opaque element of the form that the first one got back.
"""
import os
import re
import socket
import ssl
import sys
import threading
import time

INIT = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
        '<version who="vpn">test</version>'
        '<group-access>https://{host}{path}</group-access></config-auth>')
REPLY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<config-auth client="vpn" type="auth-reply" '
         'aggregate-auth-version="2">{opaque}<auth><username>{user}'
         '</username><password>{password}</password></auth></config-auth>')


def request(conn, host, path, body):
    data = body.encode()
    head = ('POST {} HTTP/1.1\r\nHost: {}\r\nX-Aggregate-Auth: 1\r\n'
            'X-Transcend-Version: 1\r\nContent-Type: application/xml\r\n'
            'Content-Length: {}\r\n\r\n').format(path, host, len(data))
    conn.sendall(head.encode() + data)
    data = b''
    while b'\r\n\r\n' not in data:
        data += conn.recv(4096)
    head, _, rest = data.partition(b'\r\n\r\n')
    length = int(re.search(rb'Content-Length: (\d+)', head).group(1))
    while len(rest) < length:
        rest += conn.recv(4096)
    return head.decode(), rest.decode()


SOURCE = None


def connect(host, address=None):
    """Connect from address, or from SOURCE when it is None."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    address = address or SOURCE
    source = (address, 0) if address else None
    raw = socket.create_connection(('198.18.0.1', 443), timeout=10,
                                   source_address=source)
    return ctx.wrap_socket(raw, server_hostname=host)


def race(host, path, body, count):
    """Send one auth-reply on count connections at once."""
    conns = [connect(host) for _ in range(count)]
    results = [None] * count

    def send(i):
        try:
            results[i] = request(conns[i], host, path, body)
        except (OSError, AttributeError) as err:
            results[i] = ('no answer: {}'.format(err), '')

    threads = [threading.Thread(target=send, args=(i,))
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cookies = 0
    for head, _ in results:
        print(head.splitlines()[0] if head else 'no answer')
        cookies += 'Set-Cookie: webvpn=' in head
    answered = all(h.startswith('HTTP/1.1 ') for h, _ in results)
    return 0 if answered and cookies <= 1 else 1


def main():
    global SOURCE
    host, init_path, reply_path, user, password = sys.argv[1:6]
    if '--source' in sys.argv[6:]:
        SOURCE = sys.argv[sys.argv.index('--source') + 1]
    forge = '--forge-sig' in sys.argv[6:]
    conn = connect(host)
    init = INIT.format(host=host, path=init_path)
    if '--group-access' in sys.argv[6:]:
        url = sys.argv[sys.argv.index('--group-access') + 1]
        init = re.sub(r'<group-access>.*</group-access>',
                      '<group-access>' + url + '</group-access>', init)
    head, body = request(conn, host, init_path, init)
    found = re.search(r'<opaque.*?</opaque>', body, re.S)
    if found is None:
        print(head.splitlines()[0])
        print(body)
        return 1
    opaque = found.group(0)
    if '--init-only' in sys.argv[6:]:
        print(head.splitlines()[0])
        return 0
    if '--wait-file' in sys.argv[6:]:
        flag = sys.argv[sys.argv.index('--wait-file') + 1]
        while not os.path.exists(flag):
            time.sleep(0.05)
        conn.close()
        conn = connect(host)
    if forge:
        sig = re.search(r'<auth-sig>([0-9a-f]*)</auth-sig>', opaque).group(1)
        forged = ''.join('1' if c == '0' else '0' for c in sig)
        opaque = opaque.replace(sig, forged)
    reply = REPLY.format(opaque=opaque, user=user, password=password)
    if '--group-select' in sys.argv[6:]:
        name = sys.argv[sys.argv.index('--group-select') + 1]
        reply = reply.replace('</config-auth>', '<group-select>' + name +
                              '</group-select></config-auth>')
    if '--race' in sys.argv[6:]:
        count = int(sys.argv[sys.argv.index('--race') + 1])
        return race(host, reply_path, reply, count)
    head, body = request(conn, host, reply_path, reply)
    print(head.splitlines()[0])
    if '--then-password' in sys.argv[6:]:
        second = sys.argv[sys.argv.index('--then-password') + 1]
        found = re.search(r'<opaque.*?</opaque>', body, re.S)
        if found is None:
            print(body)
            return 1
        reply = REPLY.format(opaque=found.group(0), user=user,
                             password=second)
        head, body = request(conn, host, reply_path, reply)
        print(head.splitlines()[0])
    ok = 'Set-Cookie: webvpn=' in head and 'type="complete"' in body
    if ok:
        print('cookie')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
