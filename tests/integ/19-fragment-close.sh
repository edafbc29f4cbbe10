#!/bin/bash
# A tunnel that closes while the server cuts a packet from the inside
# into IP fragments. The client stops reading until its connection is
# full, the network process is stopped while datagrams too large for the
# tunnel wait in the tun device, and the client is killed. When the
# process goes on, writing a fragment fails and closes the tunnel. The
# fragments after it must not go to the freed tunnel, which the
# sanitizer pass reports as a use-after-free.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

# send_big ADDR COUNT: COUNT UDP datagrams of 1372 bytes with DF clear
# from the inside host to ADDR, each larger than the data MTU of 1200.
send_big() {
	ip netns exec "$NS_INSIDE" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# IP_MTU_DISCOVER (10) set to IP_PMTUDISC_DONT (0): DF clear.
s.setsockopt(socket.IPPROTO_IP, 10, 0)
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * 1344, (sys.argv[1], 9))
' "$1" "$2"
}

# no_connection: the server has no established connection on port 443.
no_connection() {
	[ -z "$(ip netns exec "$NS_HEADEND" ss -tnH state established \
		'( sport = :443 )')" ]
}

# send_queue_busy: the server's connection to the client has bytes
# that the client has not acknowledged.
send_queue_busy() {
	ip netns exec "$NS_HEADEND" ss -tnH state established \
		'( sport = :443 )' | awk '$2 > 0 { found = 1 } END { exit !found }'
}

tap_plan 4
he_setup
HE_WORKERS=1 he_write_config "" "" "data-mtu = 1200;"
# Small TCP buffers, so that the connection to the client fills quickly.
ip netns exec "$NS_CLIENT" sysctl -qw net.ipv4.tcp_rmem="4096 8192 16384"
ip netns exec "$NS_HEADEND" sysctl -qw net.ipv4.tcp_wmem="4096 8192 16384"
he_start
he_connect alice alice-secret "$HE_TMPDIR/oc.log" --no-dtls ||
	tap_diag_file "$HE_TMPDIR/oc.log"
addr=$(he_session_json '
import json, sys
print(json.load(sys.stdin)["sessions"][0]["address"])')
net=$(he_child_pid network)

kill -STOP "$OC_PID"
send_big "$addr" 80
tap_ok "the connection to the stopped client fills" \
	wait_until 10 send_queue_busy

kill -STOP "$net"
send_big "$addr" 5
kill -KILL "$OC_PID"
wait_until 10 no_connection ||
	tap_diag "the server's connection is still established"
kill -CONT "$net"

tap_ok "the server closes the tunnel" \
	wait_file_contains "$HE_LOG" 'tunnel closed: TLS write failed' 10
tap_ok "the network process still runs" pid_running "$net"
tap_ok "the session waits for a reconnect" \
	test "$(he_session_json '
import json, sys
print(len(json.load(sys.stdin)["sessions"]))')" -eq 1
tap_done
