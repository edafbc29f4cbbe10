#!/usr/bin/env python3
"""Open TCP connections that send nothing, as a port scan or a stalled
client does, and hold them.

usage: silentconns.py SERVER PORT COUNT SOURCES READY_FILE HOLD
Opens COUNT connections to SERVER:PORT, spread round-robin over the
comma-separated SOURCES addresses, creates READY_FILE with the number
opened, and keeps them open for HOLD seconds or until killed.
"""
import socket
import sys
import time


def main():
    server, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sources = sys.argv[4].split(',')
    ready, hold = sys.argv[5], float(sys.argv[6])
    conns = []
    for i in range(count):
        try:
            conns.append(socket.create_connection(
                (server, port), timeout=5,
                source_address=(sources[i % len(sources)], 0)))
        except OSError as err:
            print("connection %d: %s" % (i, err), file=sys.stderr)
            break
    with open(ready, 'w') as f:
        f.write("%d\n" % len(conns))
    time.sleep(hold)


if __name__ == '__main__':
    main()
