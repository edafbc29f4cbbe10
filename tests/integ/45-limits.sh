#!/bin/bash
# Limits on unauthenticated clients: a TLS handshake and a request each
# have a deadline that trickled bytes do not extend, one source address
# may have at most connections-per-source connections, and a thousand idle
# TLS connections from several addresses are closed by the deadline
# without taking an address from the pool.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

TOOLS="$(dirname "$0")/tools"

# stat_value KEY: print the value of show stats at a dotted path.
stat_value() {
	he_ctl --json show stats | python3 -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value[key]
print(value)
' "$1"
}

stat_is() {
	test "$(stat_value "$1")" = "$2"
}

stat_at_least() {
	he_ctl --json show stats | python3 -c '
import json, sys
stats = json.load(sys.stdin)
value = stats
for key in sys.argv[1].split("."):
    value = value[key]
assert value >= int(sys.argv[2]), value
' "$1" "$2"
}

# slow_request SECONDS: a request line that trickles one byte a second
# for SECONDS seconds; prints how long the server kept the connection.
slow_request() {
	ip netns exec "$NS_CLIENT" python3 -c '
import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("198.18.0.1", 443), timeout=30)
conn = ctx.wrap_socket(raw, server_hostname="vpn.example.net")
start = time.monotonic()
try:
    for byte in b"GET /staff HTTP/1.1\r\nHost: vpn.example.net\r\n" * 4:
        conn.sendall(bytes([byte]))
        time.sleep(1)
        if time.monotonic() - start > float(sys.argv[1]):
            break
except OSError:
    pass
print(int(time.monotonic() - start))
' "$1"
}

# listen_queue: the queue length of the TCP listener on port 443.
listen_queue() {
	ip netns exec "$NS_HEADEND" ss -ltnH 'sport = :443' |
		awk '{ print $3; exit }'
}

tap_plan 24
he_setup
# The kernel caps a listen queue at this, and headend requests more.
ip netns exec "$NS_HEADEND" sysctl -qw net.core.somaxconn=4096
he_write_config
# Short deadlines and a small per-source share keep the test quick.
cat >>"$HE_CONF" <<CONF
limits = { handshake-timeout = 2; request-timeout = 3; idle-timeout = 3;
	connections-per-source = 300; };
CONF
ulimit -n 8192
he_start

queue=$(listen_queue)
tap_diag "TCP listen queue: $queue"
tap_ok "listen queue is the kernel's cap" test "$queue" = 4096

held=$(slow_request 20)
tap_diag "trickled request held for ${held}s"
tap_ok "trickled request closed by its deadline" test "$held" -le 8
tap_ok "request timeout counted" stat_at_least limits.request_timeouts 1

tap_ok "silent TCP connection closed after the handshake deadline" \
	ip netns exec "$NS_CLIENT" python3 -c '
import socket, time
s = socket.create_connection(("198.18.0.1", 443), timeout=10)
start = time.monotonic()
assert s.recv(1) == b""
assert time.monotonic() - start < 6
'
tap_ok "the log says that the client sent nothing" wait_file_contains \
	"$HE_LOG" "closed: the client sent nothing within 2 seconds" 5

# A TCP health check connects and closes: no TLS handshake, no failure.
failed=$(stat_value handshakes.tls.failed)
ip netns exec "$NS_CLIENT" python3 -c '
import socket
socket.create_connection(("198.18.0.1", 443), timeout=10).close()
'
wait_or_diag 10 "the closed connection is counted" \
	stat_is handshakes.tls.closed_before_hello 1
tap_ok "connect and close: counted as closed before the hello" \
	stat_is handshakes.tls.closed_before_hello 1
tap_ok "connect and close: no failed TLS handshake" \
	stat_is handshakes.tls.failed "$failed"

# Four client addresses, 250 idle connections each: within the share.
for i in 10 11 12 13; do
	ip -n "$NS_CLIENT" addr add "198.18.0.$i/24" dev veth-c
done
out=$(ip netns exec "$NS_CLIENT" python3 "$TOOLS/idleconns.py" 1000 20 \
	198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 2>&1) || true
tap_diag "$out"
tap_ok "1000 idle TLS connections all closed by the deadline" \
	sh -c "echo '$out' | grep -q '^closed 1000$'"
tap_ok "idle closes counted" stat_at_least limits.idle_closes 1000
tap_ok "idle connections leased no address" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show pools | python3 -c '
import json, sys
assert all(p[\"used\"] == 0 for p in json.load(sys.stdin)[\"pools\"])'"
he_connect alice alice-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
tap_ok "login still works afterwards" he_ping_inside
pid_stop "$OC_PID"

# A client that sends login requests and never reads the responses:
# the server stops reading its requests once the unread responses pass
# a limit, and closes it at the idle timeout, so its memory stays small.
out=$(ip netns exec "$NS_CLIENT" python3 -c '
import socket, ssl, time
body = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth "
        b"client=\"vpn\" type=\"init\"><group-access>"
        b"https://vpn.example.net/staff</group-access></config-auth>")
request = (b"POST /staff HTTP/1.1\r\nHost: vpn.example.net\r\n"
           b"X-Aggregate-Auth: 1\r\nContent-Length: %d\r\n\r\n"
           % len(body)) + body
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.socket()
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
raw.connect(("198.18.0.1", 443))
conn = ctx.wrap_socket(raw, server_hostname="vpn.example.net")
conn.settimeout(20)
start = time.monotonic()
sent = 0
try:
    while time.monotonic() - start < 20:
        conn.sendall(request)
        sent += 1
    print("open after", sent, "requests")
except TimeoutError:
    print("stuck after", sent, "requests")
except OSError:
    print("closed after", sent, "requests")
' 2>&1) || true
tap_diag "client that reads nothing: $out"
tap_ok "client that reads nothing is closed" grep -q '^closed' <<<"$out"
tap_ok "the log says it did not read" wait_file_contains "$HE_LOG" \
	"closed: the client did not read its responses" 5

# A small share: the sixth connection from one address is refused.
pid_stop "$HE_PID"
he_write_config
cat >>"$HE_CONF" <<CONF
limits = { connections-per-source = 5; handshake-timeout = 30; };
CONF
he_start
out=$(ip netns exec "$NS_CLIENT" python3 -c '
import socket, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conns = []
for i in range(6):
    raw = socket.create_connection(("198.18.0.1", 443), timeout=5,
                                   source_address=("198.18.0.10", 0))
    try:
        conns.append(ctx.wrap_socket(raw, server_hostname="x"))
        print("accepted", i)
    except OSError as err:
        print("refused", i)
' 2>&1)
tap_diag "$out"
tap_ok "five connections from one source accepted" sh -c \
	"echo '$out' | grep -q '^accepted 4$'"
tap_ok "the sixth is refused" sh -c "echo '$out' | grep -q '^refused 5$'"
he_connect alice alice-secret "$HE_TMPDIR/oc2.log" ||
	tap_diag_file "$HE_TMPDIR/oc2.log"
tap_ok "another source is still served" he_ping_inside

# Connections that send nothing get no TLS state until their first
# bytes. The client opens four and sends a byte on each once "go" exists.
started=$(stat_value handshakes.tls.started)
spawn_in_ns "$NS_CLIENT" python3 -c '
import os, socket, sys, time
conns = [socket.create_connection(("198.18.0.1", 443), timeout=10,
                                  source_address=("198.18.0.11", 0))
         for i in range(4)]
while not os.path.exists(sys.argv[1]):
    time.sleep(0.1)
for c in conns:
    c.sendall(b"\x16")
time.sleep(30)
' "$HE_TMPDIR/go" >"$HE_TMPDIR/silent.log" 2>&1
wait_or_diag 20 "four connections await their hello" \
	stat_is handshakes.tls.awaiting_hello 4
tap_ok "four silent connections await their hello" \
	stat_is handshakes.tls.awaiting_hello 4
tap_ok "and started no TLS handshake" \
	stat_is handshakes.tls.started "$started"
touch "$HE_TMPDIR/go"
wait_or_diag 20 "the first bytes start four handshakes" \
	stat_at_least handshakes.tls.started $((started + 4))
tap_ok "their first bytes start the handshakes" \
	stat_is handshakes.tls.awaiting_hello 0
pid_stop "$SPAWNED_PID"

# Logins in progress per source: at the limit, a new login ends the
# oldest one that waits for its client, so logins that one client opened
# and left do not lock out the others behind that address.
pid_stop "$OC_PID"
pid_stop "$HE_PID"
he_write_config
echo 'limits = { logins-per-source = 3; };' >>"$HE_CONF"
he_start
for i in 1 2 3 4 5; do
	ip netns exec "$NS_CLIENT" python3 "$TOOLS/xmllogin.py" \
		"$VPN_HOSTNAME" /staff /staff alice - --init-only \
		>/dev/null 2>&1 || true
done
tap_ok "login from a source at its limit succeeds" \
	ip netns exec "$NS_CLIENT" python3 "$TOOLS/xmllogin.py" \
	"$VPN_HOSTNAME" /staff /staff alice alice-secret
tap_ok "logins over the source limit counted" \
	stat_at_least limits.logins_over_source_limit 1

# A cap on all connections that are not yet tunnels: the fourth silent
# connection is closed at once, and a place that frees up is taken again.
pid_stop "$HE_PID"
he_write_config
cat >>"$HE_CONF" <<CONF
limits = { max-connections = 3; handshake-timeout = 30; };
CONF
he_start
out=$(ip netns exec "$NS_CLIENT" python3 -c '
import socket, time
def open_one():
    return socket.create_connection(("198.18.0.1", 443), timeout=5)
def closed_at_once(s):
    s.settimeout(1)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
open_conns = [open_one() for _ in range(3)]
print("fourth closed" if closed_at_once(open_one()) else "fourth open")
open_conns.pop(0).close()
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    if not closed_at_once(open_one()):
        print("accepted again")
        break
' 2>&1)
tap_diag "$out"
tap_ok "max-connections: the fourth is closed" grep -qx 'fourth closed' \
	<<<"$out"
tap_ok "max-connections: a freed place is taken again" grep -qx \
	'accepted again' <<<"$out"
tap_ok "max-connections: the log names the limit" file_contains "$HE_LOG" \
	'refused: 3 connections are not yet tunnels \(limit max-connections'

tap_done
