#!/bin/bash
# A client that vanishes while data is queued for it (it sends no ACKs
# and no UDP any more) is closed by dead-peer detection. Afterwards the
# network process's RSS returns to within 10% of its earlier value, and
# it uses under 1% CPU over 5 seconds.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# cpu_ticks PID: user plus system time of the process, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

session_connected() {
	he_ctl --json show sessions | python3 -c '
import json, sys
s = json.load(sys.stdin)["sessions"]
sys.exit(0 if s and s[0]["connected"] else 1)'
}

tap_plan 6
he_setup
# Every TLS record passes through the tunnel's buffer on the heap, and
# AddressSanitizer's quarantine (256 MiB) keeps what was freed resident,
# which would hide what this test measures.
ASAN_OPTIONS+=":quarantine_size_mb=1"
he_write_config "" "" "dpd = 2; keepalive = 1;"
he_start
net=$(he_child_pid network)
# TLS only: packets for the client then queue in the TCP socket and in
# the tunnel's own queue, which is what this test is about.
he_connect alice alice-secret "$HE_TMPDIR/oc.log" --no-dtls ||
	tap_diag_file "$HE_TMPDIR/oc.log"
addr=$(he_ctl --json show sessions | python3 -c '
import json, sys
print(json.load(sys.stdin)["sessions"][0]["address"])')
ip netns exec "$NS_CLIENT" ping -c 20 -i 0.05 -s 1200 "$INSIDE_ADDR" \
	>/dev/null
before=$(rss_kib "$net")

# The client vanishes: it stops, and its namespace drops everything it
# would send, so the headend gets neither ACKs nor UDP.
kill -STOP "$OC_PID"
ip netns exec "$NS_CLIENT" nft -f - <<'NFT'
table inet vanish {
	chain out {
		type filter hook output priority 0; policy drop;
	}
}
NFT
# Data for the client piles up: 3 seconds of 1200-byte UDP packets.
ip netns exec "$NS_INSIDE" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 3
while time.monotonic() < end:
    s.sendto(b"x" * 1200, (sys.argv[1], 9))
    time.sleep(0.0005)
' "$addr"

tap_diag "network process RSS while data was queued: $(rss_kib "$net") KiB"
tap_ok "data was queued for the vanished client" sh -c \
	"ip netns exec $NS_HEADEND ss -tn state established '( sport = :443 )' |
	awk 'NR > 1 && \$3 > 0 { found = 1 } END { exit !found }'"
tap_ok "dead peer detection closes the vanished client" \
	wait_until 20 sh -c "! '$HEADENDCTL' -s '$HE_SOCKET' --json \
	show sessions | grep -q '\"connected\":true'"
tap_ok "the session is held for reconnects" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show sessions |
	grep -q '\"user\":\"alice\"'"
after=$(rss_kib "$net")
tap_diag "network process RSS: ${before} KiB before, ${after} KiB after"
tap_ok "RSS back within 10% of its earlier value" \
	test "$after" -le $((before + before / 10))
t0=$(cpu_ticks "$net")
sleep 5
t1=$(cpu_ticks "$net")
hz=$(getconf CLK_TCK)
tap_diag "CPU over 5 s: $((t1 - t0)) ticks at $hz per second"
tap_ok "CPU under 1% over 5 seconds" test $(((t1 - t0) * 100)) -lt $((hz * 5))
tap_ok "network process still the same" test -d "/proc/$net"
kill -CONT "$OC_PID" 2>/dev/null || true
tap_done
