#!/bin/bash
# DTLS in PSK-NEGOTIATE mode, openconnect's default. The handshake comes
# up, ping and iperf3 cross on DTLS, and the status socket shows the DTLS
# state. Without the data-mtu cap, the data MTU is the one of AES-GCM
# records, which the headend prefers and openconnect's offer names, and
# full-size packets cross. Voice marked EF leaves the headend in an
# EF-marked UDP packet. Garbage and forged ClientHellos change nothing,
# and a client whose UDP source port changes keeps its DTLS association.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

OC_LOG="$HE_TMPDIR/oc.log"
OC_UDP_PORT=50443	# openconnect's DTLS source port
NAT_UDP_PORT=40443	# the port a rule below rewrites it to

# The data MTU of AES-GCM records in a 1500-byte link: 1500 less IPv4,
# UDP, the DTLS header, nonce and tag and the packet type byte.
GCM_MTU=$((1500 - 20 - 8 - 13 - 8 - 16 - 1))

CSTPCLIENT="$(dirname "$0")/tools/cstpclient.py"

tap_plan 30
tap_require_commands iperf3 nft
he_setup
dtls_write_config "" "data-mtu = 1500;"
dtls_start

# openconnect's own offer: PSK-NEGOTIATE first, then resumption suites,
# AES-GCM among them.
he_connect alice alice-secret "$OC_LOG" \
	--dtls-local-port="$OC_UDP_PORT" || tap_diag_file "$OC_LOG"
tap_ok "openconnect establishes DTLS" \
	wait_file_contains "$OC_LOG" 'Established DTLS connection' 20
tap_diag "$(dtls_oc_established "$OC_LOG" || true)"
tap_ok "openconnect uses a DTLS 1.2 PSK suite" \
	file_contains "$OC_LOG" \
	'Established DTLS connection.*\(DTLS1\.2\)-\(PSK\)'
tap_ok "session shows DTLS up in PSK mode" dtls_wait_state up 5
tap_ok "session shows DTLS version, cipher and UDP peer" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["session"]
d = s["dtls"]
assert d["mode"] == "psk", d
assert d["version"] == "DTLSv1.2", d
assert "PSK" in d["cipher"], d
assert s["peer_udp"] == "'"$CLIENT_ADDR"':'"$OC_UDP_PORT"'", s["peer_udp"]
' "$(he_ctl --json show session "$(dtls_session_id)")"

tap_ok "show stats: the DTLS share is 1, written as such" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show stats |
	grep -q '\"dtls_share\":1[,}]'"

tap_ok "openconnect uses an AES-GCM suite" \
	file_contains "$OC_LOG" 'Established DTLS connection.*AES-256-GCM'
tap_ok "X-DTLS-MTU is the AES-GCM data MTU, $GCM_MTU" \
	file_contains "$OC_LOG" "^X-DTLS-MTU: $GCM_MTU\$"
tap_ok "MTU probes are echoed at full size" \
	wait_file_contains "$OC_LOG" 'No change in MTU after detection' 10
tap_ok "ping crosses on DTLS" dtls_ping_counts
tap_ok "a ping of $GCM_MTU bytes crosses on DTLS unfragmented" \
	dtls_ping_counts $((GCM_MTU - 28))
dtls_iperf_start || tap_diag "iperf3 -s is not listening"
tap_ok "iperf3 transfer crosses on DTLS" dtls_iperf_on_dtls

# DSCP: an EF ping from the inside must leave in an EF UDP datagram.
ip netns exec "$NS_HEADEND" nft -f - <<'NFT'
table ip dscp_test {
	chain out {
		type filter hook output priority 0;
		udp sport 443 ip dscp ef counter
		udp sport 443 ip dscp cs0 counter
	}
}
NFT
dscp_count() {
	ip netns exec "$NS_HEADEND" nft list chain ip dscp_test out |
		grep "dscp $1" | grep -o 'packets [0-9]*' | grep -o '[0-9]*'
}
ef0=$(dscp_count ef)
ip netns exec "$NS_INSIDE" ping -Q 0xb8 -c 3 -i 0.2 -W 2 198.19.0.1 \
	>/dev/null || true
ef1=$(dscp_count ef)
tap_diag "EF-marked UDP datagrams from the headend: $ef0 -> $ef1"
tap_ok "EF-marked ping leaves the headend as EF UDP" \
	test "$((ef1 - ef0))" -ge 3
be0=$(dscp_count cs0)
ip netns exec "$NS_INSIDE" ping -c 3 -i 0.2 -W 2 198.19.0.1 >/dev/null ||
	true
be1=$(dscp_count cs0)
ef2=$(dscp_count ef)
tap_ok "unmarked ping leaves unmarked" test "$((be1 - be0))" -ge 3 -a \
	"$ef2" -eq "$ef1"

# drop_above KEY N: the drop counter KEY is above N.
drop_above() {
	[ "$(dtls_drop "$1")" -gt "$2" ]
}

# limited_at_least N: at least N hellos were rate-limited.
limited_at_least() {
	[ "$(dtls_stat hellos_rate_limited)" -ge "$1" ]
}

# Datagrams that belong to no session, or forge one's id, change nothing.
malformed0=$(dtls_drop malformed)
peer0=$(dtls_drop unknown_peer)
rejected0=$(dtls_drop rejected)
id0=$(dtls_drop unknown_id)
dtls_send_raw 68656c6c6f
dtls_send_raw "17fefd0001000000000005002000$(printf '%064d' 0)"
dtls_send_hellos 1 "$(printf '%064d' 7)"
tap_ok "garbage is counted as malformed" \
	wait_until 5 drop_above malformed "$malformed0"
tap_ok "a record from an unknown port is counted" \
	wait_until 5 drop_above unknown_peer "$peer0"

# A forged record from the client's own address and port, sent through a
# raw socket, fails its association's check and is counted as rejected.
udp_peer=$(dtls_field 's["peer_udp"]')
tap_diag "client's DTLS address: $udp_peer"
ip netns exec "$NS_CLIENT" python3 -c '
import socket, struct, sys
src, sport = sys.argv[1].rsplit(":", 1)
payload = bytes.fromhex("17fefd00010000000000090020") + bytes(32)
udp = struct.pack("!HHHH", int(sport), 443, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(sys.argv[2]))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (sys.argv[2], 0))' "$udp_peer" "$HEADEND_OUTSIDE_ADDR"
tap_ok "a forged record from the client's own port counts as rejected" \
	wait_until 5 drop_above rejected "$rejected0"
tap_ok "a ClientHello with an unknown id is counted" \
	wait_until 5 drop_above unknown_id "$id0"
app_id=$(sed -n 's/^X-DTLS-App-ID: //p' "$OC_LOG")

# Forged hellos from another address use up only the allowance of other
# addresses: a hello from the client's own address still gets through.
ip -n "$NS_CLIENT" addr add 198.18.0.77/24 dev veth-c
limited0=$(dtls_stat hellos_rate_limited)
superseded0=$(dtls_stat superseded)
# Both addresses are odd, so one worker reads every datagram below in
# order: once the garbage after the hellos is counted, they were handled.
malformed0=$(dtls_drop malformed)
dtls_send_hellos 20 "$app_id" 198.18.0.77
dtls_send_raw 68656c6c6f 198.18.0.77
wait_until 5 drop_above malformed "$malformed0" || true
limited1=$(dtls_stat hellos_rate_limited)
tap_ok "forged hellos from another address are rate-limited" \
	test "$limited1" -ge "$((limited0 + 14))"
passed=$((20 - limited1 + limited0))
tap_diag "forged hellos that started a handshake: $passed"
tap_ok "the handshakes that the next hello replaced are counted" test \
	"$passed" -ge 2 -a \
	"$(dtls_stat superseded)" -ge "$((superseded0 + passed - 1))"
malformed0=$(dtls_drop malformed)
dtls_send_hellos 1 "$app_id"
dtls_send_raw 68656c6c6f
wait_until 5 drop_above malformed "$malformed0" || true
tap_ok "a hello from the client's address still starts a handshake" \
	test "$(dtls_stat hellos_rate_limited)" -eq "$limited1"

limited0=$(dtls_stat hellos_rate_limited)
dtls_send_hellos 20 "$app_id"
tap_ok "forged ClientHellos for the session are rate-limited" \
	wait_until 5 limited_at_least "$((limited0 + 14))"
tap_ok "and the established association keeps working" dtls_ping_counts
tap_ok "with the same UDP peer" test \
	"$(dtls_field 's["peer_udp"]')" = "$CLIENT_ADDR:$OC_UDP_PORT"

# Two things that other clients can do from the client's address must
# not end this session's DTLS. One is a record in epoch 1 shorter than
# AES-GCM's nonce and tag, on which libssl would fail the association.
# The other is a tunnel on the same worker whose TCP connection breaks:
# its failed shutdown left an error that the next DTLS read took as its
# own.
down0=$(file_count "$HE_LOG" 'DTLS is down')
dtls_send_raw "17fefd0001000000123456000c$(printf '%024d' 0)"
he_add_user bob bob-secret
cookie=$(ip netns exec "$NS_CLIENT" python3 "$CSTPCLIENT" login \
	"$VPN_HOSTNAME" /staff bob bob-secret | sed -n 's/^cookie=//p')
ip netns exec "$NS_CLIENT" python3 "$CSTPCLIENT" connect "$VPN_HOSTNAME" \
	"$cookie" --hold 0.5 >/dev/null
wait_until 10 file_contains "$HE_LOG" 'user=bob .*tunnel closed' || true
tap_ok "short records and a broken tunnel: DTLS keeps working" \
	dtls_ping_counts
tap_ok "and it never went down" \
	test "$(file_count "$HE_LOG" 'DTLS is down')" -eq "$down0"

# bob floods over CSTP from the same address, so on the same worker:
# alice's pings on DTLS still get their turn.
spawn_in_ns "$NS_CLIENT" ping -i 0.1 -W 5 "$INSIDE_ADDR" \
	>"$HE_TMPDIR/ping-flood.log" 2>&1
ping_pid=$SPAWNED_PID
cookie=$(ip netns exec "$NS_CLIENT" python3 "$CSTPCLIENT" login \
	"$VPN_HOSTNAME" /staff bob bob-secret | sed -n 's/^cookie=//p')
out=$(ip netns exec "$NS_CLIENT" python3 "$CSTPCLIENT" connect \
	"$VPN_HOSTNAME" "$cookie" --flood 5 "$INSIDE_ADDR" 2>&1 |
	tail -n 1) || true
kill "$ping_pid" 2>/dev/null || true
max=$(grep -o 'time=[0-9.]*' "$HE_TMPDIR/ping-flood.log" | cut -d= -f2 |
	sort -n | tail -n 1)
tap_diag "$out; alice's slowest ping meanwhile: ${max:-none} ms"
tap_ok "a CSTP flood on the worker leaves DTLS pings below 1 s" sh -c \
	"echo '$out' | grep -q '^flooded [1-9]' &&
	python3 -c 'import sys; sys.exit(0 if 0 < ${max:-0} < 1000 else 1)'"

# A packet the headend drops on DTLS (its source is not the leased
# address) counts as a drop, and the CSTP counters, the session's totals
# less DTLS, do not wrap below zero.
tun=$(tun_device "$NS_CLIENT")
ip -n "$NS_CLIENT" addr add 198.19.0.250/32 dev "$tun"
ip netns exec "$NS_CLIENT" ping -c 3 -i 0.2 -W 1 -I 198.19.0.250 \
	"$INSIDE_ADDR" >/dev/null || true
ip -n "$NS_CLIENT" addr del 198.19.0.250/32 dev "$tun"
tap_ok "spoofed packets on DTLS are drops, not negative CSTP input" \
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])["session"]
assert s["drops"]["spoofed"] >= 3, s["drops"]
assert s["channels"]["cstp"]["packets_in"] < 1000, s["channels"]
' "$(he_ctl --json show session "$(dtls_session_id)")"

# NAT rebinding: rewrite the client's UDP source port in both directions,
# statelessly, so no conntrack entry of the old flow gets in the way.
rebind0=$(dtls_stat rebindings)
ip netns exec "$NS_CLIENT" nft -f - <<NFT
table ip rebind_test {
	chain out {
		type filter hook output priority -300;
		udp sport $OC_UDP_PORT udp dport 443 udp sport set $NAT_UDP_PORT
	}
	chain in {
		type filter hook prerouting priority -300;
		udp sport 443 udp dport $NAT_UDP_PORT udp dport set $OC_UDP_PORT
	}
}
NFT
tap_ok "ping crosses on DTLS from the new port" dtls_ping_counts
tap_ok "status counts a rebinding" \
	test "$(dtls_stat rebindings)" -gt "$rebind0"
tap_ok "session shows the new UDP peer" test \
	"$(dtls_field 's["peer_udp"]')" = "$CLIENT_ADDR:$NAT_UDP_PORT"
tap_done
