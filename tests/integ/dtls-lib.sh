# shellcheck shell=bash
#
# Helpers for the DTLS integration tests (2*-dtls-*.sh), sourced after
# lib.sh and headend-lib.sh. They read the session's DTLS state and
# counters from the status socket and drive iperf3 through the tunnel.

# dtls_write_config [LISTENER-EXTRA [POLICY-EXTRA]]: like he_write_config,
# with extra settings for the listener (TLS versions and ciphers) and for
# the group-policy (dpd, keepalive, dtls).
dtls_write_config() {
	local listener=${1:-} policy=${2:-}

	cat >"$HE_CONF" <<CONF
user = "headend";
status-socket = "$HE_SOCKET";
workers = $HE_WORKERS;
state-file = "$HE_TMPDIR/state";
listeners = ( { certificate = "server.crt"; key = "server.key";
	$listener } );
tun = { name = "headend0"; address = "198.19.255.1"; };
pools = ( { name = "staff"; network = "198.19.0.0/24"; } );
group-policies = ( { name = "all"; dns = [ "198.19.255.1" ];
	$policy } );
tunnel-groups = ( { name = "staff";
	group-urls = [ "https://vpn.example.net/staff" ];
	authentication = "password"; user-file = "$HE_USERS";
	pool = "staff"; group-policy = "all"; } );
CONF
}

# dtls_start: start headend and wait for its UDP socket too.
dtls_start() {
	he_start || return 1
	wait_udp_listen "$NS_HEADEND" 443
}

# dtls_session_id: the id of the first session.
dtls_session_id() {
	he_ctl --json show sessions | python3 -c '
import json, sys
print(json.load(sys.stdin)["sessions"][0]["id"])'
}

# dtls_field PYTHON-EXPR: evaluate an expression over the first session's
# detail document, bound to s, and print it; for example
# dtls_field 's["dtls"]["state"]'.
dtls_field() {
	local id

	id=$(dtls_session_id) || return 1
	he_ctl --json show session "$id" | python3 -c "
import json, sys
s = json.load(sys.stdin)
s = s.get('session', s)
print($1)"
}

# dtls_stat KEY: a DTLS counter of the network process, such as
# "rebindings" or "succeeded".
dtls_stat() {
	he_ctl --json show stats | python3 -c "
import json, sys
print(json.load(sys.stdin)['handshakes']['dtls']['$1'])"
}

# dtls_drop KEY: a counter of DTLS datagrams the network process dropped,
# such as "malformed" or "unknown_peer".
dtls_drop() {
	he_ctl --json show stats | python3 -c "
import json, sys
print(json.load(sys.stdin)['handshakes']['dtls']['drops']['$1'])"
}

dtls_state_is() {
	[ "$(dtls_field 's["dtls"]["state"]')" = "$1" ]
}

# dtls_wait_state STATE TIMEOUT: wait for the session's DTLS state.
dtls_wait_state() {
	wait_until "$2" dtls_state_is "$1"
}

# dtls_packets_out: packets sent to the client on DTLS so far.
dtls_packets_out() {
	dtls_field 's["channels"]["dtls"]["packets_out"]'
}

dtls_packets_in() {
	dtls_field 's["channels"]["dtls"]["packets_in"]'
}

# dtls_oc_established LOG: openconnect's log line for the DTLS handshake.
dtls_oc_established() {
	grep -m 1 'Established DTLS connection' "$1"
}

# dtls_ping_counts [SIZE]: ping the inside host five times and check that
# the requests came in and the replies went out on DTLS. With SIZE, each
# ping has SIZE bytes of ICMP data and must not be fragmented.
dtls_ping_counts() {
	local in0 out0 in1 out1 size=()

	[ -z "${1:-}" ] || size=(-s "$1" -M do)
	in0=$(dtls_packets_in) && out0=$(dtls_packets_out) || return 1
	ip netns exec "$NS_CLIENT" ping -c 5 -i 0.2 -W 2 "${size[@]}" \
		"$INSIDE_ADDR" >/dev/null || return 1
	in1=$(dtls_packets_in) && out1=$(dtls_packets_out) || return 1
	echo "DTLS packets in $in0 -> $in1, out $out0 -> $out1"
	[ $((in1 - in0)) -ge 5 ] && [ $((out1 - out0)) -ge 5 ]
}

# dtls_iperf_start: an iperf3 server on the inside host.
dtls_iperf_start() {
	spawn_in_ns "$NS_INSIDE" iperf3 -s -B "$INSIDE_ADDR" \
		>"$HE_TMPDIR/iperf3-server.log" 2>&1
	wait_tcp_listen "$NS_INSIDE" 5201
}

# dtls_iperf_on_dtls: a 2-second iperf3 run from the client; nearly all
# of its packets must cross on DTLS, in both directions.
dtls_iperf_on_dtls() {
	local id before after

	id=$(dtls_session_id) || return 1
	before=$(he_ctl --json show session "$id") || return 1
	ip netns exec "$NS_CLIENT" iperf3 -c "$INSIDE_ADDR" -t 2 \
		>"$HE_TMPDIR/iperf3-client.log" 2>&1 || {
		cat "$HE_TMPDIR/iperf3-client.log"
		return 1
	}
	after=$(he_ctl --json show session "$id") || return 1
	python3 - "$before" "$after" <<'EOF'
import json, sys

def doc(text):
    d = json.loads(text)
    return d.get("session", d)

b, a = doc(sys.argv[1]), doc(sys.argv[2])
# Data goes in, and out are the inside host's ACKs. It acknowledges the
# segments of one merged tun write together, so there are far fewer
# ACKs, and fewest in the slower sanitizer build.
least = {"in": 1000, "out": 100}
for way in ("in", "out"):
    dtls = (a["channels"]["dtls"]["packets_" + way] -
            b["channels"]["dtls"]["packets_" + way])
    cstp = (a["channels"]["cstp"]["packets_" + way] -
            b["channels"]["cstp"]["packets_" + way])
    print(f"packets {way}: {dtls} on DTLS, {cstp} on CSTP")
    assert dtls > least[way], "too few packets on DTLS"
    assert cstp * 50 < dtls, "too many packets on CSTP"
EOF
}

# dtls_send_hellos COUNT ID-HEX [SOURCE]: send COUNT DTLS 1.2 ClientHellos
# whose session id is ID-HEX to the headend's UDP port 443. Each comes
# from a new source port of SOURCE (default: the client's address), as
# from a forger who saw the id on the wire. They offer PSK-AES256-GCM-SHA384 and
# never finish a handshake.
dtls_send_hellos() {
	ip netns exec "$NS_CLIENT" python3 - "$HEADEND_OUTSIDE_ADDR" "$1" \
		"$2" "${3:-}" <<'PY'
import os, socket, struct, sys

host, count, ident = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
source = sys.argv[4]
body = (b"\xfe\xfd" + os.urandom(32) + bytes([len(ident)]) + ident +
        b"\x00" + b"\x00\x02\x00\xa9" + b"\x01\x00")
hs = (b"\x01" + struct.pack(">I", len(body))[1:] + b"\x00\x00" +
      b"\x00\x00\x00" + struct.pack(">I", len(body))[1:] + body)
record = b"\x16\xfe\xff\x00\x00" + b"\x00" * 6 + struct.pack(">H", len(hs)) + hs
for _ in range(count):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if source:
            s.bind((source, 0))
        s.sendto(record, (host, 443))
PY
}

# dtls_send_raw HEX [SOURCE]: send one datagram of the given bytes to UDP
# port 443 from a new source port of SOURCE (default: the client's
# address).
dtls_send_raw() {
	ip netns exec "$NS_CLIENT" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[3]:
    s.bind((sys.argv[3], 0))
s.sendto(bytes.fromhex(sys.argv[2]), (sys.argv[1], 443))' \
		"$HEADEND_OUTSIDE_ADDR" "$1" "${2:-}"
}
