#!/usr/bin/env python3
"""Send tagged UDP to a client and check what its tun device receives.

    udptag.py send ADDR TAG SECONDS FLOWS   UDP to ADDR:9 from FLOWS
                                            sockets, each payload "TAG:"
                                            repeated, 64 to 1300 bytes
    udptag.py check DEV ADDR TAG SECONDS    read the IPv4 packets that
                                            arrive on DEV for SECONDS

check prints "packets=N foreign=N" and exits 1 when any packet arrived
for another address, with another tag, or with an IP total length that
is not its size: a packet of another client, or a torn CSTP frame.
"""
import random
import socket
import struct
import sys
import time

ETH_P_ALL = 3


def send(addr, tag, seconds, flows):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(flows)]
    unit = tag.encode() + b":"
    end = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < end:
        for s in socks:
            size = random.randint(64, 1300)
            body = unit * (size // len(unit) + 1)
            try:
                s.sendto(body[:size], (addr, 9))
                sent += 1
            except OSError:
                pass
    print("sent=%d" % sent)


def foreign(pkt, own, unit):
    """Return why pkt is not one of ours, or None."""
    total = struct.unpack("!H", pkt[2:4])[0]
    ihl = (pkt[0] & 15) * 4
    if total != len(pkt):
        return "length %d in a %d-byte packet" % (total, len(pkt))
    if pkt[16:20] != own:
        return "destination %s" % socket.inet_ntoa(pkt[16:20])
    # A later fragment of a datagram has no UDP header to skip; the
    # inside host fragments once it has learned a smaller path MTU.
    if struct.unpack("!H", pkt[6:8])[0] & 0x1fff:
        return None
    payload = pkt[ihl + 8:]
    if pkt[9] == socket.IPPROTO_UDP and payload[:len(unit)] != unit:
        return "payload %r" % payload[:8]
    return None


def check(dev, addr, tag, seconds):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                         socket.htons(ETH_P_ALL))
    sock.bind((dev, 0))
    sock.settimeout(0.5)
    own = socket.inet_aton(addr)
    unit = tag.encode() + b":"
    packets = bad = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            pkt, where = sock.recvfrom(70000)
        except socket.timeout:
            continue
        if where[2] == socket.PACKET_OUTGOING or len(pkt) < 28 or \
                pkt[0] >> 4 != 4 or pkt[9] != socket.IPPROTO_UDP:
            continue
        packets += 1
        why = foreign(pkt, own, unit)
        if why is not None:
            bad += 1
            if bad <= 3:
                print("foreign packet: %s" % why)
    print("packets=%d foreign=%d" % (packets, bad))
    return 1 if bad or not packets else 0


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3], sys.argv[4],
                     float(sys.argv[5]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
