#!/usr/bin/env python3
"""A small AnyConnect-style client for the session lifecycle tests: an XML
login that prints the webvpn cookie, an XML logout, and a CSTP tunnel
that can send DISCONNECT with a chosen reason and watch for the server's
TERMINATE. It always connects to the headend at 198.18.0.1:443.

usage: cstpclient.py login HOST PATH USER PASSWORD
       cstpclient.py logout HOST PATH COOKIE
       cstpclient.py connect HOST COOKIE [--disconnect REASON]
                     [--hold SECONDS] [--flood SECONDS DEST]
                     [--dpd-flood SECONDS] [--ipv6]

login prints "cookie=TOKEN" and exits 0 when a cookie was set, or
prints the reply's status line and a message and exits 1.
connect prints the CONNECT status line, "address=A" and each X-CSTP-
header as "header: Name: value". --disconnect sends DISCONNECT with the
reason byte REASON (hex, e.g. 91 or b0) and waits for the server to
close, printing "closed". --hold replies to DPD for SECONDS or until the
server ends the tunnel, printing "terminate" for a TERMINATE frame,
"closed" when the connection ends, or "held" when the time ran out.
--flood sends 1300-byte UDP packets to the IPv4 address DEST, port 9,
as fast as TLS takes them for SECONDS, then prints "flooded N" with the
number of packets. --dpd-flood sends DPD requests of 16,000 bytes for
SECONDS without reading the replies, from a socket with a small receive
buffer, then prints "dpd-flooded N". --ipv6 sends one IPv6 packet, then
keeps the tunnel open for a second.
Exits 0, or 1 when CONNECT did not get 200.
"""
import re
import socket
import ssl
import struct
import sys
import time

HEADEND = ('198.18.0.1', 443)
INIT = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
        '<version who="vpn">test</version>'
        '<group-access>https://{host}{path}</group-access></config-auth>')
REPLY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<config-auth client="vpn" type="auth-reply" '
         'aggregate-auth-version="2">{opaque}<auth><username>{user}'
         '</username><password>{password}</password></auth></config-auth>')
LOGOUT = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<config-auth client="vpn" type="logout" '
          'aggregate-auth-version="2"><session-token>{cookie}'
          '</session-token></config-auth>')

CSTP_DPD_REQ = 0x03
CSTP_DPD_RESP = 0x04
CSTP_DISCONNECT = 0x05
CSTP_TERMINATE = 0x09


def connect(host, rcvbuf=0):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(10)
    raw.connect(HEADEND)
    return ctx.wrap_socket(raw, server_hostname=host)


def read_head(conn):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    return head.decode(errors='replace'), rest


def post(conn, host, path, body):
    head = ('POST {} HTTP/1.1\r\nHost: {}\r\nX-Aggregate-Auth: 1\r\n'
            'X-Transcend-Version: 1\r\nContent-Type: application/xml\r\n'
            'Content-Length: {}\r\n\r\n').format(path, host, len(body))
    conn.sendall(head.encode() + body.encode())
    head, rest = read_head(conn)
    found = re.search(r'Content-Length: (\d+)', head)
    length = int(found.group(1)) if found else 0
    while len(rest) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        rest += chunk
    return head, rest.decode(errors='replace')


def login(host, path, user, password):
    conn = connect(host)
    head, body = post(conn, host, path, INIT.format(host=host, path=path))
    found = re.search(r'<opaque.*?</opaque>', body, re.S)
    if found is None:
        print(head.splitlines()[0] if head else 'no answer')
        return 1
    reply = REPLY.format(opaque=found.group(0), user=user,
                         password=password)
    head, body = post(conn, host, path, reply)
    cookie = re.search(r'Set-Cookie: webvpn=([0-9a-f]+)', head)
    if cookie is None:
        print(head.splitlines()[0] if head else 'no answer')
        message = re.search(r'<error[^>]*>(.*?)</error>', body, re.S)
        if message:
            print('message: ' + message.group(1))
        return 1
    print('cookie=' + cookie.group(1))
    return 0


def logout(host, path, cookie):
    head, _ = post(connect(host), host, path, LOGOUT.format(cookie=cookie))
    print(head.splitlines()[0] if head else 'no answer')
    return 0 if head.startswith('HTTP/1.1 200') else 1


def frame(kind, payload=b''):
    return b'STF\x01' + struct.pack('>H', len(payload)) + \
        bytes([kind, 0]) + payload


class Frames:
    """Split the CSTP byte stream into (type, payload) frames."""

    def __init__(self, conn, data):
        self.conn = conn
        self.data = data

    def next(self, deadline):
        while len(self.data) < 8 or \
                len(self.data) < 8 + struct.unpack('>H', self.data[4:6])[0]:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.conn.settimeout(left)
            try:
                chunk = self.conn.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                chunk = b''
            if not chunk:
                raise EOFError
            self.data += chunk
        length = struct.unpack('>H', self.data[4:6])[0]
        kind, payload = self.data[6], self.data[8:8 + length]
        self.data = self.data[8 + length:]
        return kind, payload


def hold(conn, frames, seconds):
    deadline = time.monotonic() + seconds
    try:
        while True:
            got = frames.next(deadline)
            if got is None:
                print('held')
                return
            kind, payload = got
            if kind == CSTP_TERMINATE:
                print('terminate')
                return
            if kind == CSTP_DPD_REQ:
                conn.sendall(frame(CSTP_DPD_RESP, payload))
    except EOFError:
        print('closed')


def checksum(data):
    total = sum(struct.unpack('!{}H'.format(len(data) // 2), data))
    while total > 0xffff:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def udp_packet(src, dst, size):
    """An IPv4/UDP packet of size bytes from src to dst port 9."""
    payload = b'x' * (size - 28)
    udp = struct.pack('!HHHH', 9, 9, 8 + len(payload), 0) + payload
    head = struct.pack('!BBHHHBBH4s4s', 0x45, 0, size, 0, 0, 64, 17, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))
    head = head[:10] + struct.pack('!H', checksum(head)) + head[12:]
    return head + udp


def flood(conn, address, dest, seconds):
    burst = frame(0, udp_packet(address, dest, 1300)) * 48
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        conn.sendall(burst)
        sent += 48
    print('flooded {}'.format(sent))


def dpd_flood(conn, seconds):
    burst = frame(CSTP_DPD_REQ, bytes(16000)) * 4
    deadline = time.monotonic() + seconds
    sent = 0
    conn.settimeout(1)
    while time.monotonic() < deadline:
        try:
            conn.sendall(burst)
            sent += 4
        except socket.timeout:
            pass
    print('dpd-flooded {}'.format(sent))


def tunnel(host, cookie, args):
    conn = connect(host, 4096 if '--dpd-flood' in args else 0)
    request = ('CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: {}\r\n'
               'User-Agent: Open AnyConnect VPN Agent v9.01\r\n'
               'Cookie: webvpn={}\r\nX-CSTP-Version: 1\r\n'
               'X-CSTP-Hostname: test\r\nX-CSTP-MTU: 1300\r\n'
               'X-CSTP-Address-Type: IPv4\r\n\r\n').format(host, cookie)
    conn.sendall(request.encode())
    head, rest = read_head(conn)
    lines = head.splitlines()
    print(lines[0] if lines else 'no answer')
    if not head.startswith('HTTP/1.1 200'):
        return 1
    for line in lines[1:]:
        if line.startswith('X-CSTP-Address:'):
            print('address=' + line.split(':', 1)[1].strip())
        if line.startswith('X-CSTP-'):
            print('header: ' + line)
    sys.stdout.flush()
    frames = Frames(conn, rest)
    address = [line.split(':', 1)[1].strip() for line in lines
               if line.startswith('X-CSTP-Address:')]
    if '--ipv6' in args:
        # An IPv6 header, as clients send for their own link: the
        # headend carries IPv4 only.
        conn.sendall(frame(0, bytes([0x60]) + bytes(7) + bytes(32)))
        hold(conn, frames, 1)
    elif '--dpd-flood' in args:
        dpd_flood(conn, float(args[args.index('--dpd-flood') + 1]))
    elif '--flood' in args and address:
        at = args.index('--flood')
        flood(conn, address[0], args[at + 2], float(args[at + 1]))
    elif '--disconnect' in args:
        reason = int(args[args.index('--disconnect') + 1], 16)
        conn.sendall(frame(CSTP_DISCONNECT, bytes([reason]) + b'test'))
        hold(conn, frames, 5)
    elif '--hold' in args:
        hold(conn, frames, float(args[args.index('--hold') + 1]))
    return 0


def main():
    command = sys.argv[1]
    if command == 'login':
        return login(*sys.argv[2:6])
    if command == 'logout':
        return logout(*sys.argv[2:5])
    return tunnel(sys.argv[2], sys.argv[3], sys.argv[4:])


if __name__ == '__main__':
    sys.exit(main())
