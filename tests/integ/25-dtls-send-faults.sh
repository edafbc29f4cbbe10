#!/bin/bash
# Faults on the headend's own UDP output after DTLS came up. A path MTU
# below the DTLS datagrams (as after ICMP fragmentation-needed on a PPPoE
# or LTE path) makes the kernel reject UDP GSO, so the records must go
# one by one, fragmented. A firewall rule that rejects the sends makes
# the tunnel fall back to CSTP, and DTLS comes back only after the 10 s
# hold-down, once the rule is gone.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

log="$HE_TMPDIR/oc.log"

# iperf_received_mb NAME: megabytes that the client received from the
# inside host in a 3-second iperf3 run through the tunnel.
iperf_received_mb() {
	ip netns exec "$NS_CLIENT" iperf3 -c "$INSIDE_ADDR" -R -t 3 -J \
		>"$HE_TMPDIR/iperf-$1.json" 2>&1 || true
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(int(doc["end"]["sum_received"]["bytes"] / 1e6))' \
		"$HE_TMPDIR/iperf-$1.json" 2>/dev/null || echo 0
}

# pings_answered N: of N pings to the inside host, how many got a reply.
pings_answered() {
	ip netns exec "$NS_CLIENT" ping -c "$1" -i 0.2 -W 1 "$INSIDE_ADDR" |
		grep -c 'bytes from' || true
}

# dtls_back: a ping from the client, which crosses on DTLS, and whether
# the headend has taken DTLS up again since.
dtls_back() {
	he_ping_inside >/dev/null 2>&1 || true
	file_contains "$HE_LOG" 'DTLS carries packets again'
}

tap_plan 10
tap_require_commands nft iperf3
he_setup

# Long DPD, so that only the send faults end DTLS.
HE_WORKERS=1 dtls_write_config "" "dpd = 60; keepalive = 50;"
dtls_start
he_connect alice alice-secret "$log" || tap_diag_file "$log"
tap_ok "DTLS comes up" dtls_wait_state up 20
dtls_iperf_start

# --- a path MTU below the DTLS datagrams ----------------------------------
ip -n "$NS_HEADEND" route add "$CLIENT_ADDR/32" dev veth-ho mtu 1300
out0=$(dtls_packets_out)
got=$(iperf_received_mb lowmtu)
out1=$(dtls_packets_out)
tap_diag "route MTU 1300: $got MB received, DTLS packets out +$((out1 - out0))"
tap_ok "low path MTU: a download still flows (10 MB or more in 3 s)" \
	test "$got" -ge 10
tap_ok "low path MTU: it flows on DTLS" test $((out1 - out0)) -ge 5000
tap_ok "low path MTU: DTLS stays up" dtls_state_is up
ip -n "$NS_HEADEND" route del "$CLIENT_ADDR/32"

# --- sends rejected by a firewall rule ------------------------------------
errors0=$(dtls_drop send_error)
full0=$(dtls_drop socket_full)
ip netns exec "$NS_HEADEND" nft -f - <<'NFT'
table ip he_send_faults {
	chain out {
		type filter hook output priority 0;
		udp sport 443 drop
	}
}
NFT
answered=$(pings_answered 10)
tap_diag "with UDP output rejected: $answered of 10 pings answered"
tap_ok "rejected sends: the tunnel falls back to CSTP" \
	test "$answered" -ge 8
down_line='DTLS is down \(sending failed: Operation not permitted; DTLS '
down_line+='stays off for at least 10 s\)'
tap_ok "rejected sends: the log names the failed send" file_contains \
	"$HE_LOG" "$down_line"
tap_ok "rejected sends: DTLS is not taken up again at once" sh -c \
	"! grep -q 'DTLS carries packets again' '$HE_LOG'"
send_errors=$(dtls_drop send_error)
socket_full=$(dtls_drop socket_full)
tap_diag "DTLS drops: send_error $send_errors, socket_full $socket_full"
tap_ok "rejected sends: counted as send errors, not a full socket" \
	test "$send_errors" -gt "$errors0" -a "$socket_full" -eq "$full0"
ip netns exec "$NS_HEADEND" nft delete table ip he_send_faults

tap_ok "rule gone: DTLS carries packets again after the hold-down" \
	wait_until 30 dtls_back
tap_ok "rule gone: pings cross on DTLS" dtls_ping_counts
tap_done
