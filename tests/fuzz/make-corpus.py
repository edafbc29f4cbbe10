#!/usr/bin/env python3
"""Write the seed corpora in tests/fuzz/corpus/<target>/.

The seeds are small valid inputs in the framing each target expects: the
requests openconnect 9.01 and Cisco IP phones send, form bodies, XML auth
documents, CSTP frames, legacy DTLS ClientHellos, configurations and IPC
messages. Run it again after changing a target's input layout; the files
are committed, so a normal build does not need it.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def crlf(text):
    return text.replace("\n", "\r\n")


def http_request(head, body=""):
    """A request head (LF line ends) with Content-Length set from body."""
    if body:
        head += "Content-Length: %d\n" % len(body.encode())
    return crlf(head + "\n") + body


XML_INIT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
    '<version who="vpn">v9.01-3</version><device-id>linux-64</device-id>'
    '<capabilities><auth-method>single-sign-on-v2</auth-method>'
    '</capabilities>'
    '<group-access>https://vpn.example.net/staff</group-access>'
    '</config-auth>')

XML_REPLY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<config-auth client="vpn" type="auth-reply" '
    'aggregate-auth-version="2">'
    '<version who="vpn">v9.01-3</version><device-id>linux-64</device-id>'
    '<opaque is-for="sg"><tunnel-group>staff</tunnel-group>'
    '<aggauth-handle>8f3e1c02</aggauth-handle>'
    '<auth-sig>0123456789abcdef</auth-sig></opaque>'
    '<auth><username>alice</username><password>s&amp;cret</password>'
    '</auth><group-select>staff</group-select></config-auth>')

XML_LOGOUT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<config-auth client="vpn" type="logout">'
    '<session-token>Zk9xR2TOKEN</session-token></config-auth>')

OC_HEADERS = (
    "Host: vpn.example.net\n"
    "User-Agent: Open AnyConnect VPN Agent v9.01-3\n"
    "Accept: */*\n"
    "Accept-Encoding: identity\n"
    "X-Transcend-Version: 1\n")

PHONE_UA = "User-Agent: Cisco SVC IPPhone Client v1.0 (1.0)\n"


def http_seeds():
    xml_post = http_request(
        "POST /staff HTTP/1.1\n" + OC_HEADERS +
        "X-Aggregate-Auth: 1\nX-Support-HTTP-Auth: true\n"
        "X-Pad: 0000000\n"
        "Content-Type: application/xml; charset=utf-8\n", XML_INIT)
    connect = http_request(
        "CONNECT /CSCOSSLC/tunnel HTTP/1.1\n" + OC_HEADERS +
        "Cookie: webvpn=TOKENVALUE0123456789\n"
        "X-CSTP-Version: 1\nX-CSTP-Hostname: vm\n"
        "X-CSTP-Base-MTU: 1500\nX-CSTP-MTU: 1390\n"
        "X-CSTP-Address-Type: IPv6,IPv4\n"
        "X-DTLS-Master-Secret: " + "ab" * 48 + "\n"
        "X-DTLS-CipherSuite: AES256-SHA:AES128-SHA\n")

    phone_get = http_request("GET /phones HTTP/1.1\nHost: vpn.example.net\n"
                             + PHONE_UA)
    phone_post = http_request(
        "POST /phones HTTP/1.1\nHost: vpn.example.net\n" + PHONE_UA +
        "Content-Type: application/x-www-form-urlencoded\n",
        "username=user01&password=secret")
    legacy = http_request(
        "POST /+webvpn+/index.html HTTP/1.1\n" + OC_HEADERS +
        "Cookie: webvpncontext=abc; webvpnlogin=1\n"
        "Content-Type: application/x-www-form-urlencoded\n",
        "username=alice&password=secret&tgroup=")

    # The first byte of each seed picks the limits and the piece size.
    write("http", "xml-init", b"\x00" + xml_post.encode())
    write("http", "connect", b"\x05" + connect.encode())
    write("http", "phone-get", b"\x0f" + phone_get.encode())
    write("http", "phone-post", b"\x02" + phone_post.encode())
    write("http", "legacy-form", b"\x09" + legacy.encode())
    write("http", "pipelined", b"\x03" + (phone_get + phone_post).encode())
    write("http", "small-limits", b"\x81" + phone_get.encode())


def cookie_seeds():
    write("cookie", "webvpn", b"\x20webvpn\nwebvpn=TOKENVALUE0123456789")
    write("cookie", "several", b"\x3fwebvpnlogin\n"
          b"webvpncontext=abc; webvpnlogin=1; webvpn=\"quoted\"")
    write("cookie", "too-long", b"\x04webvpn\na=1;webvpn=longer-than-four")


def form_seeds():
    write("form", "phone", "username=user01&password=secret")
    write("form", "legacy", "username=alice&password=s%40cret+x&tgroup=")
    write("form", "group", "group%5flist=staff&username=a&password=b")


def xmlauth_seeds():
    write("xmlauth", "init", XML_INIT)
    write("xmlauth", "auth-reply", XML_REPLY)
    write("xmlauth", "logout", XML_LOGOUT)


def cstp_frame(kind, payload=b""):
    return b"STF\x01" + struct.pack(">HBB", len(payload), kind, 0) + payload


def cstp_seeds():
    ping = bytes.fromhex("4500001c00004000400100000a0000010a000002"
                         "0800f7ff00000000")
    write("cstp", "data", cstp_frame(0x00, ping))
    write("cstp", "dpd", cstp_frame(0x03) + cstp_frame(0x04))
    write("cstp", "keepalive", cstp_frame(0x07))
    write("cstp", "disconnect", cstp_frame(0x05, b"\xb0"))


SESSION_ID = bytes(range(32))


def dtls_client_hello(session_id=SESSION_ID):
    """A version 0x0100 ClientHello offering AES256-SHA and AES128-SHA."""
    body = (b"\x01\x00" + b"\xa5" * 32 + bytes([len(session_id)]) +
            session_id + b"\x00" + b"\x00\x04\x00\x35\x00\x2f" + b"\x01\x00")
    n = len(body)
    handshake = (b"\x01" + n.to_bytes(3, "big") + b"\x00\x00" +
                 b"\x00\x00\x00" + n.to_bytes(3, "big") + body)
    return (b"\x16\x01\x00" + b"\x00\x00" + b"\x00" * 6 +
            struct.pack(">H", len(handshake)) + handshake)


def dtls_chunk(kind, data):
    return bytes([kind]) + struct.pack(">H", len(data)) + data


def dtls_seeds():
    hello = dtls_client_hello()
    write("dtls_peek", "client-hello", hello)
    write("dtls_peek", "other-session", dtls_client_hello(b"\xff" * 32))
    # Raw ClientHello, then its retransmission.
    write("dtls_legacy", "raw-hello",
          b"\x00" + dtls_chunk(0, hello) + dtls_chunk(0, hello))
    # Handshake by the harness, then sealed records: application data
    # (kind 1), a replay of it (distance 1), a close_notify alert (kind 3).
    packet = bytes.fromhex("4500001c00004000400100000a0000010a000002"
                           "0800f7ff00000000")
    write("dtls_legacy", "sealed-data",
          b"\x02" + dtls_chunk(1, packet) + dtls_chunk(1 | 1 << 3, packet) +
          dtls_chunk(3, b"\x01\x00"))
    write("dtls_legacy", "sealed-aes256",
          b"\x03" + dtls_chunk(1, packet) + dtls_chunk(0, hello))


def config_seeds():
    with open(os.path.join(TOP, "etc", "headend.conf"), "rb") as f:
        write("config", "default", f.read())
    write("config", "test", '''user = "headend";
status-socket = "/run/headend/status.sock";
listeners = ( { certificate = "server.crt"; key = "server.key"; } );
tun = { name = "headend0"; address = "198.19.255.1"; };
pools = ( { name = "staff"; network = "198.19.0.0/24"; } );
group-policies = ( { name = "all"; dns = [ "198.19.255.1" ]; } );
tunnel-groups = ( { name = "staff";
	group-urls = [ "https://vpn.example.net/staff" ];
	authentication = "password"; user-file = "users";
	pool = "staff"; group-policy = "all"; } );
''')
    # Rejected before libconfig opens it: a device that never ends.
    write("config", "include", '# groups\n  @include "/dev/zero"\n')


def cstring(text, size):
    data = text.encode()
    return data + b"\x00" * (size - len(data))


def ipc_seeds():
    request = (struct.pack("<III", 1, 460, 7) + cstring("staff", 64) +
               cstring("alice", 128) + cstring("alice-secret", 256))
    reply = (struct.pack("<IIII", 2, 272, 7, 1) +
             cstring("wrong username or password", 256))
    write("ipc", "auth-request", request)
    write("ipc", "auth-reply", reply)
    write("ipc", "authd-socket", struct.pack("<II", 3, 8))
    write("ipc", "reload", struct.pack("<IIIi", 20, 16, 0, 4242))
    # struct ipc_ban: the names, two bytes of padding, then until.
    ban = (struct.pack("<II", 28, 192) + cstring("198.18.0.2", 46) +
           cstring("alice", 128) + b"\x00" * 2 + struct.pack("<q", 1000))
    write("ipc", "ban", ban)


def banfile_seeds():
    """Ban files without their MAC, which the target adds."""
    def ban(address, user, until):
        return (bytes([len(address)]) + address.encode() +
                bytes([len(user)]) + user.encode() + struct.pack(">q", until))
    bans = [ban("198.18.0.2", "alice", 1700000000),
            ban("198.18.0.3", "", 1700000300),
            ban("2001:db8::1", "bob", 4102444800)]
    write("banfile", "empty", b"HEBANS\r\n" + struct.pack(">II", 1, 0))
    write("banfile", "three", b"HEBANS\r\n" + struct.pack(">II", 1, 3) +
          b"".join(bans))


def journal_seeds():
    """Journal records as type, length and payload; the target seals them."""
    def string(text):
        return bytes([len(text)]) + text.encode()

    def record(kind, payload):
        return bytes([kind, len(payload)]) + payload

    up = (struct.pack(">Q", 7) + b"\x11" * 32 + string("alice") +
          string("staff") + string("staff") + struct.pack(">I", 0xC6130001) +
          struct.pack(">qqq", 1700000000, 0, 1700000100) +
          struct.pack(">II", 0, 3))
    update = struct.pack(">QqII", 7, 1700000200, 1, 1)
    down = struct.pack(">Q", 7)
    write("journal", "up", record(1, up))
    write("journal", "up-update-down", record(1, up) + record(2, update) +
          record(3, down))
    write("journal", "torn-tail", record(1, up) + b"\x00\x41\xff")


def groupurl_seeds():
    write("groupurl", "plain", "https://vpn.example.net/staff")
    write("groupurl", "port", "HTTPS://VPN.Example.NET:443/phones/")
    write("groupurl", "ipv6", "https://[2001:DB8:0::1]:8443/a%7eb%2f")
    write("groupurl", "request", "vpn.example.net:8443\n/staff?x=1")
    write("groupurl", "absolute", "ignored\nhttps://vpn.example.net/x")


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_segment(seq, payload, flags=0x10, sport=40000):
    """An IPv4 TCP segment with timestamps, as Linux sends bulk data."""
    options = bytes([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2])
    tcp = struct.pack("!HHIIBBHHH", sport, 5201, seq, 777, 0x80, flags,
                      502, 0, 0) + options
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, 6, 0,
                     bytes([198, 19, 0, 5]), bytes([198, 18, 1, 2]))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    check = ip_checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", check) + tcp[18:]
    return ip + tcp + payload


def gro_batch(packets):
    return b"".join(struct.pack("!H", len(p)) + p for p in packets)


def gro_seeds():
    mss = 1360
    run = [tcp_segment(i * mss, bytes([i]) * mss) for i in range(5)]
    write("gro", "run", gro_batch(run + [tcp_segment(5 * mss, b"x" * 99,
                                                     0x18)]))
    write("gro", "two-flows", gro_batch(
        [tcp_segment(i // 2 * mss, b"y" * mss, 0x10, 40000 + i % 2)
         for i in range(8)]))
    write("gro", "gap", gro_batch([tcp_segment(0, b"z" * mss),
                                   tcp_segment(mss + 1, b"z" * mss),
                                   tcp_segment(0, b"", 0x11)]))


def udp_packet(size, frag=0, options=b""):
    """A UDP/IPv4 packet of size bytes from the inside to a client."""
    header_len = 20 + len(options)
    payload = bytes(i & 0xFF for i in range(size - header_len))
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | header_len // 4, 0, size, 7,
                     frag, 64, 17, 0, bytes([198, 18, 1, 2]),
                     bytes([198, 19, 0, 5])) + options
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    return ip + payload


def ipfrag_seeds():
    write("ipfrag", "udp", struct.pack("!H", 1406) + udp_packet(3028))
    write("ipfrag", "fragment", struct.pack("!H", 1000) +
          udp_packet(1500, 0x2000 | 185))
    write("ipfrag", "options", struct.pack("!H", 576) +
          udp_packet(1400, 0, bytes([0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0,
                                     0])))


def userfile_seeds():
    hash1 = "$6$fuzzsalt$" + "A" * 86
    write("userfile", "valid", "# users\nalice:%s\n\nbob:!locked\n" % hash1)
    write("userfile", "duplicate", "alice:x\nbob:y\nalice:z\n")
    write("userfile", "malformed", "alice b:x\ncarol\n  dave : y\n"
          "eve:\x00z\r\n")


def main():
    gro_seeds()
    ipfrag_seeds()
    http_seeds()
    cookie_seeds()
    form_seeds()
    xmlauth_seeds()
    cstp_seeds()
    dtls_seeds()
    config_seeds()
    ipc_seeds()
    banfile_seeds()
    journal_seeds()
    groupurl_seeds()
    userfile_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
