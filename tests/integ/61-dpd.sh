#!/bin/bash
# Dead peer detection from the gateway: a frozen openconnect (SIGSTOP)
# loses its connection after three silent DPD intervals, but the session
# and its address are held for the reconnect window, and packets for the
# address are dropped and counted meanwhile. The thawed client reconnects
# to the same address; a client that never comes back loses the session
# when the window ends.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

# logged_seconds_since START REGEX: whole seconds from START (an
# EPOCHREALTIME) to the time stamp of the last log line that matches
# REGEX. Unlike the time when polling detects the change, it does not
# grow with the polling delay of a loaded machine.
logged_seconds_since() {
	local stamp

	stamp=$(grep -E -- "$2" "$HE_LOG" | tail -n 1 | cut -d ' ' -f 1)
	python3 -c '
import datetime, sys
logged = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
print(int(logged.timestamp() - float(sys.argv[2])))' "$stamp" "$1"
}

tap_plan 13
he_setup
he_write_config 198.19.0.0/24 "" "dpd = 2; keepalive = 1;
	reconnect-window = 12;"
he_start
he_connect alice alice-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
addr=$(lc_field alice address)
tap_ok "tunnel up" he_ping_inside
tap_ok "DPD advertised" file_contains "$HE_TMPDIR/oc.log" 'X-CSTP-DPD: 2'

# ---- freeze the client -----------------------------------------------------

kill -STOP "$OC_PID"
frozen=$EPOCHREALTIME
tap_ok "frozen client: connection closed by DPD" \
	wait_until 15 lc_field_is alice connected false
took=$(logged_seconds_since "$frozen" \
	'user=alice .*tunnel closed: dead peer')
tap_diag "closed ${took}s after the freeze"
# Silence counts from the last keepalive, up to 1 s before the freeze,
# in whole seconds, so 6 s of silence can end 4 s after the freeze.
tap_ok "frozen client: closed after 3 DPD intervals, not before" \
	test "$took" -ge 4 -a "$took" -le 10
tap_ok "frozen client: logged as a dead peer" file_contains "$HE_LOG" \
	'user=alice .*tunnel closed: dead peer'
tap_ok "frozen client: session and address held" \
	lc_field_is alice address "$addr"
tap_ok "frozen client: lease kept" test "$(lc_pool_used)" -eq 1
tap_ok "frozen client: packets for it are not delivered" sh -c \
	"! ip netns exec $NS_INSIDE ping -c 2 -W 1 $addr >/dev/null"
tap_ok "frozen client: packets for it are counted" \
	lc_field_at_least alice no_tunnel 2

# ---- thaw it: it reconnects to the same address ----------------------------

kill -CONT "$OC_PID"
tap_ok "thawed client: reconnects within the window" \
	wait_until 15 lc_reconnected alice 1
tap_ok "thawed client: same address" lc_field_is alice address "$addr"

# ---- a client that never returns -------------------------------------------

mark=$(lc_log_mark)
kill -KILL "$OC_PID"
wait "$OC_PID" 2>/dev/null || true
gone=$EPOCHREALTIME
wait_until 10 lc_field_is alice connected false || true
tap_ok "vanished client: session ends when the window does" \
	wait_until 20 lc_has_count alice 0
took=$(logged_seconds_since "$gone" \
	'session ended \(no client connected')
tap_diag "session ended ${took}s after the client vanished"
tap_ok "vanished client: held for the 12 s window first" sh -c \
	"[ $took -ge 11 ] && tail -c +$((mark + 1)) '$HE_LOG' |
	grep -q 'session ended (no client connected within the reconnect'"
tap_done
