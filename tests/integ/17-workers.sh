#!/bin/bash
# Worker threads. With workers = 2, the kernel steers a client's DTLS to
# the worker numbered (client address mod 2), and the headend places the
# client's tunnel on that worker. Two clients from an odd and an even
# address get one tunnel on each worker, DTLS on both, and packets from
# the inside read on the other worker's tun queue reach them through the
# handover ring. A logoff closes a tunnel on a worker thread. A client
# whose DTLS comes from another address than its TLS connection still
# gets DTLS: the worker that receives it hands it to the owner, and
# forged hellos with its id do not stop that. Two CSTP-only clients on
# different workers, flooded at once, each get only their own packets,
# in whole frames.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

TOOLS="$(dirname "$0")/tools"

NS_CLIENT2="he-$$-client2"
CLIENT2_ADDR=198.18.2.2
HEADEND_OUTSIDE2_ADDR=198.18.2.1
UDP_FLOWS=32
FLOOD_SECONDS=4
OTHER_UDP_ADDR=198.18.0.6

# session_of USER FIELD: a field of the user's session from show sessions.
session_of() {
	he_ctl --json show sessions user "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)["sessions"][0]
print(s[sys.argv[1]])' "$2"
}

# worker_stat INDEX FIELD: a counter of one worker from show stats.
worker_stat() {
	he_ctl --json show stats | python3 -c '
import json, sys
w = json.load(sys.stdin)["workers"][int(sys.argv[1])]
print(w[sys.argv[2]])' "$1" "$2"
}

handovers_in() {
	echo $(($(worker_stat 0 handovers_in) + $(worker_stat 1 handovers_in)))
}

both_dtls_up() {
	[ "$(session_of alice dtls_state)" = up ] &&
		[ "$(session_of bob dtls_state)" = up ]
}

# send_flows ADDR: UDP datagrams from the inside host to ADDR, each from a
# new socket, so each is a flow of its own that the kernel may put on
# either tun queue.
send_flows() {
	ip netns exec "$NS_INSIDE" python3 -c '
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"flow %d" % i, (sys.argv[1], 9))
    s.close()' "$1" "$UDP_FLOWS"
}

# detail_of USER PYTHON-EXPR: an expression over the user's session
# detail, bound to s.
detail_of() {
	local id

	id=$(session_of "$1" id) || return 1
	he_ctl --json show session "$id" | python3 -c "
import json, sys
s = json.load(sys.stdin)
s = s.get('session', s)
print($2)"
}

# tun_of NS ADDR: the tun device in NS that has ADDR.
tun_of() {
	ip -n "$1" -o -4 addr show | awk -v a="$2/32" '$4 == a { print $2 }'
}

# check_own_packets NS USER TAG: start a capture on the user's tun device
# that counts packets of other clients, for FLOOD_SECONDS + 2 seconds.
check_own_packets() {
	local addr

	addr=$(session_of "$2" address)
	spawn_in_ns "$1" python3 "$TOOLS/udptag.py" check \
		"$(tun_of "$1" "$addr")" "$addr" "$3" $((FLOOD_SECONDS + 2)) \
		>"$HE_TMPDIR/$2.check"
}

# user_tun_up USER NS: USER's session has an address, and a tun device
# in NS carries it. he_tunnel_ready would find an earlier client's.
user_tun_up() {
	local addr

	addr=$(session_of "$1" address 2>/dev/null) &&
		[ -n "$(tun_of "$2" "$addr")" ]
}

flood() {
	spawn_in_ns "$NS_INSIDE" python3 "$TOOLS/udptag.py" send \
		"$(session_of "$1" address)" "$2" "$FLOOD_SECONDS" 8 \
		>/dev/null
}

carol_dtls_up() {
	[ "$(session_of carol dtls_state)" = up ]
}

# packets_out_reach USER N: the session sent at least N packets.
packets_out_reach() {
	[ "$(session_of "$1" packets_out)" -ge "$2" ]
}

tap_plan 24
he_setup
HE_WORKERS=2 he_write_config
he_add_user bob bob-secret
netns_create "$NS_CLIENT2" 0
netns_link "$NS_CLIENT2" veth-c2 "$CLIENT2_ADDR/24" \
	"$NS_HEADEND" veth-ho2 "$HEADEND_OUTSIDE2_ADDR/24"
he_start
tap_ok "log names two workers" \
	wait_file_contains "$HE_LOG" "2 worker\\(s\\)" 10

he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"
HEADEND_OUTSIDE_ADDR=$HEADEND_OUTSIDE2_ADDR oc_connect "$NS_CLIENT2" \
	"https://$VPN_HOSTNAME/staff" bob bob-secret "$HE_TMPDIR/bob.log"
wait_tun_up "$NS_CLIENT2" || tap_diag_file "$HE_TMPDIR/bob.log"
wait_until 20 both_dtls_up || tap_diag "DTLS did not come up on both"

tap_diag "alice from $CLIENT_ADDR, bob from $CLIENT2_ADDR"
tap_ok "odd client address: tunnel on worker 1" \
	test "$(session_of alice worker)" = 1
tap_ok "even client address: tunnel on worker 0" \
	test "$(session_of bob worker)" = 0
tap_ok "one tunnel on each worker" sh -c \
	"[ $(worker_stat 0 tunnels) = 1 ] && [ $(worker_stat 1 tunnels) = 1 ]"
tap_ok "DTLS up on both workers" both_dtls_up
tap_ok "client on worker 1 reaches the inside" he_ping_inside
tap_ok "client on worker 0 reaches the inside" ip netns exec "$NS_CLIENT2" \
	ping -c 1 -W 2 "$INSIDE_ADDR"

alice_addr=$(session_of alice address)
bob_addr=$(session_of bob address)
alice_out=$(session_of alice packets_out)
bob_out=$(session_of bob packets_out)
before=$(handovers_in)
send_flows "$alice_addr"
send_flows "$bob_addr"
tap_ok "every flow reaches the worker-1 client" \
	wait_until 10 packets_out_reach alice $((alice_out + UDP_FLOWS))
tap_ok "every flow reaches the worker-0 client" \
	wait_until 10 packets_out_reach bob $((bob_out + UDP_FLOWS))
tap_diag "handovers before $before, after $(handovers_in)"
tap_ok "flows read on the other queue were handed over" \
	test "$(handovers_in)" -gt "$before"
tap_ok "no handover dropped" sh -c \
	"[ $(worker_stat 0 handover_drops) = 0 ] &&
	[ $(worker_stat 1 handover_drops) = 0 ]"

worker1_idle() {
	[ "$(worker_stat 1 tunnels)" = 0 ]
}

# The logoff runs on the control thread and the close on worker 1; the
# client exits at once only if the TERMINATE frame went out first.
he_ctl logoff user alice >/dev/null
tap_ok "logoff closes the tunnel on worker 1" wait_until 10 worker1_idle
tap_ok "logged-off client exits" wait_until 10 pid_stopped "$OC_PID"
tap_ok "worker-0 client still reaches the inside" \
	ip netns exec "$NS_CLIENT2" ping -c 1 -W 2 "$INSIDE_ADDR"

# Carol's TLS comes from the odd client address (worker 1), her UDP from
# an even one (worker 0): nftables rewrites it statelessly both ways.
ip -n "$NS_CLIENT" addr add "$OTHER_UDP_ADDR/24" dev veth-c
ip netns exec "$NS_CLIENT" nft -f - <<NFT
table ip other_udp_addr {
	chain out {
		type filter hook output priority -300;
		udp dport 443 ip saddr set $OTHER_UDP_ADDR
	}
	chain in {
		type filter hook prerouting priority -300;
		udp sport 443 ip daddr set $CLIENT_ADDR
	}
}
NFT
he_add_user carol carol-secret
handed0=$(worker_stat 1 handovers_in)
he_connect carol carol-secret "$HE_TMPDIR/carol.log" ||
	tap_diag_file "$HE_TMPDIR/carol.log"
tap_ok "TLS from worker 1's address: tunnel on worker 1" \
	test "$(session_of carol worker)" = 1
tap_ok "DTLS from worker 0's address comes up" wait_until 20 carol_dtls_up
peer=$(detail_of carol 's["peer_udp"]')
tap_ok "its UDP peer is the other address" test "${peer%:*}" = "$OTHER_UDP_ADDR"
dtls_in0=$(detail_of carol 's["channels"]["dtls"]["packets_in"]')
he_ping_inside || true
dtls_in1=$(detail_of carol 's["channels"]["dtls"]["packets_in"]')
tap_diag "DTLS packets in: $dtls_in0 -> $dtls_in1; worker 1 handovers" \
	"in: $handed0 -> $(worker_stat 1 handovers_in)"
tap_ok "ping crosses on DTLS through worker 0" test "$dtls_in1" -gt "$dtls_in0"

# Forged ClientHellos with carol's App-ID from eight other ports of her
# UDP address, which worker 0 reads too. Worker 0 keeps following her own
# port, which sent within the last seconds, so her DTLS still works.
app_id=$(sed -n 's/^X-DTLS-App-ID: //p' "$HE_TMPDIR/carol.log")
dtls_send_hellos 8 "$app_id" "$OTHER_UDP_ADDR"
he_ping_inside || true
dtls_in2=$(detail_of carol 's["channels"]["dtls"]["packets_in"]')
tap_ok "forged hellos leave her DTLS port followed" \
	test "$dtls_in2" -gt "$dtls_in1"

# Frames of tunnels on two workers are built at the same time.
he_add_user dave dave-secret
he_add_user erin erin-secret
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" dave dave-secret \
	"$HE_TMPDIR/dave.log" --no-dtls
HEADEND_OUTSIDE_ADDR=$HEADEND_OUTSIDE2_ADDR oc_connect "$NS_CLIENT2" \
	"https://$VPN_HOSTNAME/staff" erin erin-secret "$HE_TMPDIR/erin.log" \
	--no-dtls
wait_until 20 user_tun_up dave "$NS_CLIENT" ||
	tap_diag_file "$HE_TMPDIR/dave.log"
wait_until 20 user_tun_up erin "$NS_CLIENT2" ||
	tap_diag_file "$HE_TMPDIR/erin.log"
tap_diag "dave on worker $(session_of dave worker)," \
	"erin on worker $(session_of erin worker)"
check_own_packets "$NS_CLIENT" dave D
dave_check=$SPAWNED_PID
check_own_packets "$NS_CLIENT2" erin E
erin_check=$SPAWNED_PID
flood dave D
flood dave D
flood erin E
flood erin E
wait_until $((FLOOD_SECONDS + 10)) pid_stopped "$dave_check" || true
wait_until 5 pid_stopped "$erin_check" || true
tap_diag "dave: $(cat "$HE_TMPDIR/dave.check")"
tap_diag "erin: $(cat "$HE_TMPDIR/erin.check")"
tap_ok "CSTP client on worker 1 gets only its own packets" \
	grep -Eq '^packets=[1-9][0-9]* foreign=0$' "$HE_TMPDIR/dave.check"
tap_ok "CSTP client on worker 0 gets only its own packets" \
	grep -Eq '^packets=[1-9][0-9]* foreign=0$' "$HE_TMPDIR/erin.check"
tap_ok "openconnect saw no torn CSTP frame" sh -c \
	"! grep -q 'Unexpected packet length' '$HE_TMPDIR/dave.log' \
	'$HE_TMPDIR/erin.log'"

# A handshake on worker 1 that the client abandons, with a reset and
# with a plain close: the control thread logs why.
ip netns exec "$NS_CLIENT" python3 -c '
import socket, struct, sys
for reset in (True, False):
    s = socket.create_connection((sys.argv[1], 443))
    s.send(b"\x16\x03\x01\x00\x40\x01\x00\x00")
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()' "$HEADEND_OUTSIDE_ADDR"
tap_ok "abandoned handshake: reset logged" wait_file_contains "$HE_LOG" \
	'TLS handshake failed: the connection failed during the handshake' 5
tap_ok "abandoned handshake: close logged" wait_file_contains "$HE_LOG" \
	'TLS handshake failed: the client closed the connection during' 5
tap_done
