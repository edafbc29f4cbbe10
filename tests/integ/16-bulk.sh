#!/bin/bash
# Bulk TCP between a client and the inside host, both ways, over DTLS
# and over TLS only. The headend writes runs of segments from a client to
# the tun device as one merged packet (GRO), and cuts the large packets
# that the device hands over into segments for the client. The bytes
# must arrive complete and in order, and both must actually happen.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

TOOLS="$(dirname "$0")/tools"
BULK_PORT=5300
BULK_MBYTES=24

# traffic_count FIELD: one of the headend's traffic counters.
traffic_count() {
	he_ctl --json show stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["traffic"][sys.argv[1]])' "$1"
}

# bulk_transfer NAME FROM_NS TO_NS TO_ADDR: send BULK_MBYTES through the
# tunnel and compare the digests of what was sent and what arrived.
bulk_transfer() {
	local name=$1 from=$2 to=$3 addr=$4 got="$HE_TMPDIR/bulk-$1.recv"
	local sent

	spawn_in_ns "$to" python3 "$TOOLS/bulktcp.py" recv "$addr" \
		"$BULK_PORT" "$got"
	wait_until 10 tcp_listening "$to" "$BULK_PORT" || return 1
	sent=$(ip netns exec "$from" timeout 60 python3 \
		"$TOOLS/bulktcp.py" send "$addr" "$BULK_PORT" \
		"$BULK_MBYTES") || return 1
	wait_until 30 test -s "$got" || return 1
	tap_diag "$name: sent $sent, received $(cat "$got")"
	[ "$sent" = "$(cat "$got")" ]
}

# client_address: the address the headend leased to the client.
client_address() {
	he_ctl --json show sessions | python3 -c '
import json, sys
print(json.load(sys.stdin)["sessions"][0]["address"])'
}

# counted NAME FIELD CMD...: run CMD and check that the traffic counter
# FIELD grew by more than 1000 while it ran.
counted() {
	local name=$1 field=$2 before after

	shift 2
	before=$(traffic_count "$field")
	tap_ok "$name: $BULK_MBYTES MiB arrive intact" "$@"
	after=$(traffic_count "$field")
	tap_diag "$name: $field $before -> $after"
	tap_ok "$name: $field grew" test "$after" -gt "$((before + 1000))"
}

# udp_to_client ADDR: five UDP datagrams from the inside host reach the
# client, and its kernel finds every checksum right. The device may hand
# them over with a partial checksum, which headend must finish.
udp_to_client() {
	local addr=$1 got="$HE_TMPDIR/udp.got" pid errors

	ip netns exec "$NS_CLIENT" timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
s.settimeout(5)
n = 0
try:
    while n < 5:
        s.recvfrom(4000)
        n += 1
except socket.timeout:
    pass
print(n)' "$addr" >"$got" &
	pid=$!
	wait_until 5 udp_listening "$NS_CLIENT" 9999 || return 1
	ip netns exec "$NS_INSIDE" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"x" * (100 + 300 * i), (sys.argv[1], 9999))' "$addr"
	wait "$pid" || true
	errors=$(ip netns exec "$NS_CLIENT" nstat -az UdpInCsumErrors |
		awk '$1 == "UdpInCsumErrors" { print $2 }')
	tap_diag "UDP to the client: $(cat "$got") received," \
		"${errors:-?} checksum errors"
	[ "$(cat "$got")" = 5 ] && [ "${errors:-1}" = 0 ]
}

# queue_full_drops: the session's packets dropped for a full TLS queue.
queue_full_drops() {
	he_ctl --json show session "$(he_ctl --json show sessions |
		python3 -c 'import json, sys
print(json.load(sys.stdin)["sessions"][0]["id"])')" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s.get("session", s)["drops"]["queue_full"])'
}

# connect_and_transfer NAME [OPENCONNECT ARGS]
connect_and_transfer() {
	local name=$1 addr

	shift
	he_connect alice alice-secret "$HE_TMPDIR/oc-$name.log" "$@" ||
		tap_diag_file "$HE_TMPDIR/oc-$name.log"
	addr=$(client_address)
	counted "$name up" tun_merged_segments bulk_transfer "$name-up" \
		"$NS_CLIENT" "$NS_INSIDE" "$INSIDE_ADDR"
	counted "$name down" tun_split_segments bulk_transfer "$name-down" \
		"$NS_INSIDE" "$NS_CLIENT" "$addr"
	tap_ok "$name: UDP to the client arrives with valid checksums" \
		udp_to_client "$addr"

	# The client reads all the time, so its TLS queue never fills.
	tap_ok "$name: no packet dropped for a full queue" \
		test "$(queue_full_drops)" = 0
	pid_stop "$OC_PID"
}

tap_plan 13
tap_require_root
tap_require_commands openconnect python3
he_setup
he_write_config
he_start

connect_and_transfer dtls --dtls-ciphers=PSK-NEGOTIATE
tap_ok "dtls: the data went over DTLS" \
	file_contains "$HE_TMPDIR/oc-dtls.log" 'Established DTLS connection'
connect_and_transfer tls --no-dtls
tap_done
